import Foundation

/// What one verification is asked: the claimed order, and what the claim states about it.
/// Holds no credentials: those are bound into the exchange client the verifier is given.
public struct VerificationRequest: Sendable, Equatable {
    /// The exchange's order ID (OKX: decimal digits).
    public var ordId: String
    /// The instrument, e.g. `BTC-USDT-SWAP`.
    public var instId: String
    /// The claimant's wallet (lowercase `0x` hex) when known: written to `meta.wallet` and the `evidence` row.
    public var wallet: String?
    /// The principal declared on-chain, in pool units; nil when there is none (only `maxPayoutPerClaim` caps the payout).
    public var principal: Decimal?
    /// The caller's request id (seed 002 `clientMeta.requestId`), echoed in `meta.requestId`.
    public var requestId: String?
    /// The exchange client talks to demo trading (`meta.live` is false).
    public var simulated: Bool
    /// Positions (`posId`) whose loss other claims already cover: a match among them pays nothing
    /// (`position-already-claimed`), so that claiming a second order of one liquidated position —
    /// the opening order and the liquidation order, say — is not paid twice.
    public var claimedPositions: Set<String> = []

    public init(ordId: String, instId: String, wallet: String? = nil, principal: Decimal? = nil,
                requestId: String? = nil, simulated: Bool = false) {
        self.ordId = ordId
        self.instId = instId
        self.wallet = wallet?.lowercased()
        self.principal = principal
        self.requestId = requestId
        self.simulated = simulated
    }
}
