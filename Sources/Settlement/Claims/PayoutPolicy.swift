import Ethereum

/// The keeper's own payout limits, checked right before `executePayout` (DESIGN.md §6, issue 6).
/// Pure: the caller gathers the figures (ledger, `paidToday()`, pool balance) and acts on the decision.
public struct PayoutPolicy: Sendable {
    public let maxPayoutPerClaim: UInt256
    public let dailyLimit: UInt256
    public let minPoolReserve: UInt256
    public let reviewAbove: UInt256
    public let denylist: Set<Address>

    public init(maxPayoutPerClaim: UInt256, dailyLimit: UInt256, minPoolReserve: UInt256, reviewAbove: UInt256, denylist: Set<Address>) {
        self.maxPayoutPerClaim = maxPayoutPerClaim
        self.dailyLimit = dailyLimit
        self.minPoolReserve = minPoolReserve
        self.reviewAbove = reviewAbove
        self.denylist = denylist
    }

    /// What is known right before paying one claim.
    public struct Situation: Sendable {
        public let user: Address
        public let amount: UInt256
        /// Paid or being paid today (UTC, chain time): the larger of the keeper's ledger and the contract's `paidToday()`.
        public let usedToday: UInt256
        public let poolBalance: UInt256
        /// An operator approved this claim with `claims approve`.
        public let approved: Bool

        public init(user: Address, amount: UInt256, usedToday: UInt256, poolBalance: UInt256, approved: Bool) {
            self.user = user
            self.amount = amount
            self.usedToday = usedToday
            self.poolBalance = poolBalance
            self.approved = approved
        }
    }

    public enum Decision: Sendable, Equatable {
        case pay
        /// Over today's limit: wait for the next UTC day.
        case awaitLimit(String)
        /// The pool cannot pay and keep its reserve: wait for a deposit (and alert).
        case awaitFunds(String)
        /// Above `reviewAbove` and not yet approved.
        case holdReview(String)
        /// Never to be paid by the keeper.
        case refuse(String)

        public var state: ClaimState? {
            switch self {
            case .pay: .executePending
            case .awaitLimit: .awaitingLimit
            case .awaitFunds: .awaitingFunds
            case .holdReview: .heldReview
            case .refuse: .failed
            }
        }
    }

    /// Denylist, then the per-claim cap, then review, then the day's limit, then the pool: the
    /// order puts the decisions no waiting can change first.
    public func decide(_ s: Situation) -> Decision {
        if denylist.contains(s.user) { return .refuse("the user \(s.user) is on the denylist") }
        if s.amount > maxPayoutPerClaim { return .refuse("amount \(s.amount) exceeds maxPayoutPerClaim \(maxPayoutPerClaim)") }
        if s.amount > reviewAbove && !s.approved { return .holdReview("amount \(s.amount) is above reviewAbove \(reviewAbove): approve with `lg-keeper claims approve`") }
        if s.amount > dailyLimit || s.usedToday > dailyLimit.subtractingReportingOverflow(s.amount).partialValue {
            return .awaitLimit("today's payouts \(s.usedToday) + \(s.amount) would exceed the daily limit \(dailyLimit)")
        }
        if s.poolBalance < minPoolReserve || s.poolBalance.subtractingReportingOverflow(minPoolReserve).partialValue < s.amount {
            return .awaitFunds("the pool holds \(s.poolBalance); paying \(s.amount) would leave less than the reserve \(minPoolReserve)")
        }
        return .pay
    }
}
