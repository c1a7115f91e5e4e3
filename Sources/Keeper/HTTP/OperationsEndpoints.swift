import Foundation
import HTTPServer
import Logging
import Settlement
import Store
import Wire

/// `GET /metrics`, `/healthz` and `/readyz` (DESIGN.md §8–§9): what Prometheus scrapes and what a
/// supervisor or load balancer asks.
public enum OperationsEndpoints {
    public struct Settings: Sendable {
        /// `/readyz` fails while the index trails the head by more than this.
        public var maxLagBlocks: UInt64
        /// `/readyz` fails when no round has completed for this long.
        public var staleAfterSeconds: TimeInterval
        public var log: Logger
        public init(maxLagBlocks: UInt64, staleAfterSeconds: TimeInterval, log: Logger = .discarding) {
            self.maxLagBlocks = maxLagBlocks
            self.staleAfterSeconds = staleAfterSeconds
            self.log = log
        }
    }

    public static func register(in router: inout HTTPRouter, metrics: MetricsRegistry, health: KeeperHealth, database: OperationsDatabase,
                                settings: Settings) {
        router.add(.get, "/metrics") { _ in
            // The families counted from tables are read now; if that fails the rest is still served.
            if let error = database.refreshTableMetrics(metrics) {
                metrics.increment("lgk_metrics_table_errors_total")
                settings.log.warn("metrics: tables unreadable", ["error": "\(error)"])
            }
            return .text(200, metrics.render(), contentType: MetricsRegistry.contentType)
        }
        router.add(.get, "/healthz") { _ in
            let uptime = Int(Date().timeIntervalSince(health.snapshot.startedAt))
            return .json(200, ["status": "alive", "uptimeSeconds": JSON(uptime)], headers: HTTPHeaders([("Cache-Control", "no-store")]))
        }
        router.add(.get, "/readyz") { _ in
            let readiness = Readiness(health: health.snapshot, database: database.check(), maxLag: settings.maxLagBlocks,
                                      staleAfter: settings.staleAfterSeconds)
            return .json(readiness.ready ? 200 : 503, readiness.json, headers: HTTPHeaders([("Cache-Control", "no-store")]))
        }
    }
}

/// The database as the HTTP server's threads see it, over reader connections (WAL: they read while
/// the loop writes and never wait on it). `/readyz` asks whether the keeper could write — the files,
/// their directory and file system, never by taking the write lock — and whether payouts are paused;
/// `/metrics` counts claims, events and alerts.
public final class OperationsDatabase: Sendable {
    private let readers: DatabaseReaderPool
    private let path: String
    private let minimumFreeBytes: UInt64

    public init(readers: DatabaseReaderPool, minimumFreeBytes: UInt64 = DatabaseWritability.defaultMinimumFreeBytes) {
        self.readers = readers
        path = readers.path
        self.minimumFreeBytes = minimumFreeBytes
    }

    public convenience init(path: String, minimumFreeBytes: UInt64 = DatabaseWritability.defaultMinimumFreeBytes) {
        self.init(readers: DatabaseReaderPool(path: path, maximumReaders: 2), minimumFreeBytes: minimumFreeBytes)
    }

    public func check() -> Readiness.DatabaseState {
        let files = DatabaseWritability.check(databaseAt: path, minimumFreeBytes: minimumFreeBytes)
        let found: (readOnly: Bool, paused: Bool)
        do { found = try readers.readSync { db in (db.isReadOnly, try KeeperControl.state(db).paused) } } catch {
            return Readiness.DatabaseState(writeError: files.problem ?? "cannot read \(path): \(error)", paused: nil, freeBytes: files.freeBytes)
        }
        let problem = files.problem ?? (found.readOnly ? "SQLite opens \(path) read-only for this process: check its owner, mode and mount" : nil)
        return Readiness.DatabaseState(writeError: problem, paused: found.paused, freeBytes: files.freeBytes)
    }

    /// Refreshes the table-counted metrics; returns why it could not, or nil.
    public func refreshTableMetrics(_ metrics: MetricsRegistry) -> String? {
        do {
            try readers.readSync { db in try KeeperMetrics.refreshTables(metrics, database: db) }
            return nil
        } catch {
            return "\(error)"
        }
    }
}
