import Ethereum
import Indexer
import Settlement

/// A first look at a node and the contract: what `lg-keeper probe` prints.
public struct ChainProbe: Sendable {
    /// One `ClaimRequested` log, decoded.
    public struct ClaimRequest: Sendable, Hashable {
        public let user: Address
        public let orderID: UInt256
        public let instrument: String
        public let principal: UInt256
        public let leverage: UInt256
        public let blockNumber: UInt64
        public let transactionHash: Hash
        public let logIndex: UInt64
    }

    public let chainID: UInt64
    public let head: UInt64
    public let contractCodeSize: Int
    /// What the pool pays in, or why it could not be read (no code, a contract without `asset()`).
    public let poolAsset: Result<PoolAsset, KeeperError>
    public let claimRequests: [ClaimRequest]

    /// Reads chain id, head, the contract's code, its pool asset and its `ClaimRequested` logs from `fromBlock` on.
    public static func run(rpc: JSONRPCClient, contract: Address, fromBlock: UInt64) async throws -> ChainProbe {
        let chainID = try await rpc.chainID()
        let head = try await rpc.blockNumber()
        let code = try await rpc.code(at: contract)
        let event = LeverageGuardContract.claimRequested
        let logs = try await rpc.logs(LogFilter(range: .blocks(from: .number(fromBlock), to: .number(head)),
                                                addresses: [contract], topics: [[event.topic0]]))
        let requests = try logs.map { log in
            let decoded = try event.decodeLog(topics: log.topics, data: log.data)
            return ClaimRequest(user: try decoded.value("user").asAddress(), orderID: try decoded.value("orderId").asUInt(),
                                instrument: try decoded.value("instId").asString(), principal: try decoded.value("principal").asUInt(),
                                leverage: try decoded.value("leverage").asUInt(), blockNumber: log.blockNumber,
                                transactionHash: log.transactionHash, logIndex: log.logIndex)
        }
        let asset: Result<PoolAsset, KeeperError>
        do { asset = .success(try await PoolAsset.read(ContractReader(rpc: rpc, contract: contract))) } catch { asset = .failure(error) }
        return ChainProbe(chainID: chainID, head: head, contractCodeSize: code.count, poolAsset: asset, claimRequests: requests)
    }
}
