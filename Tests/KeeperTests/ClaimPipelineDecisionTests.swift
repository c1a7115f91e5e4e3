import Testing
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Settlement

/// The pipeline's decisions about the chain (issue 15), without the devnet: each test drives
/// `pass()` over claims in a real ledger, with the contract, the transaction manager and the verdict
/// engine stood in for (`ClaimPipelineDoubles.swift`), and checks the claims' states, their audit
/// rows and what was signed (function and items).
@Suite struct ClaimPipelineDecisionTests {
    static func orders(_ ids: Int...) -> [UInt256] { ids.map { UInt256(UInt64($0)) } }

    // MARK: adopt

    @Test func aVerdictOrPaymentTheContractHoldsIsAdoptedAndNothingIsSigned() async throws {
        let h = try PipelineHarness()
        let verified = try h.request(1), paid = try h.request(2)
        h.verifier.pays(1, 999)
        h.verifier.pays(2, 999)
        h.chain.record(verified, amount: UInt256(700), root: ScriptedVerifier.root(7))
        h.chain.record(paid, amount: UInt256(800), claimed: true)
        try await h.round()
        let adopted = try h.current(verified)
        #expect(adopted.state == .verified)
        #expect(adopted.amount == UInt256(700) && adopted.liquidated == true && adopted.evidenceRoot == ScriptedVerifier.root(7))
        #expect(try h.current(paid).state == .paid)
        #expect(try h.current(paid).amount == UInt256(800))
        #expect(h.verifier.calls.isEmpty, "a verdict on-chain is not asked of OKX again")
        #expect(h.transactions.simulated.isEmpty && h.transactions.stored.isEmpty, "nothing is signed")
        #expect(try h.audit(verified) == ["verified: verdict adopted from the contract"])
        #expect(try h.audit(paid) == ["paid: verdict adopted from the contract"])

        // The adopted verdict is paid as it stands on-chain, by executePayout alone.
        try await h.round()
        let sent = try h.transactions.sent()
        #expect(sent.map(\.function) == ["executePayout"] && sent.first?.orders == Self.orders(1))
        #expect(try h.current(verified).state == .executePending)
        #expect(h.verifier.calls.isEmpty)
    }

    // MARK: dropped

    @Test func aDroppedBatchIsSentAgainFromTheStoredVerdictsWithoutAskingOKXAgain() async throws {
        let h = try PipelineHarness()
        let claims = try (1...3).map { try h.request($0, trader: 0xa0 + $0) }
        for order in 1...3 { h.verifier.pays(order, 100 * UInt64(order)) }
        try await h.round()  // verifying
        try await h.round()  // the verdicts, payable now: one verifyAndPayBatch
        var sent = try h.transactions.sent()
        #expect(sent.map(\.function) == ["verifyAndPayBatch"])
        #expect(sent.first?.orders == Self.orders(1, 2, 3))
        #expect(try h.transactions.items(of: sent[0].transaction).count == 6, "each claim's verify and execute jobs")
        for claim in claims { #expect(try h.current(claim).state == .executePending) }
        let asked = h.verifier.calls.count

        // Its nonce went to another transaction; the contract shows none of the verdicts.
        try h.transactions.finish(0, .dropped)
        try await h.round()
        sent = try h.transactions.sent()
        #expect(sent.map(\.function) == ["verifyAndPayBatch", "verifyAndPayBatch"])
        #expect(sent.last?.orders == Self.orders(1, 2, 3))
        #expect(try h.transactions.arguments(1) == (try h.transactions.arguments(0)), "the same verdicts, amounts and evidence roots")
        #expect(sent[1].transaction.hash != sent[0].transaction.hash)
        #expect(h.verifier.calls.count == asked, "the stored verdicts are sent again, OKX is not asked again")
        for claim in claims {
            let now = try h.current(claim)
            #expect(now.state == .executePending)
            #expect(try h.audit(claim).last?.contains("ended dropped without the verdict on-chain: sent again (verifyAndPayBatch)") == true)
            #expect(try h.transactions.latest(for: h.pipeline.jobKey(claim, .execute))?.id == sent[1].transaction.id)
        }
    }

    // MARK: reverted

    @Test func aRevertedVerifyPayoutFailsTheClaimWithTheReason() async throws {
        let h = try PipelineHarness()
        let claim = try h.request(1)
        h.verifier.notLiquidated(1)
        try await h.round()
        try await h.round()
        let sent = try h.transactions.sent()
        #expect(sent.map(\.function) == ["verifyPayout"] && sent.first?.orders == Self.orders(1))
        #expect(try h.transactions.arguments(0)[2] == .uint(.zero) && h.transactions.arguments(0)[3] == .bool(false))
        #expect(try h.current(claim).state == .verifyPending)

        try h.transactions.finish(0, .reverted, reason: "no claim")
        try await h.round()
        let failed = try h.current(claim)
        #expect(failed.state == .failed)
        #expect(failed.reason == "verifyPayout reverted: no claim")
        #expect(h.transactions.stored.count == 1, "a revert is a failure, not a retry")
    }

    @Test func aVerifyPayoutThatWouldRevertIsNotSentAndFailsTheClaim() async throws {
        let h = try PipelineHarness()
        let claim = try h.request(1)
        h.verifier.notLiquidated(1)
        h.transactions.revert = { function, _ in function?.name == "verifyPayout" ? "no claim" : nil }
        try await h.round()
        try await h.round()
        #expect(h.transactions.simulated.map { $0?.name } == ["verifyPayout"])
        #expect(h.transactions.stored.isEmpty)
        let failed = try h.current(claim)
        #expect(failed.state == .failed)
        #expect(failed.reason?.hasPrefix("verifyPayout would revert:") == true && failed.reason?.contains("no claim") == true)
    }

    @Test func aBatchThatWouldRevertAsAWholeIsSentClaimByClaim() async throws {
        let h = try PipelineHarness()
        let a = try h.request(1, trader: 0xa1), b = try h.request(2, trader: 0xa2)
        h.verifier.pays(1, 100)
        h.verifier.pays(2, 200)
        h.transactions.revert = { function, _ in function?.name == "verifyAndPayBatch" ? "token transfer reverted" : nil }
        try await h.round()
        try await h.round()
        #expect(h.transactions.simulated.map { $0?.name } == ["verifyAndPayBatch", "verifyAndPay", "verifyAndPay"])
        let sent = try h.transactions.sent()
        #expect(sent.map(\.function) == ["verifyAndPay", "verifyAndPay"])
        #expect(h.log.contains("a whole batch would revert: its claims go one by one"))
        #expect(sent.map(\.orders) == [Self.orders(1), Self.orders(2)])
        #expect(try h.transactions.items(of: sent[0].transaction) == [h.pipeline.jobKey(a, .verify), h.pipeline.jobKey(a, .execute)])
        #expect(try h.transactions.items(of: sent[1].transaction) == [h.pipeline.jobKey(b, .verify), h.pipeline.jobKey(b, .execute)])
        #expect(try h.current(a).state == .executePending && h.current(b).state == .executePending)
    }

    // MARK: paused

    @Test func whileTheContractIsPausedAVerdictIsWrittenWithoutPaymentAndTheClaimWaitsWithoutUsingAttempts() async throws {
        let h = try PipelineHarness()
        h.pipeline.contractPaused = true
        let claim = try h.request(1)
        h.verifier.pays(1, 500)
        try await h.round()
        try await h.round()
        var sent = try h.transactions.sent()
        #expect(sent.map(\.function) == ["verifyPayout"], "verifyAndPay would revert while paused")
        #expect(try h.transactions.arguments(0)[2] == .uint(UInt256(500)) && h.transactions.arguments(0)[3] == .bool(true))
        #expect(try h.current(claim).state == .verifyPending)

        try h.transactions.finish(0, .confirmed)
        h.chain.record(claim, amount: UInt256(500), root: ScriptedVerifier.root(1))
        try await h.round()
        #expect(try h.current(claim).state == .verified)
        let audited = try h.audit(claim).count
        for _ in 0..<3 {
            let before = h.clock.now
            try await h.round()
            let waiting = try h.current(claim)
            #expect(waiting.state == .verified && waiting.attempts == 0)
            #expect(waiting.nextAttemptAt == before + h.pipeline.settings.recheckMilliseconds)
        }
        #expect(h.transactions.stored.count == 1 && h.transactions.simulated.count == 1, "nothing is tried while paused")
        #expect(try h.audit(claim).count == audited, "waiting is not a transition")

        h.pipeline.contractPaused = false
        try await h.round()
        sent = try h.transactions.sent()
        #expect(sent.map(\.function) == ["verifyPayout", "executePayout"])
        #expect(try h.current(claim).state == .executePending)
    }

    // MARK: duplicate

    @Test func twoClaimsOfOnePositionPayOnlyTheEarlierTheLaterGetsTheEnginesRefusal() async throws {
        let h = try PipelineHarness()
        let earlier = try h.request(1), later = try h.request(2)
        h.verifier.pays(1, 300, position: "P1@1700000000000")
        h.verifier.pays(2, 300, position: "P1@1700000000000")
        for _ in 0..<8 where try h.current(later).state != .verifyPending { try await h.round() }
        let paying = try h.current(earlier), refused = try h.current(later)
        #expect(paying.state == .executePending && paying.amount == UInt256(300))
        #expect(refused.state == .verifyPending && refused.amount == .zero && refused.reason == "position-already-claimed")
        let sent = try h.transactions.sent()
        #expect(sent.filter { $0.orders.contains(UInt256(1)) }.map(\.function) == ["verifyAndPay"])
        #expect(sent.filter { $0.orders.contains(UInt256(2)) }.map(\.function) == ["verifyPayout"], "the later claim is written unpaid, never paid")
        let laterVerdict = try h.transactions.arguments(sent.firstIndex { $0.orders == Self.orders(2) }!)
        #expect(laterVerdict[2] == .uint(.zero))

        for index in sent.indices { try h.transactions.finish(index, .confirmed) }
        h.chain.record(earlier, amount: UInt256(300), claimed: true, root: ScriptedVerifier.root(1))
        h.chain.record(later, amount: .zero, root: ScriptedVerifier.root(0xEE))
        try await h.round()
        #expect(try h.current(earlier).state == .paid)
        #expect(try h.current(later).state == .rejected)
    }

    @Test func aClaimWhoseJobHasATransactionInFlightIsNotPutIntoASecondOne() async throws {
        let h = try PipelineHarness()
        let a = try h.request(1, trader: 0xa1), b = try h.request(2, trader: 0xa2)
        h.verifier.pays(1, 100)
        h.verifier.pays(2, 200)
        try await h.round()  // both verifying; their answers wait
        // A verifyPayout of a's job is already in flight (sent before a crash, say).
        let data = try LeverageGuardContract.verifyPayout.encodeCall([.address(a.user), .uint(a.orderID), .uint(UInt256(100)), .bool(true),
                                                                       .bytes32(ScriptedVerifier.root(1))])
        _ = try await h.transactions.submit(h.pipeline.jobKey(a, .verify), to: PipelineHarness.contract, data: data) { _ in }
        for _ in 0..<4 { try await h.round() }
        let sent = try h.transactions.sent()
        #expect(sent.filter { $0.orders.contains(UInt256(1)) }.count == 1, "a's jobs are in no second transaction")
        #expect(sent.filter { $0.orders.contains(UInt256(2)) }.map(\.function) == ["verifyAndPay"], "b goes on without a")
        #expect(try h.current(a).state == .verifying)
        #expect(try h.current(b).state == .executePending)
        #expect(h.log.contains("verifyAndPayBatch not sent: a claim's job has a transaction in flight"), "the batch of a and b was refused whole")

        // The transaction in flight ends with the verdict on-chain: a adopts it.
        try h.transactions.finish(0, .confirmed)
        h.chain.record(a, amount: UInt256(100), root: ScriptedVerifier.root(1))
        try await h.round()
        #expect(try h.current(a).state == .verified)
        #expect(try h.transactions.sent().filter { $0.orders.contains(UInt256(1)) }.count == 1)
    }

    // MARK: batch-partial

    @Test func aPartlyDoneBatchIsReadFromTheContractClaimByClaim() async throws {
        let h = try PipelineHarness()
        let claims = try (1...3).map { try h.request($0, trader: 0xa0 + $0) }
        for order in 1...3 { h.verifier.pays(order, 100 * UInt64(order)) }
        try await h.round()
        try await h.round()
        #expect(try h.transactions.sent().map(\.function) == ["verifyAndPayBatch"])
        try h.transactions.finish(0, .confirmed)
        // The contract did all of 1, skipped the payment of 2 (its verdict stays) and skipped 3 altogether.
        h.chain.record(claims[0], amount: UInt256(100), claimed: true, root: ScriptedVerifier.root(1))
        h.chain.record(claims[1], amount: UInt256(200), claimed: false, root: ScriptedVerifier.root(2))
        // Two more claims, verified on-chain and unpaid: they will be paid in a batch beside 2.
        let d = try h.request(4, trader: 0xa4), e = try h.request(5, trader: 0xa5)
        h.chain.record(d, amount: UInt256(400), root: ScriptedVerifier.root(4))
        h.chain.record(e, amount: UInt256(500), root: ScriptedVerifier.root(5))
        let asked = h.verifier.calls.count
        try await h.round()
        #expect(try h.current(claims[0]).state == .paid)
        #expect(try h.current(claims[1]).state == .verified)
        #expect(try h.current(claims[2]).state == .executePending)
        #expect(try h.audit(claims[2]).last?.contains("without the verdict on-chain: sent again") == true)
        var sent = try h.transactions.sent()
        #expect(sent.map(\.function) == ["verifyAndPayBatch", "verifyAndPay"])
        #expect(sent.last?.orders == Self.orders(3))
        #expect(try h.transactions.arguments(1)[2] == .uint(UInt256(300)), "the stored verdict")
        #expect(h.verifier.calls.count == asked)

        try await h.round()
        sent = try h.transactions.sent()
        #expect(sent.map(\.function) == ["verifyAndPayBatch", "verifyAndPay", "executePayout", "executePayoutBatch"])
        #expect(sent[2].orders == Self.orders(2), "the skipped payment is tried alone, so that a refusal names itself")
        #expect(sent[3].orders == Self.orders(4, 5))
        for claim in [claims[1], d, e] { #expect(try h.current(claim).state == .executePending) }
    }

    // MARK: concurrency

    @Test func verificationsRunAtMostMaxConcurrentAtOnceAndAllAreDecided() async throws {
        let h = try PipelineHarness(maxConcurrentVerifications: 2, verifierDelay: .milliseconds(30), verifierOverlap: 2)
        let claims = try (1...5).map { try h.request($0, trader: 0xa0 + $0) }
        for order in 1...5 { h.verifier.pays(order, 10 * UInt64(order)) }
        var rounds = 0
        while rounds < 12, try claims.contains(where: { [.requested, .verifying].contains(try h.current($0).state) }) {
            try await h.round()
            rounds += 1
        }
        #expect(h.verifier.mostAtOnce == 2)
        #expect(h.verifier.calls.count == 5, "each claim asked of OKX once: \(h.verifier.calls)")
        #expect(rounds <= 4, "a slot freed by an answer is used by the same pass")
        for claim in claims { #expect(try h.current(claim).state == .executePending) }
        #expect(Set(h.verifier.calls) == Set(Self.orders(1, 2, 3, 4, 5)))
        let paid = try h.transactions.sent().flatMap(\.orders)
        #expect(paid.sorted() == Self.orders(1, 2, 3, 4, 5), "each claim in exactly one transaction")
    }
}
