import Foundation
import Indexer
import Store
import Verification
import Wire

/// What operators are told about, and how urgently (README, "Alerts").
public enum AlertKind: String, Sendable, CaseIterable {
    case reconciliationMismatch = "reconciliation_mismatch"
    case deepReorg = "deep_reorg"
    case poolShortfall = "pool_shortfall"
    case feeCapReached = "fee_cap_reached"
    case signerBalanceLow = "signer_balance_low"
    case rpcDown = "rpc_down"
    /// The contract's owner paused it: payouts wait (using no attempts) until it is unpaused.
    case contractPaused = "contract_paused"
    /// A trader's OKX key is expired, revoked, wrong or lacks Read: their claims wait in `needs_key`.
    case keyInvalid = "key_invalid"
    /// OKX refused this host's timestamps (50102): the clock is off.
    case okxClockSkew = "okx_clock_skew"
    /// A node will not take a transaction as signed (insufficient funds, intrinsic gas too low, over the block gas limit).
    case txRefused = "tx_refused"
    /// A verified claim is above the daily payout limit (the keeper's or the contract's): it waits in
    /// `awaiting_limit` until an operator raises the limit or rejects it. Raised once per claim.
    case claimOverLimit = "claim_over_limit"
}

/// The persisted outbox of alerts: raised inside the transaction of what caused them, delivered
/// later by `AlertDispatcher`, so that none is lost across a restart or while the receiver is down.
public enum AlertOutbox {
    /// Queues an alert. `dedupeKey` suppresses a repeat of the same condition while an earlier
    /// alert with that key is still undelivered; with `once`, for good.
    public static func raise(_ db: Database, _ kind: AlertKind, _ message: String, detail: JSON = [:], dedupeKey: String? = nil,
                             once: Bool = false, at date: Date = Date()) throws {
        if let dedupeKey, try db.fetchOne("SELECT 1 FROM alerts WHERE dedupe_key = ?\(once ? "" : " AND delivered_at IS NULL")", [dedupeKey]) != nil { return }
        let body: JSON = ["kind": .string(kind.rawValue), "message": .string(message), "detail": detail,
                          "raisedAt": .string(VerificationResponse.timestamp(date))]
        try db.execute("INSERT INTO alerts (kind, body, dedupe_key, raised_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, 0, 0)",
                       [kind.rawValue, body.serializedString, dedupeKey, VerificationResponse.timestamp(date)])
        try AuditLog.append(db, kind: "alert.raised", subject: kind.rawValue, detail: ["message": .string(message)], at: date)
    }

    /// An alert as queued: its row, kind and message.
    public struct Raised: Sendable {
        public let id: Int64
        public let kind: String
        public let message: String
    }

    /// The alerts queued after row `id`, oldest first (at most 200 at a time), for the log.
    public static func raised(_ db: Database, after id: Int64, undeliveredOnly: Bool = false) throws(KeeperError) -> [Raised] {
        do {
            let rows = try db.fetchAll("SELECT id, kind, json_extract(body, '$.message') AS message FROM alerts WHERE id > ?"
                                       + (undeliveredOnly ? " AND delivered_at IS NULL" : "") + " ORDER BY id LIMIT 200", [id])
            return try rows.map { row in
                Raised(id: try row.get("id"), kind: try row.get("kind"), message: try row.get("message", as: String?.self) ?? "")
            }
        } catch {
            throw KeeperError(.store, "alerts: \(error)")
        }
    }

    /// How many alerts are not yet delivered.
    public static func pending(_ db: Database) throws -> Int {
        try db.fetchOne("SELECT count(*) FROM alerts WHERE delivered_at IS NULL", as: Int.self) ?? 0
    }
}
