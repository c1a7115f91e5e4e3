import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Settlement
@testable import Store

/// What people read, through the binary: `claims list`, `claims show`, `status`, `report` and `keys add`
/// on a database built here (no node: `status` reports it unreachable). A trader's instId holding a
/// newline and an ANSI colour never reaches the terminal raw.
@Suite struct OutputCommandTests {
    static let injected = "BTC-USDT\n\u{1B}[31mPAID-IN-FULL"
    static let user = "0x00000000000000000000000000000000000000aa"

    /// A database with four claims — one with the injected instId, one paid, one rejected, one over the
    /// daily limit — and a config whose pool is USDT with 6 decimals.
    struct Scratch {
        let directory: String
        let config: String
        let database: Database

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-output-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = "\(directory)/keeper.sqlite"
            database = try Database(path: path)
            try KeeperSchema.migrator.migrate(database)
            try database.execute("""
                INSERT INTO cursor (id, chain_id, contract, start_block, next_block, head_block, confirmed_block, rescanned_block, updated_at)
                VALUES (1, 1337, '0x5fbdb2315678afecb367f032d93f642f64180aa3', 0, 100, 99, 90, 0, 'now')
                """)
            config = "\(directory)/keeper.json"
            try """
            {"chain": {"rpcUrls": ["http://127.0.0.1:1"], "chainId": 1337, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
             "pool": {"currency": "USDT", "decimals": 6}, "store": {"path": "\(path)"}, "evidence": {"dir": "\(directory)/evidence"}}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        }

        func remove() { try? FileManager.default.removeItem(atPath: directory) }

        @discardableResult
        func claim(_ order: Int, instID: String = "ETH-USDT-SWAP", through states: [ClaimState] = [], amount: UInt256? = nil,
                   liquidated: Bool = true, reason: String? = nil) throws -> Claim {
            try database.execute("""
                INSERT INTO claims (chain_id, user, order_id, inst_id, principal, leverage, state, request_block_number, request_block_hash,
                    request_tx_hash, request_log_index, created_at, updated_at)
                VALUES (1337, ?, ?, ?, '2500000000', 10, 'requested', ?, ?, ?, 0, '2026-11-20T01:00:00.000Z', 'now')
                """, [OutputCommandTests.user, String(order), instID, order, "0x" + String(repeating: "ab", count: 32), "0x" + String(format: "%064x", order)])
            let ledger = ClaimLedger(database: database)
            var claim = try #require(try ledger.claim(user: try Address(hex: OutputCommandTests.user), orderID: UInt256(UInt64(order))))
            for (index, state) in states.enumerated() {
                let last = index == states.count - 1
                try ledger.transition(claim, to: state, .init(amount: index == 0 ? amount : nil, liquidated: index == 0 && amount != nil ? liquidated : nil,
                                                              reason: last && reason != nil ? .some(reason) : nil))
                claim = try #require(try ledger.claim(id: claim.id))
            }
            return claim
        }

        func run(_ arguments: [String]) throws -> KeeperBinary.Result { try KeeperBinary.run(arguments + ["--config", config]) }
    }

    static let overLimit = PayoutPolicy(maxPayoutPerClaim: UInt256(10_000_000_000), dailyLimit: UInt256(1_000_000_000), minPoolReserve: .zero,
                                        reviewAbove: UInt256(10_000_000_000), denylist: [], unit: PoolUnit(currency: "USDT", decimals: 6))

    func populated() throws -> Scratch {
        let scratch = try Scratch()
        try scratch.claim(1, instID: Self.injected)
        try scratch.claim(2, through: [.verifying, .verifyPending, .verified, .executePending, .paid], amount: UInt256(12_500_000))
        try scratch.claim(3, through: [.verifying, .verifyPending, .rejected], amount: .zero, liquidated: false)
        let why = Self.overLimit.decide(.init(user: try Address(hex: Self.user), amount: UInt256(1_500_000_000), usedToday: .zero,
                                              poolBalance: UInt256(10_000_000_000), approved: false))
        guard case .overLimit(let reason) = why else { Issue.record("\(why)"); return scratch }
        try scratch.claim(4, through: [.verifying, .verifyPending, .verified, .awaitingLimit], amount: UInt256(1_500_000_000), reason: reason)
        return scratch
    }

    /// No ESC, no C1 control, and no line but the ones the command writes.
    static func expectNothingRaw(_ text: String, _ what: String) {
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || (0x80...0x9F).contains($0.value) }, "\(what): \(text.debugDescription)")
        #expect(!text.contains("\nPAID-IN-FULL") && !text.contains("\u{1B}[31m"), "\(what) printed the instId raw: \(text.debugDescription)")
    }

    @Test func claimsListIsAnAlignedTableInPoolUnitsAndEscapesTheInstrument() throws {
        let scratch = try populated()
        defer { scratch.remove() }
        let listed = try scratch.run(["claims", "list"])
        #expect(listed.status == 0, "\(listed.stderr)")
        Self.expectNothingRaw(listed.stdout, "claims list")
        let lines = listed.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(lines.count == 1 + 4, "a header and one line per claim: \(lines)")
        let header = try #require(lines.first)
        #expect(header.hasPrefix("USER") && header.contains("ORDER") && header.contains("STATE") && header.contains("PRINCIPAL USDT")
                && header.contains("PAYOUT USDT") && header.contains("WHY"))
        // Aligned: every row's STATE starts under the header's.
        let stateColumn = try #require(header.range(of: "STATE")).lowerBound.utf16Offset(in: header)
        for line in lines.dropFirst() {
            let state = line.dropFirst(stateColumn).prefix { $0 != " " }
            #expect(ClaimState(rawValue: String(state)) != nil, "\(line)")
        }
        #expect(lines[1].contains("BTC-USDT\\n\\x1b[31mPAID-IN-FULL"))
        #expect(lines[1].contains(" 2500 "), "principal 2500000000 base units is 2500 USDT: \(lines[1])")
        #expect(lines[2].hasSuffix(" 12.5"), "\(lines[2])")
        #expect(lines[4].contains("awaiting_limit") && lines[4].contains("1500") && lines[4].contains("over the daily limit 1000 USDT"), "\(lines[4])")

        // --json is as before: the instId as recorded (escaped by JSON itself), amounts in base units.
        let json = try scratch.run(["claims", "list", "--json"])
        let claims = try #require(try JSON(parsing: json.stdout).arrayValue)
        #expect(claims.count == 4 && claims[0]["instId"]?.stringValue == Self.injected && claims[1]["amount"]?.stringValue == "12500000")
        Self.expectNothingRaw(json.stdout, "claims list --json")
    }

    @Test func claimsShowIsReadableByDefaultAndJSONOnRequest() throws {
        let scratch = try populated()
        defer { scratch.remove() }
        let shown = try scratch.run(["claims", "show", Self.user, "1"])
        #expect(shown.status == 0, "\(shown.stderr)")
        Self.expectNothingRaw(shown.stdout, "claims show")
        let lines = shown.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("instrument ") && $0.hasSuffix("BTC-USDT\\n\\x1b[31mPAID-IN-FULL") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("principal ") && $0.hasSuffix("2500 USDT (2500000000 base units)") }, "\(lines)")
        #expect(lines.contains("history"))

        let paid = try scratch.run(["claims", "show", Self.user, "2"])
        #expect(paid.stdout.contains("paid (final)") && paid.stdout.contains("12.5 USDT (12500000 base units)"))
        #expect(paid.stdout.contains("verified → execute_pending") && paid.stdout.contains("execute_pending → paid"), "\(paid.stdout)")

        let json = try scratch.run(["claims", "show", Self.user, "1", "--json"])
        let object = try JSON(parsing: json.stdout)
        #expect(object["instId"]?.stringValue == Self.injected && object["history"]?.arrayValue != nil)
    }

    @Test func statusShowsOpenAndFinalClaimsApartAndWhatCannotMove() throws {
        let scratch = try populated()
        defer { scratch.remove() }
        let status = try scratch.run(["status"])
        #expect(status.status == 0, "\(status.stderr)")
        let lines = status.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("claims open     2 (awaiting_limit=1 requested=1) — actionable now 2"), "\(lines)")
        #expect(lines.contains("claims final    2 (paid=1 rejected=1)"), "\(lines)")
        #expect(lines.contains("cannot move     1 claim above the daily limit (alert claim_over_limit):"), "\(lines)")
        #expect(lines.contains { $0.hasPrefix("  \(Self.user)/4  over the daily limit 1000 USDT") }, "\(lines)")
        let json = try JSON(parsing: try scratch.run(["status", "--json"]).stdout)
        #expect(json["actionableClaims"]?.intValue == 2 && json["finalClaims"]?.intValue == 2 && json["openClaims"]?.intValue == 2)
        #expect(json["overLimitClaims"]?.arrayValue?.first?["claim"]?.stringValue == "\(Self.user)/4")
    }

    @Test func reportRefusesDaysThatDoNotExist() throws {
        let scratch = try populated()
        defer { scratch.remove() }
        for day in ["2026-13-01", "2026-02-30", "2026-11-20\u{1B}[31m"] {
            let report = try scratch.run(["report", "--day", day, "--format", "csv"])
            #expect(report.status == 65, "\(day): \(report.stdout) \(report.stderr)")
            #expect(report.stderr.hasPrefix("lg-keeper: --day") && report.stderr.contains("is not a date"), "\(report.stderr)")
            #expect(report.stderr.split(separator: "\n").count == 1 && !report.stderr.contains("\u{1B}") && report.stdout.isEmpty)
        }
        #expect(try scratch.run(["report", "--day", "2026-11-20", "--days", "0"]).status == 65)
        let csv = try scratch.run(["report", "--day", "2026-11-22", "--days", "3", "--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let rows = csv.stdout.split(separator: "\n")
        #expect(rows.first == "user,order,state,amount,currency,amount_raw,verdict_tx,payout_tx,requested_at,verified_at,paid_at")
        #expect(rows.count == 1 + 4 && rows.contains { $0.hasPrefix("\(Self.user),2,paid,12.5,USDT,12500000,") }, "\(csv.stdout)")
    }

    @Test func errorsEchoOutsideTextEscapedAndCutShort() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let unknown = try KeeperBinary.run(["frob\u{1B}[2Jnicate"])
        #expect(unknown.status == 64 && unknown.stderr.contains("frob\\x1b[2Jnicate") && !unknown.stderr.contains("\u{1B}"), "\(unknown.stderr)")
        let long = try scratch.run(["claims", "show", String(repeating: "x", count: 10_000), "1"])
        // The error line is cut short; the command's own usage lines follow it.
        let errorLine = long.stderr.split(separator: "\n").first ?? ""
        #expect(long.status == 64 && errorLine.contains("…") && errorLine.count < 200 && !long.stderr.contains(String(repeating: "x", count: 100)), "\(long.stderr.prefix(500))")
    }
}
