import Foundation
import Testing
import Wire
@testable import Keeper
@testable import Settlement
@testable import Store

/// `/readyz` and `/metrics` read the database through reader connections: they answer at once while
/// the keeper's writer holds a long write transaction, and judge writability from the files.
@Suite struct OperationsDatabaseTests {
    let directory: URL
    let path: String
    let writer: Database

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-ops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("keeper.sqlite").path
        writer = try Database(path: path)
        try KeeperSchema.migrator.migrate(writer)
    }

    @Test func readyAndMetricsAnswerAtOnceWhileTheWriterHoldsItsLock() throws {
        // Readers that would wait 60 s for a lock, far beyond the bound below, itself far beyond an
        // answer on a starved machine.
        let operations = OperationsDatabase(readers: DatabaseReaderPool(path: path, maximumReaders: 2, busyTimeoutMilliseconds: 60_000))
        try writer.execute("BEGIN IMMEDIATE")
        try writer.execute("INSERT INTO control (id, paused, paused_reason, paused_at) VALUES (1, 1, 'not committed yet', 'now')")
        let start = ContinuousClock.now
        let state = operations.check()
        let metrics = MetricsRegistry()
        KeeperMetrics.declare(metrics)
        let metricsError = operations.refreshTableMetrics(metrics)
        let elapsed = ContinuousClock.now - start
        try writer.execute("ROLLBACK")

        // The old probe took BEGIN IMMEDIATE, so it waited out its 1 s busy timeout and then failed.
        #expect(elapsed < .seconds(30), "answered in \(elapsed)")
        #expect(state.writeError == nil, "\(state.writeError ?? "")")
        #expect(state.paused == false, "the uncommitted pause is not seen")
        #expect(metricsError == nil)
        #expect(metrics.render().contains("lgk_paused 0"))
        let readiness = Readiness(health: ReadinessTests.healthy(), database: state, maxLag: 10, staleAfter: 10, now: ReadinessTests.now)
        #expect(readiness.ready, "\(readiness.json.serializedString)")
        #expect(readiness.checks[0].detail.hasPrefix("writable, "), "\(readiness.checks[0].detail)")
    }

    @Test func aCommittedPauseIsSeen() throws {
        try KeeperControl.pause(writer, reason: "reconcile mismatch")
        #expect(OperationsDatabase(path: path).check().paused == true)
    }

    @Test func aFullDiskIsNotReadyAndSaysSo() {
        let state = OperationsDatabase(path: path, minimumFreeBytes: .max).check()
        #expect(state.paused == false, "the pause switch is still read")
        let readiness = Readiness(health: ReadinessTests.healthy(), database: state, maxLag: 10, staleAfter: 10, now: ReadinessTests.now)
        #expect(ReadinessTests.failing(readiness) == ["database"])
        #expect(readiness.checks[0].detail.hasPrefix("not writable: only "), "\(readiness.checks[0].detail)")
    }

    @Test func aMissingDatabaseIsNotReady() {
        let state = OperationsDatabase(path: directory.appendingPathComponent("absent.sqlite").path).check()
        #expect(state.writeError?.contains("is missing") == true, "\(state.writeError ?? "")")
        #expect(state.paused == nil)
    }

    /// As root, file modes restrict nothing (see DatabaseWritabilityTests).
    @Test(.enabled(if: getuid() != 0, "file modes do not restrict root"))
    func aReadOnlyDirectoryIsNotReady() throws {
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: directory.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path) }
        let state = OperationsDatabase(path: path).check()
        #expect(state.writeError?.contains("the directory") == true, "\(state.writeError ?? "")")
    }
}

/// `lg-keeper` runs its commands under `withTaskExecutorPreference(KeeperExecutors.writer)`: the
/// loop's path — awaits on libcurl, SQLite writes, reads through the pool, verification workers on
/// the I/O pool — stays on the writer thread, and the workers' blocking I/O runs on the pool's.
@Suite struct KeeperExecutorsTests {
    static var onWriter: Bool { KeeperExecutors.writer.isCurrent }

    /// Nonisolated async, as the loop's steps are.
    static func step(_ db: Database, _ readers: DatabaseReaderPool, _ n: Int) async throws -> Bool {
        try db.execute("INSERT INTO t (n) VALUES (?)", [n])
        let count = try await readers.read { db in try db.fetchOne("SELECT count(*) FROM t", as: Int.self) ?? 0 }
        return count == n && onWriter
    }

    @Test func theLoopsPathStaysOnTheWriterThread() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-exec-\(UUID().uuidString).sqlite").path
        let setup = try Database(path: path)
        try setup.execute("CREATE TABLE t (n INTEGER)")
        let readers = DatabaseReaderPool(path: path)
        let path2 = path
        let seen = try await withTaskExecutorPreference(KeeperExecutors.writer) { () async throws -> [String: Bool] in
            var seen = [String: Bool]()
            seen["start"] = Self.onWriter
            let db = try Database(path: path2)
            // A refused connection comes back from libcurl's dispatch queue at once.
            _ = try? await HTTPClient(options: .init(connectTimeoutMilliseconds: 500, totalTimeoutMilliseconds: 1_000))
                .send(HTTPRequest(method: .get, url: "http://127.0.0.1:1/"))
            seen["after libcurl"] = Self.onWriter
            seen["steps"] = try await Self.step(db, readers, 1)
            let step2 = try await Self.step(db, readers, 2)
            seen["steps"] = seen["steps"]! && step2
            let workers = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask(executorPreference: KeeperExecutors.blockingIO) {
                        usleep(1_000)  // a vault open, an evidence write
                        return KeeperExecutors.blockingIO.isCurrent && !Self.onWriter
                    }
                }
                return await group.reduce(true) { $0 && $1 }
            }
            seen["workers on the I/O pool"] = workers
            seen["after the workers"] = Self.onWriter
            try? await Task.sleep(for: .milliseconds(5))
            seen["after a sleep"] = Self.onWriter
            return seen
        }
        #expect(seen == ["start": true, "after libcurl": true, "steps": true, "workers on the I/O pool": true,
                         "after the workers": true, "after a sleep": true])
        #expect(!Self.onWriter)
        #expect(KeeperExecutors.blockingIO.threadCount == 16, "as README and BENCHMARKS.md say")
    }
}
