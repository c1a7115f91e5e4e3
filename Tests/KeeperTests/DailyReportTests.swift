import Foundation
import Testing
@testable import Ethereum
@testable import Keeper
@testable import Settlement
@testable import Store

@Suite struct DailyReportTests {
    let user = "0x00000000000000000000000000000000000000aa"

    /// Two claims paid at known hours of one day, one claim of another day.
    func fixture() throws -> ClaimFixture {
        let fixture = try ClaimFixture()
        for (order, amount, paidAt) in [(1, "300", "2026-11-20T03:15:00.000Z"), (2, "200", "2026-11-20T03:59:00.000Z"), (3, "50", "2026-11-20T17:00:00.000Z")] {
            var claim = try fixture.insertClaim(user: user, orderID: order)
            try fixture.database.execute("UPDATE claims SET created_at = '2026-11-20T01:00:00.000Z', amount = ? WHERE id = ?", [amount, claim.id])
            for next in [ClaimState.verifying, .verifyPending, .verified, .executePending] {
                try fixture.ledger.transition(claim, to: next)
                claim = try fixture.ledger.claim(id: claim.id)!
            }
            try fixture.database.transaction { db in
                try ClaimLedger.transition(claim, to: .paid, in: db)
                try db.execute("DROP TRIGGER IF EXISTS audit_log_no_update")  // test only: place the payment at a known time
            }
            try fixture.database.execute("UPDATE audit_log SET at = ? WHERE id = (SELECT max(id) FROM audit_log)", [paidAt])
        }
        let other = try fixture.insertClaim(user: user, orderID: 4)
        try fixture.database.execute("UPDATE claims SET created_at = '2026-11-21T00:00:01.000Z' WHERE id = ?", [other.id])
        return fixture
    }

    @Test func countsClaimsByStateAndSumsTheDaysPayouts() throws {
        let report = try DailyReport.read(try fixture().database, day: "2026-11-20", currency: "USDT", decimals: 2)
        #expect(report.claimsByState == ["paid": 3])
        #expect(report.payouts.map(\.amount) == [300, 200, 50])
        #expect(report.total == UInt256(550))
        #expect(report.csv.hasPrefix("kind,key,value,at\npool,currency,USDT,\npool,decimals,2,\n"))
        #expect(report.csv.hasSuffix("total,payouts,550,\ntotal,payout_count,3,\ntotal,payouts_value,5.5,\n"))
        #expect(report.json["payoutTotalValue"]?.stringValue == "5.5")
        #expect(report.json["payouts"]?.arrayValue?.compactMap { $0["value"]?.stringValue } == ["3", "2", "0.5"])
        #expect(report.json["currency"]?.stringValue == "USDT")
        #expect(try DailyReport.read(try fixture().database, day: "2026-11-21", currency: "USDT", decimals: 2).claimsByState == ["requested": 1])
    }

    @Test func svgDrawsOneBarPerHourScaledToThePeak() throws {
        let svg = try DailyReport.read(try fixture().database, day: "2026-11-20", currency: "USDT", decimals: 2).svg
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.components(separatedBy: "<rect ").count - 1 == 24)
        #expect(svg.contains("<title>03:00 500.0</title>"))  // 300 + 200, the peak: full height
        #expect(svg.contains("y=\"20.0\" width=\"16\" height=\"160.0\""))
        #expect(svg.contains("<title>17:00 50.0</title>"))
        #expect(svg.contains("3 payouts, total 5.5 USDT"))
    }
}
