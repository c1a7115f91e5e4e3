/// A claim's place in the settlement state machine of DESIGN.md §6.
///
/// `requested → verifying → verify_pending → verified | rejected`, then
/// `verified → (awaiting_limit | awaiting_funds | held_review) → execute_pending → paid`;
/// `needs_key` while the user has no registered key; `failed` with a reason.
public enum ClaimState: String, Sendable, CaseIterable {
    case requested
    case needsKey = "needs_key"
    case verifying
    case verifyPending = "verify_pending"
    case verified
    case rejected
    case awaitingLimit = "awaiting_limit"
    case awaitingFunds = "awaiting_funds"
    case heldReview = "held_review"
    case executePending = "execute_pending"
    case paid
    case failed

    /// States the claim never leaves.
    public var isFinal: Bool { self == .paid || self == .rejected || self == .failed }

    /// The states this one may move to. Anything else is a defect and is refused. Besides the
    /// forward path, a claim may adopt what the contract already says (a verdict or a payment
    /// recorded before a crash, or by another signer): `verified`, `rejected` or `paid` directly.
    public var successors: Set<ClaimState> {
        switch self {
        case .requested: [.needsKey, .verifying, .failed, .verified, .rejected, .paid]
        case .needsKey: [.verifying, .failed, .verified, .rejected, .paid]
        case .verifying: [.verifying, .needsKey, .verifyPending, .failed, .verified, .rejected, .paid]
        case .verifyPending: [.verified, .rejected, .failed]
        case .verified: [.awaitingLimit, .awaitingFunds, .heldReview, .executePending, .failed, .paid]
        case .awaitingLimit, .awaitingFunds: [.awaitingLimit, .awaitingFunds, .heldReview, .executePending, .failed, .paid]
        case .heldReview: [.awaitingLimit, .awaitingFunds, .executePending, .failed, .paid]
        case .executePending: [.paid, .failed]
        case .paid, .rejected, .failed: []
        }
    }
}
