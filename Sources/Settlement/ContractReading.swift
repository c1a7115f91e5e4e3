import Ethereum
import Indexer

/// What the claim pipeline reads of the chain: the contract's claims, the day's payouts, the pool,
/// and the block gas limit batches are sized against. `ContractReader` in production; the pipeline's
/// unit tests stand in for the contract with a double (issue 15).
public protocol ContractReading: Sendable {
    /// The contract's `getClaim` for one key at `block`.
    func claim(user: Address, orderID: UInt256, block: BlockTag) async throws(KeeperError) -> OnChainClaim
    /// `getClaim` for many keys at one block, in order, `batchSize` calls per JSON-RPC batch.
    func claims(_ keys: [(user: Address, orderID: UInt256)], block: BlockTag, batchSize: Int) async throws(KeeperError) -> [OnChainClaim]
    /// The UTC day (days since 1970) of the block: the contract's notion of "today".
    func chainDay(block: BlockTag) async throws(KeeperError) -> Int64
    /// What the contract has paid during the current UTC day (chain time).
    func paidToday(block: BlockTag) async throws(KeeperError) -> UInt256
    /// The contract's `dailyPayoutLimit()`: a claim above it can never be paid.
    func dailyPayoutLimit(block: BlockTag) async throws(KeeperError) -> UInt256
    /// What the pool holds of its asset, in its smallest unit.
    func poolBalance(block: BlockTag) async throws(KeeperError) -> UInt256
    /// The latest block's gas limit.
    func blockGasLimit() async throws(KeeperError) -> UInt64
}

extension ContractReading {
    public func claim(user: Address, orderID: UInt256) async throws(KeeperError) -> OnChainClaim {
        try await claim(user: user, orderID: orderID, block: .latest)
    }

    public func claims(_ keys: [(user: Address, orderID: UInt256)], block: BlockTag) async throws(KeeperError) -> [OnChainClaim] {
        try await claims(keys, block: block, batchSize: 100)
    }

    public func chainDay() async throws(KeeperError) -> Int64 { try await chainDay(block: .latest) }
    public func paidToday() async throws(KeeperError) -> UInt256 { try await paidToday(block: .latest) }
    public func poolBalance() async throws(KeeperError) -> UInt256 { try await poolBalance(block: .latest) }
    public func dailyPayoutLimit() async throws(KeeperError) -> UInt256 { try await dailyPayoutLimit(block: .latest) }
}

extension ContractReader: ContractReading {}
