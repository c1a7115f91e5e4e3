import Testing
@testable import Ethereum
@testable import Keeper

/// The reconciler's nonce check: the keeper's stored transactions against the signer's
/// transaction count on-chain (`latest`) and in the node's pool (`pending`).
struct ReconcilerNonceTests {
    static let signer = try! Address(hex: "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23")

    static func verdict(highest: UInt64, unfinished: Int = 0, settled: UInt64?, latest: UInt64, pending: UInt64? = nil) -> Reconciler.NonceVerdict {
        Reconciler.nonceVerdict(sender: signer, stored: .init(highest: highest, unfinished: unfinished, highestSettled: settled),
                                latest: latest, pending: pending ?? latest)
    }

    static func mismatch(_ verdict: Reconciler.NonceVerdict) -> Mismatch? {
        if case .disagrees(let mismatch) = verdict { return mismatch }
        return nil
    }

    @Test func everyStoredNonceUsedAndNoOtherAgrees() {
        #expect(Self.verdict(highest: 4, settled: 4, latest: 5) == .agrees)
        // The highest stored transaction was dropped: its nonce went to another transaction, so it is used.
        #expect(Self.verdict(highest: 4, settled: 3, latest: 5) == .agrees)
    }

    @Test func aChainNonceAboveTheKeepersMeansAnotherPartyUsedTheKey() throws {
        let mismatch = try #require(Self.mismatch(Self.verdict(highest: 4, settled: 4, latest: 7)))
        #expect(mismatch.kind == .nonce)
        #expect(mismatch.subject == Self.signer.checksummed)
        #expect(mismatch.detail.contains("2 transaction(s) signed with the keeper's key were not sent by the keeper"))
    }

    @Test func aSettledTransactionTheChainHasNotReachedIsAMismatchEvenWithOthersInFlight() throws {
        // Nonce 4 recorded confirmed, the chain's count is 4 (nonce 4 unused): a reorg took it away.
        let mismatch = try #require(Self.mismatch(Self.verdict(highest: 5, unfinished: 1, settled: 4, latest: 4, pending: 6)))
        #expect(mismatch.kind == .nonce)
        #expect(mismatch.detail.contains("nonce 4 as mined"))
    }

    @Test func transactionsInFlightMakeTheCountsIncomparable() {
        // The keeper's own transaction is pending: the chain may or may not count it yet.
        #expect(Self.verdict(highest: 5, unfinished: 1, settled: 4, latest: 5, pending: 6) == .inconclusive)
        #expect(Self.verdict(highest: 5, unfinished: 1, settled: 4, latest: 9) == .inconclusive)
        // Nothing pending at the keeper but something in the node's pool.
        #expect(Self.verdict(highest: 4, settled: 4, latest: 5, pending: 6) == .inconclusive)
    }

    @Test func aStoredNonceAboveTheChainsWithNothingInFlightIsAMismatch() throws {
        // The highest stored transaction is final but not mined at confirmed depth (dropped), yet the chain never used its nonce.
        let mismatch = try #require(Self.mismatch(Self.verdict(highest: 6, settled: 4, latest: 5)))
        #expect(mismatch.kind == .nonce)
        #expect(mismatch.detail.contains("stored nonces up to 6"))
    }
}
