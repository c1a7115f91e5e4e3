/// A claim's place in the settlement state machine of DESIGN.md §6.
///
/// `requested → verifying → verify_pending → verified | rejected`, then
/// `verified → (awaiting_limit | awaiting_funds | held_review) → execute_pending → paid`;
/// `needs_key` while the user has no usable key; `held_review` also before `verify_pending`, for a
/// verdict above `policy.reviewAbove` or a claim still undecided after `policy.decisionWindowHours`;
/// `failed` with a reason, from which only an operator's `claims retry` leads back to `requested`.
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

    /// States the pipeline never moves a claim out of. `failed` leaves only by an operator's `claims retry`.
    public var isFinal: Bool { self == .paid || self == .rejected || self == .failed }

    /// The states this one may move to. Anything else is a defect and is refused. Besides the
    /// forward path, a claim may adopt what the contract already says (a verdict or a payment
    /// recorded before a crash, or by another signer): `verified`, `rejected` or `paid` directly.
    /// `held_review → verify_pending` writes an operator's decision on a verdict held before it was
    /// sent; `held_review → requested` and `failed → requested` are an operator's `claims retry`.
    public var successors: Set<ClaimState> {
        switch self {
        case .requested: [.needsKey, .verifying, .failed, .verified, .rejected, .paid]
        case .needsKey: [.verifying, .failed, .verified, .rejected, .paid]
        case .verifying: [.verifying, .needsKey, .verifyPending, .executePending, .heldReview, .failed, .verified, .rejected, .paid]
        case .verifyPending: [.verifyPending, .executePending, .verified, .rejected, .paid, .failed]
        case .verified: [.awaitingLimit, .awaitingFunds, .heldReview, .executePending, .failed, .paid]
        case .awaitingLimit, .awaitingFunds: [.awaitingLimit, .awaitingFunds, .heldReview, .executePending, .failed, .paid]
        case .heldReview: [.requested, .verifyPending, .awaitingLimit, .awaitingFunds, .executePending, .failed, .verified, .rejected, .paid]
        case .executePending: [.executePending, .verifyPending, .verified, .rejected, .paid, .failed]
        case .failed: [.requested]
        case .paid, .rejected: []
        }
    }
}
