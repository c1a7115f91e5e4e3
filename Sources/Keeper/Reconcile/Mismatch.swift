import Wire

/// One disagreement between the chain and the keeper's database, named by kind.
public struct Mismatch: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A claim the keeper acted on differs from `getClaim` (verdict, amount, root, paid flag).
        case claimState = "claim_state"
        /// A `PayoutVerified` with no matching keeper decision: another signer verified.
        case foreignVerification = "foreign_verification"
        /// A `PayoutExecuted` the keeper did not send: another signer paid.
        case foreignPayout = "foreign_payout"
        /// A keeper record whose event is not on the chain.
        case missingEvent = "missing_event"
        /// The contract's `paidToday()` is below what the keeper settled today, or above that plus its payouts in flight.
        case paidToday = "paid_today"
        /// The pool's balance differs from deposits − payouts − withdrawals.
        case poolBalance = "pool_balance"
        /// Stored transactions disagree with the signer's nonce on-chain.
        case nonce
    }

    public let kind: Kind
    /// What it is about: `user/orderId`, `pool`, `signer`…
    public let subject: String
    public let detail: String

    public init(_ kind: Kind, _ subject: String, _ detail: String) {
        self.kind = kind
        self.subject = subject
        self.detail = detail
    }

    public var json: JSON { ["kind": .string(kind.rawValue), "subject": .string(subject), "detail": .string(detail)] }
}
