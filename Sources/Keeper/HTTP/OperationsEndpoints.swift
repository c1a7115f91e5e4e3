import Foundation
import Store
import Synchronization
import Wire

/// `GET /metrics`, `/healthz` and `/readyz` (DESIGN.md §8–§9): what Prometheus scrapes and what a
/// supervisor or load balancer asks.
public enum OperationsEndpoints {
    public struct Settings: Sendable {
        /// `/readyz` fails while the index trails the head by more than this.
        public var maxLagBlocks: UInt64
        /// `/readyz` fails when no round has completed for this long.
        public var staleAfterSeconds: TimeInterval
        public var log: @Sendable (String) -> Void
        public init(maxLagBlocks: UInt64, staleAfterSeconds: TimeInterval, log: @escaping @Sendable (String) -> Void) {
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
                settings.log("level=warn msg=\"metrics: tables unreadable\" error=\"\(error)\"")
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

/// The database as the HTTP server's threads see it, over their own connection (WAL lets it read
/// while the loop writes): `/readyz` asks whether a write transaction can be taken and whether
/// payouts are paused; `/metrics` counts claims, events and alerts.
public final class OperationsDatabase: Sendable {
    private let connection: Mutex<Database?>
    private let path: String

    public init(path: String) {
        self.path = path
        connection = Mutex(nil)
    }

    /// Runs `body` on the connection, opening it first if needed; an error closes it, to be
    /// reopened next time (the file may have been replaced or its disk remounted).
    private func withConnection<T: Sendable>(_ body: (Database) throws -> T) -> Result<T, DescribedError> {
        connection.withLock { (connection: inout Database?) -> Result<T, DescribedError> in
            do {
                let db: Database
                if let open = connection { db = open } else {
                    db = try Database(path: path, busyTimeoutMilliseconds: 1_000)
                    connection = db
                }
                return .success(try body(db))
            } catch {
                connection = nil
                return .failure(DescribedError(description: "\(error)"))
            }
        }
    }

    public func check() -> Readiness.DatabaseState {
        switch withConnection({ db in try db.transaction(.immediate) { db in try KeeperControl.state(db).paused } }) {
        case .success(let paused): Readiness.DatabaseState(writeError: nil, paused: paused)
        case .failure(let error): Readiness.DatabaseState(writeError: error.description, paused: nil)
        }
    }

    /// Refreshes the table-counted metrics; returns why it could not, or nil.
    public func refreshTableMetrics(_ metrics: MetricsRegistry) -> String? {
        switch withConnection({ db in try KeeperMetrics.refreshTables(metrics, database: db) }) {
        case .success: nil
        case .failure(let error): error.description
        }
    }

    struct DescribedError: Error, CustomStringConvertible { let description: String }
}
