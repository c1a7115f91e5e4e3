import Ethereum

/// The members of the LeverageGuard contract (DESIGN.md §3) that the keeper calls or reads.
/// `abi/LeverageGuard.json` is the source of truth: a test checks that every member declared
/// here appears there with the same signature, and that the Vyper contract compiles to it.
public enum LeverageGuardContract {
    private static func p(_ name: String, _ type: ABIType, indexed: Bool = false) -> ABIParameter {
        ABIParameter(name: name, type: type, indexed: indexed)
    }

    public static let claimRequested = ABIEvent(name: "ClaimRequested", inputs: [
        p("user", .address, indexed: true), p("orderId", .uint(256), indexed: true),
        p("instId", .string), p("principal", .uint(256)), p("leverage", .uint(16)),
    ])
    public static let payoutVerified = ABIEvent(name: "PayoutVerified", inputs: [
        p("user", .address, indexed: true), p("orderId", .uint(256), indexed: true),
        p("amount", .uint(256)), p("liquidated", .bool), p("evidenceRoot", .fixedBytes(32)),
    ])
    public static let payoutExecuted = ABIEvent(name: "PayoutExecuted", inputs: [
        p("user", .address, indexed: true), p("orderId", .uint(256), indexed: true), p("amount", .uint(256)),
    ])
    /// A batch item that was not done: `action` 1 = the verdict, 2 = the payment; `reason` is what
    /// `verifyPayout` / `executePayout` would revert with ("daily limit", "transfer failed", …).
    public static let payoutSkipped = ABIEvent(name: "PayoutSkipped", inputs: [
        p("user", .address, indexed: true), p("orderId", .uint(256), indexed: true),
        p("action", .uint(8)), p("reason", .string),
    ])
    public static let fundsDeposited = ABIEvent(name: "FundsDeposited", inputs: [
        p("sender", .address, indexed: true), p("amount", .uint(256)),
    ])

    public static let fundsWithdrawn = ABIEvent(name: "FundsWithdrawn", inputs: [
        p("to", .address, indexed: true), p("amount", .uint(256)),
    ])
    public static let paused = ABIEvent(name: "Paused", inputs: [p("account", .address)])
    public static let unpaused = ABIEvent(name: "Unpaused", inputs: [p("account", .address)])
    public static let keeperChanged = ABIEvent(name: "KeeperChanged", inputs: [
        p("previous", .address, indexed: true), p("current", .address, indexed: true),
    ])
    public static let dailyPayoutLimitChanged = ABIEvent(name: "DailyPayoutLimitChanged", inputs: [
        p("previous", .uint(256)), p("current", .uint(256)),
    ])

    /// Every event of the contract; the log follower decodes each of them.
    public static let events = [claimRequested, payoutVerified, payoutExecuted, payoutSkipped, fundsDeposited, fundsWithdrawn,
                                paused, unpaused, keeperChanged, dailyPayoutLimitChanged]

    /// The events by their topic0.
    public static let eventsByTopic: [Hash: ABIEvent] = Dictionary(events.map { ($0.topic0, $0) }, uniquingKeysWith: { first, _ in first })

    public static let requestClaim = ABIFunction(name: "requestClaim", inputs: [
        p("orderId", .uint(256)), p("instId", .string), p("principal", .uint(256)), p("leverage", .uint(16)),
    ])
    public static let verifyPayout = ABIFunction(name: "verifyPayout", inputs: [
        p("user", .address), p("orderId", .uint(256)), p("amount", .uint(256)), p("liquidated", .bool), p("evidenceRoot", .fixedBytes(32)),
    ])
    public static let executePayout = ABIFunction(name: "executePayout", inputs: [p("user", .address), p("orderId", .uint(256))])
    /// `verifyPayout` then `executePayout` in one transaction, all or nothing, with both calls' reasons.
    public static let verifyAndPay = ABIFunction(name: "verifyAndPay", inputs: [
        p("user", .address), p("orderId", .uint(256)), p("amount", .uint(256)), p("liquidated", .bool), p("evidenceRoot", .fixedBytes(32)),
    ])
    /// Most items one batch may hold (the contract's `MAX_BATCH`).
    public static let maxBatch = 256
    /// The contract's `Verdict` struct, `(user, orderId, amount, liquidated, evidenceRoot)`:
    /// `.tuple([.address(…), .uint(…), .uint(…), .bool(…), .fixedBytes(…)])` in a call.
    public static let verdictItems = ABIParameter(
        name: "items", type: .array(.tuple([.address, .uint(256), .uint(256), .bool, .fixedBytes(32)])), components: [
            p("user", .address), p("orderId", .uint(256)), p("amount", .uint(256)), p("liquidated", .bool), p("evidenceRoot", .fixedBytes(32)),
        ])
    /// The contract's `ClaimKey` struct, `(user, orderId)`.
    public static let claimKeyItems = ABIParameter(
        name: "items", type: .array(.tuple([.address, .uint(256)])), components: [p("user", .address), p("orderId", .uint(256))])
    /// Records each verdict; one that cannot be (no claim, already verified) is skipped with `PayoutSkipped`.
    public static let verifyPayoutBatch = ABIFunction(name: "verifyPayoutBatch", inputs: [verdictItems])
    /// Records each verdict and pays the liquidated ones it can; a payment that cannot be made now is
    /// skipped with `PayoutSkipped(action: 2)` and its verdict stays recorded.
    public static let verifyAndPayBatch = ABIFunction(name: "verifyAndPayBatch", inputs: [verdictItems])
    /// Pays each verified claim it can; the others are skipped with `PayoutSkipped(action: 2)`.
    public static let executePayoutBatch = ABIFunction(name: "executePayoutBatch", inputs: [claimKeyItems])
    public static let getClaim = ABIFunction(name: "getClaim", inputs: [p("user", .address), p("orderId", .uint(256))], outputs: [
        ABIParameter(name: "", type: .tuple([.uint(256), .uint(16), .uint(256), .uint(256), .bool, .bool, .bool, .fixedBytes(32)]), components: [
            p("principal", .uint(256)), p("leverage", .uint(16)), p("requestedAt", .uint(256)), p("amount", .uint(256)),
            p("liquidated", .bool), p("verified", .bool), p("claimed", .bool), p("evidenceRoot", .fixedBytes(32)),
        ]),
    ], stateMutability: .view)
    public static let paidToday = ABIFunction(name: "paidToday", inputs: [], outputs: [p("", .uint(256))], stateMutability: .view)
    /// The most the contract pays in one UTC day (set by its owner): a claim above it can never be paid.
    public static let dailyPayoutLimit = ABIFunction(name: "dailyPayoutLimit", inputs: [], outputs: [p("", .uint(256))], stateMutability: .view)
    /// The token the pool pays in; the zero address for the native coin (fixed at deployment).
    public static let asset = ABIFunction(name: "asset", inputs: [], outputs: [p("", .address)], stateMutability: .view)
    /// What the pool holds of its asset, in the asset's smallest unit.
    public static let poolBalance = ABIFunction(name: "poolBalance", inputs: [], outputs: [p("", .uint(256))], stateMutability: .view)
    /// The only address the keeper functions accept (`keeper()`); `lg-keeper run` refuses a signer that is not it.
    public static let keeperAddress = ABIFunction(name: "keeper", inputs: [], outputs: [p("", .address)], stateMutability: .view)
    /// The owner's switch (`paused()`): while it is on, `executePayout` reverts "paused".
    public static let pausedFlag = ABIFunction(name: "paused", inputs: [], outputs: [p("", .bool)], stateMutability: .view)
    /// Native-coin pools only: adds `msg.value`.
    public static let deposit = ABIFunction(name: "deposit", inputs: [], stateMutability: .payable)
    /// Token pools only: pulls `amount` with `transferFrom` (approve first).
    public static let depositToken = ABIFunction(name: "depositToken", inputs: [p("amount", .uint(256))])

    public static let functions = [requestClaim, verifyPayout, executePayout, verifyAndPay, verifyPayoutBatch, verifyAndPayBatch,
                                   executePayoutBatch, getClaim, paidToday, dailyPayoutLimit, asset, poolBalance, keeperAddress, pausedFlag,
                                   deposit, depositToken]
}

/// The ERC-20 reads the keeper makes of a token pool's asset, to check it against `pool.currency`
/// and `pool.decimals` (EIP-20: `symbol` and `decimals` are optional there, so both can fail).
public enum ERC20 {
    public static let symbol = ABIFunction(name: "symbol", inputs: [], outputs: [ABIParameter(name: "", type: .string)], stateMutability: .view)
    public static let decimals = ABIFunction(name: "decimals", inputs: [], outputs: [ABIParameter(name: "", type: .uint(8))], stateMutability: .view)
}
