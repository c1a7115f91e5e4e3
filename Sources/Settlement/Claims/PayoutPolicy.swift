import Ethereum

/// The keeper's own payout limits, checked right before `executePayout` (DESIGN.md §6, issue 6).
/// Pure: the caller gathers the figures (ledger, `paidToday()`, pool balance) and acts on the decision.
public struct PayoutPolicy: Sendable {
    public let maxPayoutPerClaim: UInt256
    public let dailyLimit: UInt256
    public let minPoolReserve: UInt256
    public let reviewAbove: UInt256
    public let denylist: Set<Address>
    /// How reasons write amounts (`"1000 USDT"`).
    public let unit: PoolUnit

    public init(maxPayoutPerClaim: UInt256, dailyLimit: UInt256, minPoolReserve: UInt256, reviewAbove: UInt256, denylist: Set<Address>,
                unit: PoolUnit = .baseUnits) {
        self.maxPayoutPerClaim = maxPayoutPerClaim
        self.dailyLimit = dailyLimit
        self.minPoolReserve = minPoolReserve
        self.reviewAbove = reviewAbove
        self.denylist = denylist
        self.unit = unit
    }

    /// How the reason of a claim that can never be paid under the daily limit begins (`claims list`,
    /// `status` find such claims by it).
    public static let overLimitReason = "over the daily limit"

    /// What is known right before paying one claim.
    public struct Situation: Sendable {
        public let user: Address
        public let amount: UInt256
        /// Paid or being paid today (UTC, chain time): the larger of the keeper's ledger and the contract's `paidToday()`.
        public let usedToday: UInt256
        public let poolBalance: UInt256
        /// An operator approved this claim with `claims approve`.
        public let approved: Bool
        /// The contract's own `dailyPayoutLimit()`, when read.
        public let contractDailyLimit: UInt256?

        public init(user: Address, amount: UInt256, usedToday: UInt256, poolBalance: UInt256, approved: Bool, contractDailyLimit: UInt256? = nil) {
            self.user = user
            self.amount = amount
            self.usedToday = usedToday
            self.poolBalance = poolBalance
            self.approved = approved
            self.contractDailyLimit = contractDailyLimit
        }
    }

    public enum Decision: Sendable, Equatable {
        case pay
        /// Over today's limit: wait for the next UTC day.
        case awaitLimit(String)
        /// Above the daily limit itself (the keeper's or the contract's): no day can pay it until the
        /// limit is raised. Waits in `awaiting_limit`, with an alert.
        case overLimit(String)
        /// The pool cannot pay and keep its reserve: wait for a deposit (and alert).
        case awaitFunds(String)
        /// Above `reviewAbove` and not yet approved.
        case holdReview(String)
        /// Never to be paid by the keeper.
        case refuse(String)

        public var state: ClaimState? {
            switch self {
            case .pay: .executePending
            case .awaitLimit, .overLimit: .awaitingLimit
            case .awaitFunds: .awaitingFunds
            case .holdReview: .heldReview
            case .refuse: .failed
            }
        }
    }

    /// Denylist, then the per-claim cap, then review, then the daily limit itself, then the day's
    /// limit, then the pool: the order puts the decisions no waiting can change first.
    /// A claim is over the limit when its amount is above the smaller of `dailyLimit` and the
    /// contract's `dailyPayoutLimit()`: no day's budget can hold it. A pool too small for it is not
    /// judged "never": a deposit can come at any time (`awaitFunds`, alert `pool_shortfall`).
    public func decide(_ s: Situation) -> Decision {
        if denylist.contains(s.user) { return .refuse("the user \(s.user) is on the denylist") }
        if s.amount > maxPayoutPerClaim { return .refuse("amount \(s.amount) exceeds maxPayoutPerClaim \(maxPayoutPerClaim)") }
        if s.amount > reviewAbove && !s.approved { return .holdReview("amount \(s.amount) is above reviewAbove \(reviewAbove): approve with `lg-keeper claims approve`") }
        let (limit, whose) = smallerDailyLimit(s)
        if s.amount > limit {
            return .overLimit("\(Self.overLimitReason) \(unit.text(limit)) (\(whose)): \(unit.text(s.amount)) cannot be paid on any day until the limit is raised")
        }
        if s.amount > dailyLimit || s.usedToday > dailyLimit.subtractingReportingOverflow(s.amount).partialValue {
            return .awaitLimit("today's payouts \(s.usedToday) + \(s.amount) would exceed the daily limit \(dailyLimit)")
        }
        if s.poolBalance < minPoolReserve || s.poolBalance.subtractingReportingOverflow(minPoolReserve).partialValue < s.amount {
            return .awaitFunds("the pool holds \(s.poolBalance); paying \(s.amount) would leave less than the reserve \(minPoolReserve)")
        }
        return .pay
    }

    /// The smaller of the keeper's and the contract's daily limit, and whose it is.
    private func smallerDailyLimit(_ s: Situation) -> (UInt256, String) {
        if let contract = s.contractDailyLimit, contract < dailyLimit { return (contract, "the contract's dailyPayoutLimit") }
        return (dailyLimit, "policy.dailyLimit")
    }
}

/// The pool's currency and decimals: amounts a person reads, `"1000 USDT"` for 1000000000 base units.
public struct PoolUnit: Sendable, Equatable {
    public let currency: String
    public let decimals: Int

    public init(currency: String, decimals: Int) {
        self.currency = currency
        self.decimals = decimals
    }

    /// Base units, unnamed: for policies built without a pool (tests, tools).
    public static let baseUnits = PoolUnit(currency: "base units", decimals: 0)

    /// `amount` in whole units, with the currency.
    public func text(_ amount: UInt256) -> String { "\(Self.whole(amount, decimals: decimals)) \(currency)" }

    /// Base units as whole units, exactly: 12500000 with 6 decimals is `"12.5"`.
    public static func whole(_ amount: UInt256, decimals: Int) -> String {
        let digits = amount.description
        guard decimals > 0 else { return digits }
        let padded = String(repeating: "0", count: max(0, decimals + 1 - digits.count)) + digits
        let whole = padded.dropLast(decimals)
        let fraction = padded.suffix(decimals).reversed().drop { $0 == "0" }.reversed()
        return fraction.isEmpty ? String(whole) : "\(whole).\(String(fraction))"
    }
}
