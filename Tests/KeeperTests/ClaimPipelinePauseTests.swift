import Testing
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Settlement
@testable import Store

/// The pause is read again inside the commit that stores a payment (issue 16): a pause set after
/// the pipeline last looked — between its check and the commit, as the reconciler may — stops the
/// payment; nothing that pays is stored or sent, while a verdict alone still goes.
@Suite struct ClaimPipelinePauseTests {
    /// While the simulation of a paying call runs (after the pipeline's own check), the keeper is paused.
    final class Count { var value = 0 }

    static func pauseDuringPayingSimulations(_ h: PipelineHarness) -> Count {
        let paused = Count()
        let database = h.fixture.database
        h.transactions.revert = { function, _ in
            guard let name = function?.name, name.hasPrefix("verifyAndPay") || name.hasPrefix("executePayout") else { return nil }
            do { try KeeperControl.pause(database, reason: "reconciliation mismatch") } catch { return "cannot pause: \(error)" }
            paused.value += 1
            return nil
        }
        return paused
    }

    @Test func aPauseSetBeforeTheCommitStopsVerifyAndPayButNotTheVerdict() async throws {
        let h = try PipelineHarness()
        let claim = try h.request(1)
        h.verifier.pays(1, 999)
        try await h.round()  // verifying
        let paused = Self.pauseDuringPayingSimulations(h)
        try await h.round()  // the verdict, payable: verifyAndPay is simulated, the pause lands, the verdict goes alone
        #expect(paused.value >= 1)
        let sent = try h.transactions.sent()
        #expect(sent.map(\.function) == ["verifyPayout"], "\(sent.map(\.function))")
        #expect(try h.current(claim).state == .verifyPending)
    }

    @Test func aPauseSetBeforeTheCommitStopsExecutePayout() async throws {
        let h = try PipelineHarness()
        let claim = try h.request(1)
        h.chain.record(claim, amount: UInt256(700), root: ScriptedVerifier.root(7))
        try await h.round()  // the verdict on-chain is adopted: verified
        #expect(try h.current(claim).state == .verified)
        let paused = Self.pauseDuringPayingSimulations(h)
        try await h.round()
        #expect(paused.value >= 1)
        #expect(try h.transactions.sent().isEmpty, "nothing that pays is stored while paused")
        #expect(try h.current(claim).state == .verified)

        // Resumed: the payment goes.
        h.transactions.revert = { _, _ in nil }
        try KeeperControl.resume(h.fixture.database, by: "test")
        try await h.round()
        #expect(try h.transactions.sent().map(\.function) == ["executePayout"])
        #expect(try h.current(claim).state == .executePending)
    }
}
