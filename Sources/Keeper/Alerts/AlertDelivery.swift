import Foundation
import Indexer
import Logging
import Settlement
import Store

/// What runs beside `run`'s loop, in a task of its own on its own database connection: every alert
/// raised is logged once its transaction has committed (whoever raised it), and, with a webhook, due
/// alerts are delivered (`AlertDispatcher`). A receiver that hangs delays alerts, never a round.
public struct AlertDelivery: Sendable {
    /// The webhook and the secret that signs for it, when `alerts.webhookURL` is set.
    public struct Webhook: Sendable {
        public let url: String
        public let secret: [UInt8]
        /// The most one attempt may take (`alerts.timeoutMs`).
        public let timeoutMilliseconds: Int
    }

    public let databasePath: String
    public let webhook: Webhook?
    let metrics: MetricsRegistry?
    let log: Logger
    /// The pause between looks at the outbox.
    public var interval: Duration = .milliseconds(500)

    public init(databasePath: String, webhook: Webhook?, metrics: MetricsRegistry?, log: Logger) {
        self.databasePath = databasePath
        self.webhook = webhook
        self.metrics = metrics
        self.log = log
    }

    /// Looks at the outbox until `stop` is requested or the task is cancelled. Alerts raised before it
    /// starts and still undelivered are logged once as pending; a store failure is logged (once until
    /// the outbox reads again) and retried.
    public func run(until stop: KeeperService.StopSignal) async {
        var database: Database?
        var dispatcher: AlertDispatcher?
        var lastSeen: Int64?
        var failing = false
        while !stop.isRequested, !Task.isCancelled {
            do throws(KeeperError) {
                let db: Database
                if let database { db = database } else {
                    do { db = try Database(path: databasePath) } catch { throw KeeperError(.store, "cannot open \(databasePath): \(error.message)") }
                    database = db
                    if let webhook {
                        dispatcher = AlertDispatcher(webhookURL: webhook.url, secret: webhook.secret, database: db,
                                                     http: AlertDispatcher.client(timeoutMilliseconds: webhook.timeoutMilliseconds), metrics: metrics, log: log)
                    }
                }
                if let seen = lastSeen {
                    lastSeen = try logRaised(db, after: seen)
                } else {
                    lastSeen = try logPending(db)
                }
                if let dispatcher { try await dispatcher.deliver() }
                if failing { log.info("alert outbox readable again") }
                failing = false
            } catch {
                if !failing { log.error("alert outbox unreadable", ["error": .string(error.message)]) }
                failing = true
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }

    /// Logs the alerts raised after row `id`; returns the newest row seen.
    func logRaised(_ db: Database, after id: Int64) throws(KeeperError) -> Int64 {
        var newest = id
        for alert in try AlertOutbox.raised(db, after: id) {
            log.warn("alert raised", ["alert": .int(alert.id), "kind": .string(alert.kind), "message": .string(alert.message)])
            newest = alert.id
        }
        return newest
    }

    /// At start: the undelivered alerts, logged as pending; returns the newest row.
    func logPending(_ db: Database) throws(KeeperError) -> Int64 {
        let pending = try AlertOutbox.raised(db, after: 0, undeliveredOnly: true)
        for alert in pending {
            log.warn("alert pending", ["alert": .int(alert.id), "kind": .string(alert.kind), "message": .string(alert.message)])
        }
        return try IndexStore.wrap { try db.fetchOne("SELECT coalesce(max(id), 0) FROM alerts", as: Int64.self) ?? 0 }
    }
}
