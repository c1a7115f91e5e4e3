import Foundation
import Synchronization
import Testing
@testable import Store

/// `Database.backup(to:)`: SQLite's online backup into a new 0600 file.
@Suite struct DatabaseBackupTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func rows(_ db: Database) throws -> [String] {
        try db.fetchAll("SELECT id, name, hex(data) FROM t ORDER BY id").map { row in
            "\(try row.get(0, as: Int.self)) \(try row.get(1, as: String.self)) \(try row.get(2, as: String.self))"
        }
    }

    @Test func copiesEveryRowIntoANew0600FileAndNeverOverwrites() throws {
        let source = try Database(path: path("keeper.sqlite"))
        try source.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB)")
        try source.transaction { db in
            for index in 0..<500 { try db.execute("INSERT INTO t (name, data) VALUES (?, ?)", ["row \(index)", [UInt8](repeating: UInt8(index % 256), count: 100)]) }
        }
        let original = try rows(source)
        let saved = umask(0o022)
        defer { umask(saved) }
        try source.backup(to: path("copy.sqlite"))

        let mode = try FileManager.default.attributesOfItem(atPath: path("copy.sqlite"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let copy = try Database(path: path("copy.sqlite"), mode: .reader)
        #expect(try rows(copy) == original)
        #expect(original.count == 500)
        #expect(try copy.fetchOne("PRAGMA integrity_check", as: String.self) == "ok")

        // An existing file is refused and left as it was.
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: path("taken.sqlite")))
        let refused = #expect(throws: DatabaseError.self) { try source.backup(to: path("taken.sqlite")) }
        #expect(refused?.message.contains("exists already") == true)
        #expect(try String(contentsOfFile: path("taken.sqlite"), encoding: .utf8) == "keep me")
        #expect(throws: DatabaseError.self) { try source.backup(to: path("copy.sqlite")) }
    }

    /// A writer on another connection commits throughout the copy; the copy is one consistent snapshot
    /// (every transaction inserts a pair, so a torn copy would hold an odd count or a broken pair).
    @Test func aBackupTakenWhileAnotherConnectionWritesIsConsistent() async throws {
        let file = path("busy.sqlite")
        let setup = try Database(path: file)
        try setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB)")
        try setup.transaction { db in
            for index in 0..<2_000 {
                try db.execute("INSERT INTO t (name, data) VALUES (?, ?)", ["seed \(index / 2)", [UInt8](repeating: 7, count: 200)])
            }
        }
        // The writer commits until the copies are done, and each copy waits for new commits first: a
        // fixed writing time could end before the copies start when a loaded machine pauses this task.
        // It runs on a thread of its own: a loop on the cooperative pool (two threads on two cores) could
        // hold the very thread this test needs to tell it to stop.
        final class Progress: Sendable {
            let pairs = Atomic<Int>(0)
            let done = Atomic<Bool>(false)
            let outcome = Mutex<Result<Int, any Error>?>(nil)
        }
        let progress = Progress()
        Thread {
            let stopAt = ContinuousClock.now + .seconds(300)  // never a runaway loop, whatever happens to the test
            progress.outcome.withLock { $0 = Result { () throws -> Int in
                let writer = try Database(path: file)
                var pairs = 0
                while !progress.done.load(ordering: .sequentiallyConsistent), ContinuousClock.now < stopAt {
                    try writer.transaction { db in
                        try db.execute("INSERT INTO t (name, data) VALUES (?, ?)", ["pair \(pairs)", [UInt8](repeating: 1, count: 200)])
                        try db.execute("INSERT INTO t (name, data) VALUES (?, ?)", ["pair \(pairs)", [UInt8](repeating: 2, count: 200)])
                    }
                    pairs += 1
                    progress.pairs.store(pairs, ordering: .sequentiallyConsistent)
                }
                return pairs
            } }
        }.start()
        defer { progress.done.store(true, ordering: .sequentiallyConsistent) }  // also when a copy throws
        func committed(beyond count: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(30)
            while progress.pairs.load(ordering: .sequentiallyConsistent) < count + 4, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
        }
        var copies = 0
        for index in 0..<3 {
            try await committed(beyond: progress.pairs.load(ordering: .sequentiallyConsistent))
            let reader = try Database(path: file, mode: .reader)
            try reader.backup(to: path("busy-\(index).sqlite"))
            copies += 1
        }
        try await committed(beyond: progress.pairs.load(ordering: .sequentiallyConsistent))
        progress.done.store(true, ordering: .sequentiallyConsistent)
        let writerStopped = ContinuousClock.now + .seconds(60)
        while progress.outcome.withLock({ $0 == nil }), ContinuousClock.now < writerStopped { try await Task.sleep(for: .milliseconds(10)) }
        let writing = try #require(progress.outcome.withLock { $0 }, "the writer did not stop")
        let pairs = try writing.get()
        #expect(pairs > 10, "the writer committed throughout")
        #expect(copies == 3)
        for index in 0..<3 {
            let copy = try Database(path: path("busy-\(index).sqlite"), mode: .reader)
            #expect(try copy.fetchOne("PRAGMA integrity_check", as: String.self) == "ok")
            let count = try #require(try copy.fetchOne("SELECT count(*) FROM t", as: Int.self))
            #expect(count >= 2_000 && count % 2 == 0, "whole transactions only: \(count) rows")
            let unpaired = try copy.fetchOne("SELECT count(*) FROM (SELECT name FROM t GROUP BY name HAVING count(*) != 2)", as: Int.self)
            #expect(unpaired == 0)
        }
        let final = try Database(path: file, mode: .reader)
        #expect(try final.fetchOne("SELECT count(*) FROM t", as: Int.self) == 2_000 + 2 * pairs)
    }
}
