import Ethereum
import Indexer

/// EIP-1559 fees for one transaction, and the market they were computed from.
public struct FeeQuote: Sendable, Hashable {
    public var maxFeePerGas: UInt256
    public var maxPriorityFeePerGas: UInt256
    /// The next block's base fee when the quote was made.
    public var nextBaseFee: UInt256
    /// True when `maxFeePerGas` was lowered to the configured cap.
    public var capped: Bool

    public init(maxFeePerGas: UInt256, maxPriorityFeePerGas: UInt256, nextBaseFee: UInt256, capped: Bool = false) {
        self.maxFeePerGas = maxFeePerGas
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.nextBaseFee = nextBaseFee
        self.capped = capped
    }

    /// The market price: the next base fee doubled (room for six full blocks of +12.5 %) plus the
    /// tip, capped at `cap`; the tip never exceeds the fee cap.
    public static func market(nextBaseFee: UInt256, tip: UInt256, cap: UInt256) -> FeeQuote {
        let wanted = saturatingSum(saturatingSum(nextBaseFee, nextBaseFee), tip)
        let maxFee = Swift.min(wanted, cap)
        return FeeQuote(maxFeePerGas: maxFee, maxPriorityFeePerGas: Swift.min(tip, maxFee), nextBaseFee: nextBaseFee, capped: wanted > cap)
    }
}

/// Where fees come from. The node's oracle is the default; tests substitute stale or spiking markets.
public protocol FeeOracle: Sendable {
    func quote(cap: UInt256) async throws(KeeperError) -> FeeQuote
}

/// Fees from the node: the next base fee from `eth_feeHistory` (its last entry), the tip from
/// `eth_maxPriorityFeePerGas`, raised to the median 50th-percentile reward of recent blocks when
/// that is higher.
public struct NodeFeeOracle: FeeOracle {
    public let rpc: JSONRPCClient
    public var historyBlocks: Int

    public init(rpc: JSONRPCClient, historyBlocks: Int = 5) {
        self.rpc = rpc
        self.historyBlocks = historyBlocks
    }

    public func quote(cap: UInt256) async throws(KeeperError) -> FeeQuote {
        do {
            let history = try await rpc.feeHistory(blockCount: historyBlocks, newest: .latest, rewardPercentiles: [50])
            guard let nextBase = history.baseFeePerGas.last else { throw KeeperError(.unavailable, "eth_feeHistory answered no base fee") }
            var tip = try await rpc.maxPriorityFeePerGas()
            let rewards = history.reward.compactMap(\.first).sorted()
            if !rewards.isEmpty { tip = Swift.max(tip, rewards[rewards.count / 2]) }
            return FeeQuote.market(nextBaseFee: nextBase, tip: tip, cap: cap)
        } catch let error as KeeperError {
            throw error
        } catch {
            throw KeeperError(.unavailable, "cannot read fees from the node: \(TxManager.printable("\(error)"))")
        }
    }
}

/// What to do with a transaction that has waited `bumpAfterBlocks` blocks (DESIGN.md §6).
public enum FeeBump: Sendable, Hashable {
    /// Re-sign the same nonce with these fees (both at least `percent` above the old ones).
    case bump(maxFeePerGas: UInt256, maxPriorityFeePerGas: UInt256)
    /// The transaction already pays what the market asks: bumping would not help.
    case aboveMarket
    /// A sufficient bump would exceed the fee cap: stop bumping and alert.
    case capReached

    /// The smallest bump nodes accept is geth's 10 %; the keeper uses at least 12.5 % (`percent`
    /// below that is raised to it), on both fee fields, and never less than the market.
    public static func decide(maxFee: UInt256, tip: UInt256, market: FeeQuote, percent: Int, cap: UInt256) -> FeeBump {
        let includable = saturatingSum(market.nextBaseFee, market.maxPriorityFeePerGas)
        if maxFee >= includable, tip >= market.maxPriorityFeePerGas { return .aboveMarket }
        let perMille = UInt64(Swift.max(percent * 10, 125))
        let minimumFee = raised(maxFee, perMille: perMille), minimumTip = raised(tip, perMille: perMille)
        guard minimumFee <= cap else { return .capReached }
        let newFee = Swift.min(Swift.max(minimumFee, market.maxFeePerGas), cap)
        let newTip = Swift.min(Swift.max(minimumTip, market.maxPriorityFeePerGas), newFee)
        guard newTip >= minimumTip else { return .capReached }
        return .bump(maxFeePerGas: newFee, maxPriorityFeePerGas: newTip)
    }

    /// `value · (1000 + perMille) / 1000`, rounded up, and at least `value + 1`.
    static func raised(_ value: UInt256, perMille: UInt64) -> UInt256 {
        let (high, low) = value.multipliedFullWidth(by: UInt256(1000 + perMille))
        guard high == .zero else { return .max }
        let quotient: UInt256, remainder: UInt256
        do { (quotient, remainder) = try low.quotientAndRemainder(dividingBy: UInt256(1000)) } catch {
            preconditionFailure("division by the constant 1000 cannot fail")
        }
        let rounded = remainder == .zero ? quotient : saturatingSum(quotient, .one)
        return Swift.max(rounded, saturatingSum(value, .one))
    }
}

/// `a + b`, or `UInt256.max` when that overflows: a fee never wraps around to a small number.
func saturatingSum(_ a: UInt256, _ b: UInt256) -> UInt256 {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? .max : sum
}
