import Crypto
import Foundation
import Indexer
import Logging
import Store
import Verification
import Wire

/// Delivers queued alerts to the webhook: `POST` of the alert's JSON with `X-Timestamp` (unix
/// seconds) and `X-Signature` = hex HMAC-SHA256(secret, timestamp + "." + body), as seed 003's
/// payment monitor signs its callbacks. A failed delivery is retried with exponential backoff. Each
/// attempt is bounded (`client(timeoutMilliseconds:)`, `alerts.timeoutMs`), and `AlertDelivery` runs it beside the keeper's loop, so a
/// receiver that takes connections and never answers delays alerts, never a round.
public final class AlertDispatcher {
    public let webhookURL: String
    private let secret: [UInt8]
    private let database: Database
    private let http: HTTPClient
    private let metrics: MetricsRegistry?
    private let log: Logger
    public var backoffBaseMilliseconds: Int64 = 1_000
    public var backoffCapMilliseconds: Int64 = 300_000

    /// The client of each attempt: at most `milliseconds` for the whole exchange (`alerts.timeoutMs`), 3 s of it to connect.
    public static func client(timeoutMilliseconds milliseconds: Int = 10_000) -> HTTPClient {
        HTTPClient(options: HTTPClient.Options(connectTimeoutMilliseconds: min(3_000, milliseconds), totalTimeoutMilliseconds: milliseconds,
                                               maximumResponseBytes: 64 << 10, poolSize: 1))
    }

    public init(webhookURL: String, secret: [UInt8], database: Database, http: HTTPClient = client(),
                metrics: MetricsRegistry? = nil, log: Logger = .discarding) {
        self.webhookURL = webhookURL
        self.secret = secret
        self.database = database
        self.http = http
        self.metrics = metrics
        self.log = log
    }

    /// The headers that sign `body` at `timestamp`.
    public static func signature(body: [UInt8], timestamp: Int64, secret: [UInt8]) -> String {
        Hex.encode(HMACSHA256.authenticate(Array("\(timestamp).".utf8) + body, key: secret))
    }

    /// Attempts every alert whose backoff has passed, oldest first; returns how many were delivered.
    /// A receiver that cannot be reached (no answer within the attempt's timeout) ends the pass: the
    /// rest wait for the next one instead of each waiting out the same timeout.
    @discardableResult
    public func deliver(now: Date = Date()) async throws(KeeperError) -> Int {
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        let due = try IndexStore.wrap {
            try database.fetchAll("SELECT id, kind, body, attempts FROM alerts WHERE delivered_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT 50", [nowMs])
        }
        var delivered = 0
        for row in due {
            let (id, kind, body, attempts): (Int64, String, String, Int) = try IndexStore.wrap {
                (try row.get("id"), try row.get("kind"), try row.get("body"), try row.get("attempts"))
            }
            let timestamp = Int64(now.timeIntervalSince1970)
            let bytes = Array(body.utf8)
            let request = HTTPRequest(method: .post, url: webhookURL, headers: [
                ("Content-Type", "application/json"), ("X-Timestamp", String(timestamp)),
                ("X-Signature", Self.signature(body: bytes, timestamp: timestamp, secret: secret)),
            ], body: bytes)
            var failure: String?
            var unreachable = false
            do {
                let response = try await http.send(request)
                if !(200..<300).contains(response.status) { failure = "HTTP \(response.status)" }
            } catch {
                failure = "\(error)"
                unreachable = true
            }
            if let failure {
                let delay = min(backoffCapMilliseconds, backoffBaseMilliseconds << min(attempts, 20))
                try IndexStore.wrap {
                    _ = try database.execute("UPDATE alerts SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
                                             [nowMs + delay, failure, id])
                }
                metrics?.increment("lgk_alerts_failed_total", [kind])
                log.warn("alert delivery failed", ["alert": .int(id), "kind": .string(kind), "attempt": .int(attempts + 1),
                                                   "retry_in_ms": .int(delay), "error": .string(failure)])
                if unreachable { break }
            } else {
                try IndexStore.wrap {
                    _ = try database.execute("UPDATE alerts SET attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE id = ?",
                                             [VerificationResponse.timestamp(now), id])
                }
                metrics?.increment("lgk_alerts_sent_total", [kind])
                log.info("alert delivered", ["alert": .int(id), "kind": .string(kind), "attempt": .int(attempts + 1)])
                delivered += 1
            }
        }
        return delivered
    }
}
