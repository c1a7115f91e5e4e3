import Foundation
import Testing
import Threads
@testable import Store

/// Readers beside a writer (WAL): they see committed data only, one snapshot per read, and never
/// wait on a writer holding its lock.
@Suite struct DatabaseReaderPoolTests {
    let directory: URL
    let path: String
    let writer: Database

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-readers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("keeper.sqlite").path
        writer = try Database(path: path)
        try writer.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        try writer.execute("INSERT INTO t (name) VALUES (?)", ["committed"])
    }

    static func count(_ db: Database) throws -> Int { try db.fetchOne("SELECT count(*) FROM t", as: Int.self) ?? -1 }

    @Test func aReaderSeesCommittedDataOnly() throws {
        let pool = DatabaseReaderPool(path: path)
        try writer.execute("BEGIN IMMEDIATE")
        try writer.execute("INSERT INTO t (name) VALUES (?)", ["uncommitted"])
        #expect(try pool.readSync(Self.count) == 1)
        try writer.execute("COMMIT")
        #expect(try pool.readSync(Self.count) == 2)
    }

    @Test func aReadDoesNotWaitForAWriterHoldingTheLock() throws {
        // A busy timeout far longer than the bound below, itself far above a read on a starved machine:
        // a read that waited for the lock would show.
        let pool = DatabaseReaderPool(path: path, busyTimeoutMilliseconds: 60_000)
        try writer.execute("BEGIN IMMEDIATE")
        try writer.execute("INSERT INTO t (name) VALUES (?)", ["pending"])
        let start = ContinuousClock.now
        #expect(try pool.readSync(Self.count) == 1)
        #expect(ContinuousClock.now - start < .seconds(30))
        try writer.execute("ROLLBACK")
    }

    @Test func oneReadSeesOneSnapshot() throws {
        let pool = DatabaseReaderPool(path: path)
        let (before, after) = try pool.readSync { db in
            let before = try Self.count(db)
            try writer.execute("INSERT INTO t (name) VALUES (?)", ["during the read"])
            return (before, try Self.count(db))
        }
        #expect(before == 1 && after == 1)
        #expect(try pool.readSync(Self.count) == 2)
    }

    @Test func aReaderRefusesWritesAndAFailedReadReopensItsConnection() throws {
        let pool = DatabaseReaderPool(path: path, maximumReaders: 1)
        #expect(throws: DatabaseError.self) { try pool.readSync { db in try db.execute("INSERT INTO t (name) VALUES (?)", ["no"]) } }
        #expect(try pool.readSync(Self.count) == 1)
        #expect(try pool.readSync { db in db.isReadOnly } == false, "opened for writing (query_only refuses writes), so isReadOnly tells whether this process could write")
    }

    @Test func manyReadsShareAFewConnections() async throws {
        let pool = DatabaseReaderPool(path: path, maximumReaders: 2)
        let reads = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for _ in 0..<16 { group.addTask(executorPreference: nil) { try await pool.read { db in (try Self.count(db), ThreadName.current) } } }
            return try await group.reduce(into: [(Int, String)]()) { $0.append($1) }
        }
        #expect(reads.map(\.0) == Array(repeating: 1, count: 16))
        #expect(Set(reads.map(\.1)).isSubset(of: ["lgk-reader-1", "lgk-reader-2"]), "reads run on the pool's threads, not the cooperative pool")
    }

    @Test func aReaderDoesNotCreateAMissingFile() {
        let pool = DatabaseReaderPool(path: directory.appendingPathComponent("absent.sqlite").path)
        #expect(throws: DatabaseError.self) { try pool.readSync(Self.count) }
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("absent.sqlite").path))
    }
}

/// `/readyz`'s writability, found from the files without taking SQLite's write lock.
@Suite struct DatabaseWritabilityTests {
    let directory: URL
    let path: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-writable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("keeper.sqlite").path
        let db = try Database(path: path)
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    }

    @Test func aWritableDatabaseWithRoomIsWritable() throws {
        let writer = try Database(path: path)
        try writer.execute("BEGIN IMMEDIATE")  // the lock held changes nothing
        let found = DatabaseWritability.check(databaseAt: path)
        #expect(found.problem == nil)
        #expect((found.freeBytes ?? 0) >= DatabaseWritability.defaultMinimumFreeBytes)
        try writer.execute("ROLLBACK")
    }

    @Test func tooLittleFreeSpaceIsNotWritable() throws {
        let found = DatabaseWritability.check(databaseAt: path, minimumFreeBytes: .max)
        let problem = try #require(found.problem)
        #expect(problem.contains("MiB free") && problem.contains("free some space"), "\(problem)")
    }

    @Test func aMissingFileIsNotWritable() throws {
        let problem = try #require(DatabaseWritability.check(databaseAt: directory.appendingPathComponent("absent.sqlite").path).problem)
        #expect(problem.contains("is missing"), "\(problem)")
    }

    /// root passes access(2)'s W_OK checks and opens files for writing whatever their mode, so this
    /// runs only as an ordinary user (CI containers often run tests as root).
    @Test(.enabled(if: getuid() != 0, "file modes do not restrict root"))
    func aReadOnlyFileOrDirectoryIsNotWritable() throws {
        let manager = FileManager.default
        try manager.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        let file = try #require(DatabaseWritability.check(databaseAt: path).problem)
        #expect(file.contains("keeper.sqlite is not writable"), "\(file)")
        let reader = DatabaseReaderPool(path: path)
        #expect(try reader.readSync { db in db.isReadOnly })
        try manager.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        try manager.setAttributes([.posixPermissions: 0o555], ofItemAtPath: directory.path)
        defer { try? manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path) }
        let folder = try #require(DatabaseWritability.check(databaseAt: path).problem)
        #expect(folder.contains("the directory") && folder.contains("is not writable"), "\(folder)")
    }

    @Test func theDirectoryOfAPath() {
        #expect(DatabaseWritability.directory(of: "/var/lib/lgk/keeper.sqlite") == "/var/lib/lgk")
        #expect(DatabaseWritability.directory(of: "/keeper.sqlite") == "/")
        #expect(DatabaseWritability.directory(of: "keeper.sqlite") == ".")
    }
}
