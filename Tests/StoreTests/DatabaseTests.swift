import Foundation
import Testing
@testable import Store

struct ExpectedFailure: Error {}

@Suite struct DatabaseTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func open() throws -> Database {
        let db = try Database(path: directory.appendingPathComponent("test.sqlite").path)
        try db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB, amount TEXT)")
        return db
    }

    @Test func opensInWALModeAndRoundTripsValues() throws {
        let db = try open()
        #expect(try db.fetchOne("PRAGMA journal_mode", as: String.self) == "wal")
        try db.execute("INSERT INTO t (name, data, amount) VALUES (?, ?, ?)", ["alice", [UInt8]([0, 1, 255]), Optional<String>.none])
        let row = try #require(try db.fetchOne("SELECT id, name, data, amount FROM t WHERE name = ?", ["alice"]))
        #expect(try row.get("name", as: String.self) == "alice")
        #expect(try row.get("data", as: [UInt8].self) == [0, 1, 255])
        #expect(try row.get("amount", as: String?.self) == nil)
        #expect(throws: DatabaseError.self) { try row.get("name", as: Int.self) }
    }

    @Test func transactionCommitsOnReturn() throws {
        let db = try open()
        try db.transaction { db in
            try db.execute("INSERT INTO t (name) VALUES (?)", ["a"])
            try db.execute("INSERT INTO t (name) VALUES (?)", ["b"])
        }
        #expect(try db.fetchOne("SELECT count(*) FROM t", as: Int.self) == 2)
        #expect(!db.isInsideTransaction)
    }

    @Test func transactionRollsBackOnThrow() throws {
        let db = try open()
        try db.execute("INSERT INTO t (name) VALUES (?)", ["kept"])
        #expect(throws: ExpectedFailure.self) {
            try db.transaction { db in
                try db.execute("INSERT INTO t (name) VALUES (?)", ["lost1"])
                try db.execute("INSERT INTO t (name) VALUES (?)", ["lost2"])
                throw ExpectedFailure()
            }
        }
        #expect(try db.fetchAll("SELECT name FROM t").map { try $0.get(0, as: String.self) } == ["kept"])
        #expect(!db.isInsideTransaction)
    }

    @Test func constraintViolationRollsBackTheWholeTransaction() throws {
        let db = try open()
        let error = #expect(throws: DatabaseError.self) {
            try db.transaction { db in
                try db.execute("INSERT INTO t (name) VALUES (?)", ["x"])
                try db.execute("INSERT INTO t (name) VALUES (?)", ["x"])
            }
        }
        #expect(error?.isUniqueViolation == true)
        #expect(error?.sql == "INSERT INTO t (name) VALUES (?)")
        #expect(try db.fetchOne("SELECT count(*) FROM t", as: Int.self) == 0)
    }

    @Test func nestedTransactionFailureUndoesOnlyTheInnerWork() throws {
        let db = try open()
        try db.transaction { db in
            try db.execute("INSERT INTO t (name) VALUES (?)", ["outer"])
            #expect(throws: ExpectedFailure.self) {
                try db.transaction { db in
                    try db.execute("INSERT INTO t (name) VALUES (?)", ["inner"])
                    throw ExpectedFailure()
                }
            }
        }
        #expect(try db.fetchAll("SELECT name FROM t").map { try $0.get(0, as: String.self) } == ["outer"])
    }

    @Test func committedDataIsVisibleToASecondConnection() throws {
        let writer = try open()
        try writer.execute("INSERT INTO t (name) VALUES (?)", ["shared"])
        let reader = try open()
        #expect(try reader.fetchOne("SELECT name FROM t", as: String.self) == "shared")
    }

    @Test func badSQLAndWrongArgumentCountAreErrors() throws {
        let db = try open()
        #expect(throws: DatabaseError.self) { try db.fetchAll("SELEC 1") }
        #expect(throws: DatabaseError.self) { try db.execute("INSERT INTO t (name) VALUES (?)", []) }
    }

    @Test func migrationsApplyOnceInOrderAndRefuseUnknownOnes() throws {
        let db = try Database(path: ":memory:")
        let migrator = Migrator([
            .init("001-a", "CREATE TABLE a (x INTEGER)"),
            .init("002-b", "CREATE TABLE b (y INTEGER); INSERT INTO a VALUES (1)"),
        ])
        #expect(try migrator.migrate(db) == ["001-a", "002-b"])
        #expect(try migrator.migrate(db) == [])
        #expect(try db.fetchOne("SELECT count(*) FROM a", as: Int.self) == 1)

        let broken = Migrator(migrator.migrations + [.init("003-c", "CREATE TABLE c (z INTEGER); CREATE TABLE a (dup INTEGER)")])
        #expect(throws: DatabaseError.self) { try broken.migrate(db) }
        #expect(try db.fetchOne("SELECT count(*) FROM sqlite_master WHERE name = 'c'", as: Int.self) == 0, "a failed migration leaves nothing behind")
        #expect(try db.fetchOne("SELECT count(*) FROM schema_migrations", as: Int.self) == 2)

        let older = Migrator([.init("001-a", "CREATE TABLE a (x INTEGER)")])
        #expect(throws: DatabaseError.self) { try older.migrate(db) }
    }
}
