import Foundation
import Testing
import Verification

@Suite struct PayoutTests {
    static func policy(bps: Int = 10_000, max: Decimal = 1_000_000_000_000, adl: Bool = true) throws -> CoveragePolicy {
        try CoveragePolicy(currency: "USDT", poolDecimals: 6, coverageBps: bps, maxPayoutPerClaim: max, coverADL: adl, maxClaimAgeDays: 30)
    }
    static let liquidated = Verdict(reason: .forcedLiquidation, liquidatedAt: 1)

    @Test func lossCappedByPrincipalAndMaximumThenCoverageRoundedDown() throws {
        // 53.575 USDT at 6 decimals = 53_575_000 units.
        let full = Payout(verdict: Self.liquidated, realizedPnl: Decimal(string: "-53.575"), principal: 1_000_000_000, policy: try Self.policy(), tooOld: false)
        #expect(full.amount == 53_575_000 && full.refusal == nil && full.loss == Decimal(string: "53.575"))
        let byPrincipal = Payout(verdict: Self.liquidated, realizedPnl: -325, principal: 300_000_000, policy: try Self.policy(), tooOld: false)
        #expect(byPrincipal.amount == 300_000_000)
        let byMaximum = Payout(verdict: Self.liquidated, realizedPnl: -325, principal: 400_000_000, policy: try Self.policy(max: 100_000_001), tooOld: false)
        #expect(byMaximum.amount == 100_000_001)
        // 33.33% of 100_000_001 = 33_330_000.3333 → 33_330_000.
        let partial = Payout(verdict: Self.liquidated, realizedPnl: -325, principal: 400_000_000, policy: try Self.policy(bps: 3333, max: 100_000_001), tooOld: false)
        #expect(partial.amount == 33_330_000)
        // Sub-unit losses round down: 0.0000019 USDT = 1.9 units → 1 unit.
        let tiny = Payout(verdict: Self.liquidated, realizedPnl: Decimal(string: "-0.0000019"), principal: 10, policy: try Self.policy(), tooOld: false)
        #expect(tiny.amount == 1)
    }

    @Test func refusals() throws {
        let policy = try Self.policy(adl: false)
        #expect(Payout(verdict: Verdict(reason: .manualClose, liquidatedAt: 5), realizedPnl: -50, principal: 1_000_000_000, policy: policy, tooOld: false).refusal == "not-liquidated")
        #expect(Payout(verdict: Verdict(reason: .adl, liquidatedAt: 5), realizedPnl: -22, principal: 1_000_000_000, policy: policy, tooOld: false).refusal == "adl-not-covered")
        #expect(Payout(verdict: Verdict(reason: .adl, liquidatedAt: 5), realizedPnl: -22, principal: 1_000_000_000, policy: try Self.policy(), tooOld: false).amount == 22_000_000)
        #expect(Payout(verdict: Self.liquidated, realizedPnl: -580, principal: 1_000_000_000, policy: policy, tooOld: true).refusal == "claim-too-old")
        let again = Payout(verdict: Self.liquidated, realizedPnl: -325, principal: 1_000_000_000, policy: policy, tooOld: false, alreadyClaimed: true)
        #expect(again.refusal == "position-already-claimed" && again.amount == 0 && again.loss == 325)
        let gain = Payout(verdict: Self.liquidated, realizedPnl: 3, principal: 1_000_000_000, policy: policy, tooOld: false)
        #expect(gain.refusal == "no-loss" && gain.amount == 0 && gain.loss == 0)
        #expect(throws: VerificationError.self) { try CoveragePolicy(currency: "USDT", poolDecimals: 6, coverageBps: 10_001, maxPayoutPerClaim: 1, coverADL: true, maxClaimAgeDays: 1) }
        #expect(throws: VerificationError.self) { try CoveragePolicy(currency: "USDT", poolDecimals: 6, coverageBps: 1, maxPayoutPerClaim: Decimal(string: "1.5") ?? 0, coverADL: true, maxClaimAgeDays: 1) }
    }
}
