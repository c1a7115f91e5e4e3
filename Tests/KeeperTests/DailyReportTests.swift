import Foundation
import TestSupport
import Testing
@testable import Ethereum
@testable import Keeper
@testable import Settlement
@testable import Store

@Suite struct DailyReportTests {
    let user = "0x00000000000000000000000000000000000000aa"
    /// Whole USDT in base units (6 decimals).
    static func usdt(_ amount: UInt64) -> UInt256 { UInt256(amount * 1_000_000) }
    static let verdictTx = "0x" + String(repeating: "11", count: 32), payoutTx = "0x" + String(repeating: "22", count: 32)

    /// Three days, 2026-11-18 to 2026-11-20, and one claim after them. On the 20th three claims are paid
    /// (300, 200 and 50 USDT, at known hours); on the 19th one is paid (900 USDT) and one waits over the
    /// limit; on the 18th one is verified "not liquidated" and one failed.
    func fixture() throws -> ClaimFixture {
        let fixture = try ClaimFixture()
        try fixture.database.execute("DROP TRIGGER IF EXISTS audit_log_no_update")  // test only: place transitions at known times
        func requested(_ order: Int, on day: String) throws -> Claim {
            let claim = try fixture.insertClaim(user: user, orderID: order, block: 10 + order)
            try fixture.database.execute("UPDATE claims SET created_at = ? WHERE id = ?", ["\(day)T01:00:00.000Z", claim.id])
            return try fixture.ledger.claim(id: claim.id)!
        }
        func move(_ claim: Claim, through states: [ClaimState], amount: UInt256, liquidated: Bool = true, lastAt: String? = nil) throws {
            var claim = claim
            for (index, next) in states.enumerated() {
                try fixture.ledger.transition(claim, to: next, index == 0 ? .init(amount: amount, liquidated: liquidated) : .init())
                claim = try fixture.ledger.claim(id: claim.id)!
            }
            if let lastAt { try fixture.database.execute("UPDATE audit_log SET at = ? WHERE id = (SELECT max(id) FROM audit_log)", [lastAt]) }
        }
        let toPaid: [ClaimState] = [.verifying, .verifyPending, .verified, .executePending, .paid]
        for (order, amount, paidAt) in [(1, 300, "2026-11-20T03:15:00.000Z"), (2, 200, "2026-11-20T03:59:00.000Z"), (3, 50, "2026-11-20T17:00:00.000Z")] {
            try move(try requested(order, on: "2026-11-20"), through: toPaid, amount: Self.usdt(UInt64(amount)), lastAt: paidAt)
        }
        try move(try requested(7, on: "2026-11-19"), through: toPaid, amount: Self.usdt(900), lastAt: "2026-11-19T12:00:00.000Z")
        try move(try requested(6, on: "2026-11-19"), through: [.verifying, .verifyPending, .verified, .awaitingLimit], amount: Self.usdt(1_500))
        try move(try requested(5, on: "2026-11-18"), through: [.verifying, .verifyPending, .rejected], amount: .zero, liquidated: false)
        try move(try requested(8, on: "2026-11-18"), through: [.failed], amount: .zero)
        _ = try requested(4, on: "2026-11-21")
        for (name, hash) in [("PayoutVerified", Self.verdictTx), ("PayoutExecuted", Self.payoutTx)] {
            try fixture.database.execute("""
                INSERT INTO events (chain_id, block_number, block_hash, tx_hash, tx_index, log_index, address, name, user, order_id, data, indexed_at)
                VALUES (1337, 20, ?, ?, 0, ?, '0x0000000000000000000000000000000000000001', ?, ?, '1', '{}', 'now')
                """, ["0x" + String(repeating: "cd", count: 32), hash, name == "PayoutVerified" ? 0 : 1, name, user])
        }
        return fixture
    }

    func report(to day: String, days: Int = 1) throws -> DailyReport {
        try DailyReport.read(try fixture().database, to: try #require(ReportDay(day)), days: days, currency: "USDT", decimals: 6,
                             dailyLimit: Self.usdt(1_000))
    }

    @Test func countsClaimsByStateAndSumsTheDaysPayouts() throws {
        let report = try report(to: "2026-11-20")
        #expect(report.claimsByState == ["paid": 3])
        #expect(report.payouts.map(\.amount) == [300, 200, 50].map { Self.usdt($0) })
        #expect(report.json["payoutTotalValue"]?.stringValue == "550")
        #expect(report.json["payouts"]?.arrayValue?.compactMap { $0["value"]?.stringValue } == ["300", "200", "50"])
        #expect(report.json["currency"]?.stringValue == "USDT" && report.json["from"]?.stringValue == "2026-11-20")
        #expect(try self.report(to: "2026-11-21").claimsByState == ["requested": 1])
    }

    @Test func aRangeEndsWithTheDayAndCoversEachOutcome() throws {
        let report = try report(to: "2026-11-20", days: 3)
        #expect(report.from.description == "2026-11-18" && report.days.count == 3)
        #expect(report.claimsByState == ["paid": 4, "awaiting_limit": 1, "rejected": 1, "failed": 1])
        #expect(report.claims.map(\.orderID) == ["1", "2", "3", "5", "6", "7", "8"])
        let outcomes = Dictionary(uniqueKeysWithValues: report.claims.map { ($0.orderID, $0.outcome) })
        #expect(outcomes == ["1": .paid, "2": .paid, "3": .paid, "7": .paid, "5": .notLiquidated, "6": .waiting, "8": .other])
        #expect(report.total == Self.usdt(1_450))
    }

    @Test func csvHasAHeaderAndOneRowPerClaimWithAmountsTransactionsAndTimes() throws {
        let lines = try report(to: "2026-11-20", days: 3).csv.split(separator: "\n").map(String.init)
        #expect(lines.first == "user,order,state,amount,currency,amount_raw,verdict_tx,payout_tx,requested_at,verified_at,paid_at")
        #expect(lines.count == 1 + 7)
        let first = lines[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(first.count == 11)
        #expect(Array(first[0...7]) == [user, "1", "paid", "300", "USDT", "300000000", Self.verdictTx, Self.payoutTx])
        #expect(first[8] == "2026-11-20T01:00:00.000Z" && first[10] == "2026-11-20T03:15:00.000Z")
        #expect(first[9].wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
        let waiting = try #require(lines.first { $0.contains(",6,") }).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(waiting[2] == "awaiting_limit" && waiting[3] == "1500" && waiting[6].isEmpty && waiting[10].isEmpty)
    }

    @Test func svgIsAChartWithAxesALegendAndTheDailyLimit() throws {
        let svg = try report(to: "2026-11-20", days: 3).svg
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains(">LeverageGuard settlement report, 2026-11-18 to 2026-11-20 (UTC)</text>"))
        for label in ["paid", "not liquidated", "waiting", "other", "paid out", "daily limit (1000 USDT)", ">claims</text>", ">USDT</text>", ">day (UTC)</text>", ">11-19</text>"] {
            #expect(svg.contains(label), "\(label)")
        }
        #expect(svg.contains("<title>2026-11-20: 550 USDT paid</title>"))
        #expect(svg.contains("<title>2026-11-19: 900 USDT paid</title>"))
        #expect(svg.contains("stroke-dasharray=\"6 4\"/>"))  // the limit line
        #expect(svg.contains(">1,000</text>"))  // the payout axis reaches the limit, in pool units
    }

    /// The chart as a person sees it: rsvg-convert (Debian librsvg2-bin, installed by `make test`) renders it.
    @Test func svgRendersToAPNGOfItsSize() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let svgFile = directory.appendingPathComponent("report.svg"), pngFile = directory.appendingPathComponent("report.png")
        try try report(to: "2026-11-20", days: 3).svg.write(to: svgFile, atomically: true, encoding: .utf8)
        let converted = try Subprocess.run("/usr/bin/env", ["rsvg-convert", "--format", "png", "--output", pngFile.path, svgFile.path])
        let stderr = String(decoding: converted.stderr, as: UTF8.self)
        try #require(converted.termination == .exited(0), "rsvg-convert failed (is librsvg2-bin installed? `make deps`): \(stderr)")
        let png = [UInt8](try Data(contentsOf: pngFile))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        func word(_ at: Int) -> Int { png[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        #expect(png.count > 10_000, "a chart, not an empty page")
        #expect(word(16) == 800 && word(20) == 600)  // IHDR: width, height
        if let keep = ProcessInfo.processInfo.environment["LGK_REPORT_PNG"] {  // to look at it: LGK_REPORT_PNG=/path swift test --filter DailyReport
            try Data(png).write(to: URL(fileURLWithPath: keep))
        }
    }
}

@Suite struct ReportDayTests {
    @Test func onlyDaysOfTheCalendarParse() {
        for bad in ["2026-13-01", "2026-02-30", "2026-02-29", "2026-04-31", "2026-00-10", "2026-01-00", "2026-1-01", "26-01-01", "2026-01-01x", "２０２６-01-01"] {
            #expect(ReportDay(bad) == nil, "\(bad)")
        }
        #expect(ReportDay("2024-02-29") != nil && ReportDay("2000-02-29") != nil && ReportDay("1900-02-29") == nil)
        #expect(ReportDay("1970-01-01")?.ordinal == 0)
        #expect(ReportDay("2026-11-20")?.ordinal == 20_777)
    }

    @Test func daysCountAcrossMonthsAndYears() {
        #expect(ReportDay("2026-03-01")?.adding(days: -1).description == "2026-02-28")
        #expect(ReportDay("2024-12-31")?.adding(days: 1).description == "2025-01-01")
        #expect(ReportDay(epochSeconds: 1_763_596_800).description == "2025-11-20")
        for text in ["1969-12-31", "2000-02-29", "2026-11-20", "2400-12-31"] { #expect(ReportDay(text)?.description == text) }
    }
}
