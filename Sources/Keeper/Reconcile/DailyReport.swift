import Ethereum
import Foundation
import Indexer
import Store
import Wire

/// `lg-keeper report`: one UTC day's claims by state and its payouts, from the database.
/// Claims count on the day their request was indexed; payouts on the day they were confirmed paid
/// (the audit log's `→ paid` transition).
public struct DailyReport: Sendable, Equatable {
    public struct Payout: Sendable, Equatable {
        public let subject: String
        public let amount: UInt256
        /// `YYYY-MM-DDTHH:MM:SS.mmmZ`
        public let at: String
        public var hour: Int { Int(at.dropFirst(11).prefix(2)) ?? 0 }
    }

    public let day: String
    public let claimsByState: [String: Int]
    public let payouts: [Payout]
    /// What the pool pays in (`pool.currency`) and its decimals: amounts are in its base units.
    public let currency: String
    public let decimals: Int

    public var total: UInt256 { payouts.reduce(.zero) { $0.addingReportingOverflow($1.amount).partialValue } }

    /// `day` is `YYYY-MM-DD`; `currency` and `decimals` are the pool's (`pool` section).
    public static func read(_ db: Database, day: String, currency: String, decimals: Int) throws(KeeperError) -> DailyReport {
        guard day.count == 10, day.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil else {
            throw KeeperError(.config, "--day must be YYYY-MM-DD, not \(day)")
        }
        return try IndexStore.wrap {
            var byState = [String: Int]()
            for row in try db.fetchAll("SELECT state, count(*) AS n FROM claims WHERE substr(created_at, 1, 10) = ? GROUP BY state", [day]) {
                byState[try row.get("state")] = try row.get("n")
            }
            var payouts = [Payout]()
            for row in try db.fetchAll("""
                SELECT audit_log.subject AS subject, audit_log.at AS at, claims.amount AS amount FROM audit_log
                JOIN claims ON claims.user || '/' || claims.order_id = audit_log.subject
                WHERE audit_log.kind = 'claim.transition' AND json_extract(audit_log.detail, '$.to') = 'paid' AND substr(audit_log.at, 1, 10) = ?
                ORDER BY audit_log.id
                """, [day]) {
                payouts.append(Payout(subject: try row.get("subject"), amount: try UInt256(decimal: try row.get("amount", as: String.self)), at: try row.get("at")))
            }
            return DailyReport(day: day, claimsByState: byState, payouts: payouts, currency: currency, decimals: decimals)
        }
    }

    /// Amounts twice: `amount` in base units (exact, for machines) and `value` in whole units of `currency`.
    public var json: JSON {
        ["day": .string(day), "currency": .string(currency), "decimals": JSON(decimals), "claimsByState": .object(claimsByState.mapValues { JSON($0) }),
         "payouts": .array(payouts.map {
             ["claim": .string($0.subject), "amount": .string($0.amount.description), "value": .string(PoolUnits.text($0.amount, decimals: decimals)), "at": .string($0.at)]
         }),
         "payoutCount": JSON(payouts.count), "payoutTotal": .string(total.description), "payoutTotalValue": .string(PoolUnits.text(total, decimals: decimals))]
    }

    /// `kind,key,value` rows: the pool's currency and decimals, one per state, one per payout (base
    /// units), and the totals.
    public var csv: String {
        var lines = ["kind,key,value,at", "pool,currency,\(currency),", "pool,decimals,\(decimals),"]
        for (state, count) in claimsByState.sorted(by: { $0.key < $1.key }) { lines.append("claims,\(state),\(count),") }
        for payout in payouts { lines.append("payout,\(payout.subject),\(payout.amount),\(payout.at)") }
        lines.append("total,payouts,\(total),")
        lines.append("total,payout_count,\(payouts.count),")
        lines.append("total,payouts_value,\(PoolUnits.text(total, decimals: decimals)),")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Payouts per hour as a bar chart (amounts scaled to the day's largest hour).
    public var svg: String {
        var hours = [Double](repeating: 0, count: 24)
        for payout in payouts { hours[payout.hour] += Double(payout.amount.description) ?? 0 }
        let peak = max(hours.max() ?? 0, 1)
        let width = 24 * 20 + 60, height = 220, chart = 160.0
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" font-family="sans-serif" font-size="10">
            <title>LeverageGuard payouts per hour, \(day) (UTC)</title>
            <text x="40" y="14" font-size="12">Payouts per hour, \(day) UTC — \(payouts.count) payouts, total \(PoolUnits.text(total, decimals: decimals)) \(currency)</text>
            <line x1="40" y1="\(20 + Int(chart))" x2="\(40 + 24 * 20)" y2="\(20 + Int(chart))" stroke="black"/>

            """
        for (hour, value) in hours.enumerated() {
            let barHeight = value / peak * chart
            let x = 42 + hour * 20
            svg += "<rect x=\"\(x)\" y=\(String(format: "\"%.1f\"", 20 + chart - barHeight)) width=\"16\" height=\(String(format: "\"%.1f\"", barHeight)) fill=\"#3b7dd8\"><title>\(String(format: "%02d", hour)):00 \(value)</title></rect>\n"
            if hour % 3 == 0 { svg += "<text x=\"\(x)\" y=\"\(36 + Int(chart))\">\(String(format: "%02d", hour))h</text>\n" }
        }
        return svg + "</svg>\n"
    }
}
