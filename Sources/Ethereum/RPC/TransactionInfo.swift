import Wire

/// The fields of `eth_getTransactionByHash` the keeper relies on: whether and where the node has
/// the transaction (a pooled one has no block).
public struct TransactionInfo: Sendable, Hashable {
    public let hash: Hash
    public let from: Address
    public let nonce: UInt64
    /// Nil while the transaction waits in the pool.
    public let blockNumber: UInt64?
    public let blockHash: Hash?

    package init(json: JSON) throws(RPCError) {
        hash = try WireFormat.hash(json["hash"], "transaction.hash")
        from = try WireFormat.address(json["from"], "transaction.from")
        nonce = try WireFormat.uint64(json["nonce"], "transaction.nonce")
        if let number = json["blockNumber"], !number.isNull {
            blockNumber = try WireFormat.uint64(number, "transaction.blockNumber")
            blockHash = try WireFormat.hash(json["blockHash"], "transaction.blockHash")
        } else {
            blockNumber = nil
            blockHash = nil
        }
    }
}

extension JSONRPCClient {
    /// `eth_getTransactionByHash`: nil when the node does not know the transaction (never sent,
    /// dropped from its pool, or in a block that a reorg removed).
    public func transaction(_ hash: Hash) async throws(RPCError) -> TransactionInfo? {
        let answer = try await call("eth_getTransactionByHash", [.string(hash.description)])
        return answer.isNull ? nil : try TransactionInfo(json: answer)
    }
}
