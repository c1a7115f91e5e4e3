import Wire

/// One disagreement between the chain and the keeper's database, named by kind.
public struct Mismatch: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A claim the keeper acted on differs from `getClaim` (verdict, amount, root, paid flag).
        case claimState = "claim_state"
        /// A `PayoutVerified` from a transaction the keeper did not sign: another signer verified.
        case foreignVerification = "foreign_verification"
        /// A `PayoutExecuted` from a transaction the keeper did not sign: another signer paid.
        case foreignPayout = "foreign_payout"
        /// A keeper record whose event is not on the chain.
        case missingEvent = "missing_event"
        /// Today's paid total differs from the contract's `paidToday()`.
        case paidToday = "paid_today"
        /// The pool's balance differs from deposits − payouts − withdrawals.
        case poolBalance = "pool_balance"
        /// Stored transactions disagree with the signer's nonce on-chain: another party used the
        /// keeper's key, or a transaction the keeper recorded as settled is not on the chain.
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

    /// One condition: a mismatch of this kind about this subject stays "the same" while its detail changes.
    public var key: String { "\(kind.rawValue):\(subject)" }

    public var json: JSON { ["kind": .string(kind.rawValue), "subject": .string(subject), "detail": .string(detail)] }
}
