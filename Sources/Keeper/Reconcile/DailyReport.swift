import Ethereum
import Foundation
import Indexer
import Settlement
import Store
import Wire

/// `lg-keeper report`: the claims and payouts of a period of UTC days (one by default), from the
/// database. A claim counts on the day its request was indexed; a payout on the day it was confirmed
/// paid (the audit log's `→ paid` transition). Amounts are in the pool's base units and, for people,
/// in whole units of `pool.currency`.
public struct DailyReport: Sendable, Equatable {
    public struct Payout: Sendable, Equatable {
        public let subject: String
        public let amount: UInt256
        /// `YYYY-MM-DDTHH:MM:SS.mmmZ`
        public let at: String
        public var day: ReportDay? { ReportDay(String(at.prefix(10))) }
    }

    /// One claim requested or paid in the period, as the CSV lists it.
    public struct ClaimRow: Sendable, Equatable {
        public let user: String
        public let orderID: String
        public let state: String
        /// The verified payout in base units, once verified.
        public let amount: UInt256?
        public let liquidated: Bool?
        /// The transactions of the claim's `PayoutVerified` and `PayoutExecuted` events, as indexed.
        public let verdictTx: String?
        public let payoutTx: String?
        /// RFC 3339 (UTC, milliseconds): the request indexed, the verdict recorded, the payment confirmed.
        public let requestedAt: String
        public let verifiedAt: String?
        public let paidAt: String?

        public var requestDay: ReportDay? { ReportDay(String(requestedAt.prefix(10))) }

        /// What became of the claim, as the chart groups it.
        public var outcome: Outcome {
            if state == ClaimState.paid.rawValue { return .paid }
            if state == ClaimState.rejected.rawValue && liquidated == false { return .notLiquidated }
            return ClaimState(rawValue: state)?.isFinal == false ? .waiting : .other
        }
    }

    /// The chart's groups of claims: paid; a verdict of "not liquidated"; not finished yet; the rest
    /// (failed, or rejected for another reason: an operator, a currency not covered).
    public enum Outcome: String, Sendable, CaseIterable {
        case paid
        case notLiquidated = "not liquidated"
        case waiting
        case other
    }

    /// The first and last day of the period (equal for one day).
    public let from: ReportDay
    public let to: ReportDay
    /// Claims requested in the period, by state.
    public let claimsByState: [String: Int]
    public let payouts: [Payout]
    public let claims: [ClaimRow]
    /// What the pool pays in (`pool.currency`) and its decimals: amounts are in its base units.
    public let currency: String
    public let decimals: Int
    /// `policy.dailyLimit`, drawn against the day's payouts.
    public let dailyLimit: UInt256?

    /// The last day, `YYYY-MM-DD` (the day of a one-day report).
    public var day: String { to.description }
    public var days: [ReportDay] { (from.ordinal...to.ordinal).map(ReportDay.init(ordinal:)) }
    public var total: UInt256 { payouts.reduce(.zero) { $0.addingReportingOverflow($1.amount).partialValue } }

    /// The most days one report covers.
    public static let maxDays = 366

    /// The `days` days ending with `to`; `currency` and `decimals` are the pool's (`pool` section).
    public static func read(_ db: Database, to: ReportDay, days: Int = 1, currency: String, decimals: Int,
                            dailyLimit: UInt256? = nil) throws(KeeperError) -> DailyReport {
        guard (1...maxDays).contains(days) else { throw KeeperError(.badData, "--days must be 1 to \(maxDays), not \(days)") }
        let from = to.adding(days: Int64(1 - days))
        let range: [any DatabaseValueConvertible] = [from.description, to.description]
        return try IndexStore.wrap {
            var byState = [String: Int]()
            for row in try db.fetchAll("SELECT state, count(*) AS n FROM claims WHERE substr(created_at, 1, 10) BETWEEN ? AND ? GROUP BY state", range) {
                byState[try row.get("state")] = try row.get("n")
            }
            var payouts = [Payout]()
            for row in try db.fetchAll("""
                SELECT audit_log.subject AS subject, audit_log.at AS at, claims.amount AS amount FROM audit_log
                JOIN claims ON claims.user || '/' || claims.order_id = audit_log.subject
                WHERE audit_log.kind = 'claim.transition' AND json_extract(audit_log.detail, '$.to') = 'paid'
                  AND substr(audit_log.at, 1, 10) BETWEEN ? AND ?
                ORDER BY audit_log.id
                """, range) {
                payouts.append(Payout(subject: try row.get("subject"), amount: try UInt256(decimal: try row.get("amount", as: String.self)), at: try row.get("at")))
            }
            var claims = [ClaimRow]()
            for row in try db.fetchAll(claimRows, range) {
                claims.append(ClaimRow(user: try row.get("user"), orderID: try row.get("order_id"), state: try row.get("state"),
                                       amount: try row.get("amount", as: String?.self).map { try UInt256(decimal: $0) },
                                       liquidated: try row.get("liquidated", as: Bool?.self),
                                       verdictTx: try row.get("verdict_tx", as: String?.self), payoutTx: try row.get("payout_tx", as: String?.self),
                                       requestedAt: try row.get("created_at"), verifiedAt: try row.get("verified_at", as: String?.self),
                                       paidAt: try row.get("paid_at", as: String?.self)))
            }
            return DailyReport(from: from, to: to, claimsByState: byState, payouts: payouts, claims: claims, currency: currency,
                               decimals: decimals, dailyLimit: dailyLimit)
        }
    }

    /// Claims requested or paid in the period, with their transactions (from the indexed events) and times
    /// (from the audit log; "verified" is the first transition to a state that holds a verdict).
    private static let claimRows = """
        SELECT * FROM (
          SELECT c.user, c.order_id, c.state, c.amount, c.liquidated, c.created_at, c.request_block_number, c.request_log_index,
            (SELECT min(a.at) FROM audit_log a WHERE a.subject = c.user || '/' || c.order_id AND a.kind = 'claim.transition'
               AND json_extract(a.detail, '$.to') IN ('verified', 'rejected', 'paid')) AS verified_at,
            (SELECT max(a.at) FROM audit_log a WHERE a.subject = c.user || '/' || c.order_id AND a.kind = 'claim.transition'
               AND json_extract(a.detail, '$.to') = 'paid') AS paid_at,
            (SELECT e.tx_hash FROM events e WHERE e.name = 'PayoutVerified' AND e.user = c.user AND e.order_id = c.order_id
               ORDER BY e.block_number DESC LIMIT 1) AS verdict_tx,
            (SELECT e.tx_hash FROM events e WHERE e.name = 'PayoutExecuted' AND e.user = c.user AND e.order_id = c.order_id
               ORDER BY e.block_number DESC LIMIT 1) AS payout_tx
          FROM claims c)
        WHERE substr(created_at, 1, 10) BETWEEN ?1 AND ?2 OR substr(paid_at, 1, 10) BETWEEN ?1 AND ?2
        ORDER BY request_block_number, request_log_index
        """

    func units(_ amount: UInt256) -> String { PoolUnits.text(amount, decimals: decimals) }

    /// Amounts twice: `amount` in base units (exact, for machines) and `value` in whole units of `currency`.
    public var json: JSON {
        var object: [String: JSON] = [
            "day": .string(day), "from": .string(from.description), "to": .string(to.description),
            "currency": .string(currency), "decimals": JSON(decimals), "claimsByState": .object(claimsByState.mapValues { JSON($0) }),
            "payouts": .array(payouts.map {
                ["claim": .string($0.subject), "amount": .string($0.amount.description), "value": .string(units($0.amount)), "at": .string($0.at)]
            }),
            "payoutCount": JSON(payouts.count), "payoutTotal": .string(total.description), "payoutTotalValue": .string(units(total)),
        ]
        object["dailyLimit"] = dailyLimit.map { .string($0.description) } ?? .null
        return .object(object)
    }

    /// One row per claim requested or paid in the period, with a header: amounts in whole units of the
    /// pool's currency and in base units; transactions; times in RFC 3339. Every field is ours (hex,
    /// digits, state names, timestamps): nothing a trader wrote, so nothing to quote.
    public var csv: String {
        var lines = ["user,order,state,amount,currency,amount_raw,verdict_tx,payout_tx,requested_at,verified_at,paid_at"]
        for claim in claims {
            lines.append([claim.user, claim.orderID, claim.state, claim.amount.map(units) ?? "", currency, claim.amount?.description ?? "",
                          claim.verdictTx ?? "", claim.payoutTx ?? "", claim.requestedAt, claim.verifiedAt ?? "", claim.paidAt ?? ""]
                .joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
