import Wire

/// Typed `eth_*` methods (execution-apis). Each validates the answer's shape and throws
/// `.malformed` rather than passing on a value it could not read.
extension JSONRPCClient {
    public func chainID() async throws(RPCError) -> UInt64 {
        try WireFormat.uint64(try await call("eth_chainId"), "eth_chainId")
    }

    public func blockNumber() async throws(RPCError) -> UInt64 {
        try WireFormat.uint64(try await call("eth_blockNumber"), "eth_blockNumber")
    }

    /// The header at `tag`, or nil when the node has no such block.
    public func block(_ tag: BlockTag) async throws(RPCError) -> BlockHeader? {
        let answer = try await call("eth_getBlockByNumber", [tag.json, false])
        return answer.isNull ? nil : try BlockHeader(json: answer)
    }

    public func block(hash: Hash) async throws(RPCError) -> BlockHeader? {
        let answer = try await call("eth_getBlockByHash", [.string(hash.description), false])
        return answer.isNull ? nil : try BlockHeader(json: answer)
    }

    public func logs(_ filter: LogFilter) async throws(RPCError) -> [Log] {
        guard let items = try await call("eth_getLogs", [filter.json]).arrayValue else { throw .malformed("eth_getLogs did not answer a list") }
        var logs = [Log]()
        logs.reserveCapacity(items.count)
        for item in items { logs.append(try Log(json: item)) }
        return logs
    }

    public func code(at address: Address, block: BlockTag = .latest) async throws(RPCError) -> [UInt8] {
        try WireFormat.bytes(try await call("eth_getCode", [.string(address.description), block.json]), "eth_getCode")
    }

    public func balance(of address: Address, block: BlockTag = .latest) async throws(RPCError) -> UInt256 {
        try WireFormat.uint256(try await call("eth_getBalance", [.string(address.description), block.json]), "eth_getBalance")
    }

    public func transactionCount(of address: Address, block: BlockTag) async throws(RPCError) -> UInt64 {
        try WireFormat.uint64(try await call("eth_getTransactionCount", [.string(address.description), block.json]), "eth_getTransactionCount")
    }

    /// `eth_call`; a revert surfaces as `.rpc` with `revertData`.
    public func call(_ request: CallRequest, block: BlockTag = .latest) async throws(RPCError) -> [UInt8] {
        try WireFormat.bytes(try await call("eth_call", [request.json, block.json]), "eth_call")
    }

    public func estimateGas(_ request: CallRequest) async throws(RPCError) -> UInt64 {
        try WireFormat.uint64(try await call("eth_estimateGas", [request.json]), "eth_estimateGas")
    }

    public func gasPrice() async throws(RPCError) -> UInt256 {
        try WireFormat.uint256(try await call("eth_gasPrice"), "eth_gasPrice")
    }

    public func maxPriorityFeePerGas() async throws(RPCError) -> UInt256 {
        try WireFormat.uint256(try await call("eth_maxPriorityFeePerGas"), "eth_maxPriorityFeePerGas")
    }

    public func feeHistory(blockCount: Int, newest: BlockTag, rewardPercentiles: [Double]) async throws(RPCError) -> FeeHistory {
        let percentiles = JSON.array(rewardPercentiles.map { .number(String($0)) })
        return try FeeHistory(json: try await call("eth_feeHistory", [JSON(blockCount), newest.json, percentiles]))
    }

    /// Broadcasts a signed transaction once (never retried here) and returns its hash.
    public func sendRawTransaction(_ raw: [UInt8]) async throws(RPCError) -> Hash {
        try WireFormat.hash(try await call("eth_sendRawTransaction", [WireFormat.data(raw)]), "eth_sendRawTransaction")
    }

    /// The receipt, or nil while the transaction is pending or unknown.
    public func transactionReceipt(_ hash: Hash) async throws(RPCError) -> TransactionReceipt? {
        let answer = try await call("eth_getTransactionReceipt", [.string(hash.description)])
        return answer.isNull ? nil : try TransactionReceipt(json: answer)
    }
}
