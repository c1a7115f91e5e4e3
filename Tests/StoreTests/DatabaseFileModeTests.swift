import Foundation
import Testing
import PrivateFiles
@testable import Store

/// The keeper's database holds the key vault and the signed transactions: it is created 0600 (its
/// WAL and shared memory with it), one others may open is refused with the fix, and every commit
/// is durable (`synchronous = FULL`) before a transaction stored in it is broadcast.
@Suite struct DatabaseFileModeTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-modes-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    static func mode(_ path: String) throws -> Int {
        try ((FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue).map { $0 & 0o777 } ?? -1
    }

    @Test func aNewDatabaseAndItsWALAre0600UnderUmask022() throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        let path = "\(directory)/keeper.sqlite"
        let database = try Database(path: path)
        try database.execute("CREATE TABLE t (x INTEGER)")
        try database.execute("INSERT INTO t VALUES (1)")
        for suffix in ["", "-wal", "-shm"] {
            #expect(FileManager.default.fileExists(atPath: path + suffix), "\(suffix)")
            #expect(try Self.mode(path + suffix) == 0o600, "keeper.sqlite\(suffix)")
        }
        let lock = try DatabaseLock(databasePath: path)
        #expect(try Self.mode(lock.path) == 0o600)
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660])
    func aDatabaseOthersMayOpenIsRefusedWithTheFix(mode: Int) throws {
        let path = "\(directory)/open-\(String(mode, radix: 8)).sqlite"
        _ = try Database(path: path)
        #expect(chmod(path, mode_t(mode)) == 0)
        for openMode in [Database.Mode.readWrite, .reader] {
            let error = try #require(#expect(throws: DatabaseError.self) { try Database(path: path, mode: openMode) })
            #expect(error.isOpenToOthers)
            #expect(error.message.contains("has mode \(String(mode, radix: 8))") && error.message.contains("run `chmod 600 \(path)`"))
            #expect(!error.message.contains("\n"))
        }
        #expect(chmod(path, 0o600) == 0)
        _ = try Database(path: path)
    }

    @Test func aLeftoverWALOthersMayReadIsRefusedToo() throws {
        let path = "\(directory)/wal.sqlite"
        _ = try Database(path: path)
        #expect(FileManager.default.createFile(atPath: path + "-wal", contents: Data(), attributes: [.posixPermissions: 0o644]))
        let error = try #require(#expect(throws: DatabaseError.self) { try Database(path: path) })
        #expect(error.isOpenToOthers && error.message.contains("chmod 600 \(path)-wal"))
    }

    @Test func commitsAreDurable() throws {
        let database = try Database(path: "\(directory)/sync.sqlite")
        #expect(try database.fetchOne("PRAGMA synchronous", as: Int.self) == 2, "FULL")
    }

    @Test func privateWritesAndDirectories() throws {
        let nested = "\(directory)/a/b/c"
        try PrivateFile.createDirectories(nested)
        for path in ["\(directory)/a", "\(directory)/a/b", nested] { #expect(try Self.mode(path) == 0o700, "\(path)") }
        try PrivateFile.write(Array("x".utf8), to: "\(nested)/file")
        #expect(try Self.mode("\(nested)/file") == 0o600)
        #expect(try String(contentsOfFile: "\(nested)/file", encoding: .utf8) == "x")
    }
}
