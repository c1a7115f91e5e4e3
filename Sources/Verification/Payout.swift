import Foundation

/// What a verdict is worth, in pool units, and why.
///
/// amount = ⌊ min(loss × 10^poolDecimals, principal, maxPayoutPerClaim) × coverageBps / 10000 ⌋,
/// where loss is what the liquidation realised in the position's settlement currency (fees, funding
/// and the liquidation penalty included; `VerdictRules.LossBasis`), and the amount is 0 when the
/// position was not liquidated, when its settlement currency is not the pool's (nothing is converted
/// at a guessed price), when it was auto-deleveraged and ADL is not covered, or when the claim is
/// refused (too old, or its position's loss already covered by another claim: one liquidation is
/// insured once, whichever order is claimed).
public struct Payout: Sendable, Equatable {
    /// The loss in the settlement currency (0 for a gain).
    public let loss: Decimal
    /// Pool units paid.
    public let amount: Decimal
    /// Why the amount is 0 when it is: `claim-too-old`, `not-liquidated`, `currency-not-covered`,
    /// `adl-not-covered`, `position-already-claimed`, `no-loss`; nil when payable.
    public let refusal: String?

    /// - Parameters:
    ///   - loss: the loss the verdict covers, in the settlement currency (non-negative).
    ///   - principal: the principal declared on-chain, in pool units.
    ///   - settlementCurrency: the position's settlement currency; paid only when it is `policy.currency`.
    ///   - alreadyClaimed: another claim already covers the matched position's loss.
    public init(verdict: Verdict, loss: Decimal, settlementCurrency: String?, principal: Decimal, policy: CoveragePolicy,
                tooOld: Bool, alreadyClaimed: Bool = false) {
        let loss = max(0, loss)
        self.loss = loss
        let covered = settlementCurrency.map { $0.uppercased() == policy.currency.uppercased() } ?? false
        let refusal: String? = if tooOld { "claim-too-old" }
            else if !verdict.liquidated { "not-liquidated" }
            else if !covered { "currency-not-covered" }
            else if verdict.reason == .adl && !policy.coverADL { "adl-not-covered" }
            else if alreadyClaimed { "position-already-claimed" }
            else if loss == 0 { "no-loss" }
            else { nil }
        self.refusal = refusal
        guard refusal == nil else { amount = 0; return }
        var scale = Decimal(1)
        for _ in 0..<policy.poolDecimals { scale *= 10 }
        let lossUnits = (loss * scale).roundedDown(0)
        let capped = min(lossUnits, max(0, principal.roundedDown(0)), policy.maxPayoutPerClaim)
        amount = (capped * Decimal(policy.coverageBps) / 10_000).roundedDown(0)
    }
}
