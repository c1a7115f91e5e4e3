import Foundation

/// What a verdict is worth, in pool units, and why.
///
/// amount = ⌊ min(loss × 10^poolDecimals, principal, maxPayoutPerClaim) × coverageBps / 10000 ⌋,
/// where loss is the position's negative `realizedPnl` (fees, funding and the liquidation penalty
/// included), and the amount is 0 when the position was not liquidated, when it was
/// auto-deleveraged and ADL is not covered, or when the claim is refused (too old, or its position's
/// loss already covered by another claim: one liquidation is insured once, whichever order is claimed).
public struct Payout: Sendable, Equatable {
    /// The realized loss in the settlement currency (0 for a gain), as a decimal string.
    public let loss: Decimal
    /// Pool units paid.
    public let amount: Decimal
    /// Why the amount is 0 when it is: `not-liquidated`, `adl-not-covered`, `claim-too-old`,
    /// `position-already-claimed`, `no-loss`; nil when payable.
    public let refusal: String?

    /// - Parameters:
    ///   - realizedPnl: the position's `realizedPnl`; nil when no closed position was found.
    ///   - principal: the principal declared on-chain, in pool units.
    ///   - alreadyClaimed: another claim already covers the matched position's loss.
    public init(verdict: Verdict, realizedPnl: Decimal?, principal: Decimal, policy: CoveragePolicy, tooOld: Bool, alreadyClaimed: Bool = false) {
        let loss = max(0, -(realizedPnl ?? 0))
        self.loss = loss
        let refusal: String? = if tooOld { "claim-too-old" }
            else if !verdict.liquidated { "not-liquidated" }
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
