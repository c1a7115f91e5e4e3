import Testing
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Settlement
@testable import Store

/// A verified claim above the daily limit can never be paid: it waits in `awaiting_limit` saying why, and
/// `claim_over_limit` is raised once for it, delivered or not (issue 16).
@Suite struct ClaimOverLimitTests {
    @Test func aClaimAboveTheContractsDailyLimitWaitsSayingWhyAndIsAlertedOnce() async throws {
        let h = try PipelineHarness()
        h.chain.contractDailyLimit.withLock { $0 = UInt256(500) }
        let over = try h.request(1, trader: 0xa1), within = try h.request(2, trader: 0xa2)
        h.chain.record(over, amount: UInt256(900))
        h.chain.record(within, amount: UInt256(400))
        try await h.round()  // both verdicts adopted from the contract
        #expect(try h.current(over).state == .verified && h.current(within).state == .verified)
        try await h.round()

        let waiting = try h.current(over)
        #expect(waiting.state == .awaitingLimit)
        #expect(waiting.reason == "over the daily limit 500 base units (the contract's dailyPayoutLimit): 900 base units cannot be paid on any day until the limit is raised")
        #expect(waiting.reason?.hasPrefix(PayoutPolicy.overLimitReason) == true)
        #expect(try h.current(within).state == .executePending, "a claim within the limit is paid as usual")
        let alerts = { try h.fixture.database.fetchAll("SELECT kind, dedupe_key FROM alerts WHERE kind = 'claim_over_limit'") }
        #expect(try alerts().count == 1)
        #expect(try alerts().first?.get("dedupe_key", as: String.self) == "claim_over_limit:\(over.subject)")

        // Delivered, then looked at again day after day: no second alert, no new audit row.
        try h.fixture.database.execute("UPDATE alerts SET delivered_at = 'now' WHERE kind = 'claim_over_limit'")
        let transitions = try h.audit(over).count
        for _ in 0..<3 { try await h.round() }
        #expect(try h.current(over).state == .awaitingLimit)
        #expect(try alerts().count == 1)
        #expect(try h.audit(over).count == transitions)

        // A limit raised, but not enough: the reason says the new limit; still one alert for the claim.
        h.chain.contractDailyLimit.withLock { $0 = UInt256(600) }
        try await h.round()
        #expect(try h.current(over).reason?.hasPrefix("over the daily limit 600 base units") == true)
        #expect(try alerts().count == 1)

        // The owner raises the limit: the claim is paid on its own.
        h.chain.contractDailyLimit.withLock { $0 = UInt256(10_000) }
        try await h.round()
        #expect(try h.current(over).state == .executePending)
    }
}
