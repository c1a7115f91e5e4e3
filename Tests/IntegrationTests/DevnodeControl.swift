import Wire
@testable import Ethereum
@testable import Keeper
@testable import Settlement

/// What the integration tests do to a devnode besides what the keeper does: send transactions from
/// the devnet's own accounts (owner, users) and drive its test-only methods (DESIGN.md §8).
extension JSONRPCClient {
    /// Signs and sends an EIP-1559 transaction from `key` at its pending nonce, priced at the node's
    /// market (`FeeQuote.market`) with `tip` instead of the node's suggested tip when given.
    @discardableResult
    func send(from key: PrivateKey, chainID: UInt64, to: Address?, value: UInt256 = .zero, data: [UInt8] = [], gas: UInt64 = 300_000,
              tip: UInt256? = nil) async throws -> Hash {
        let nonce = try await transactionCount(of: key.address, block: .pending)
        let cap = UInt256(1_000) &* UInt256(1_000_000_000)
        var quote = try await NodeFeeOracle(rpc: self).quote(cap: cap)
        if let tip { quote = FeeQuote.market(nextBaseFee: quote.nextBaseFee, tip: tip, cap: cap) }
        let signed = try EIP1559Transaction(chainId: chainID, nonce: nonce, maxPriorityFeePerGas: quote.maxPriorityFeePerGas,
                                            maxFeePerGas: quote.maxFeePerGas, gasLimit: gas, to: to, value: value, data: data).signed(with: key)
        return try await sendRawTransaction(signed.rawBytes)
    }

    func mine(_ blocks: Int = 1) async throws { _ = try await call("evm_mine", [JSON(blocks)]) }
    func setAutomine(_ on: Bool) async throws { _ = try await call("evm_setAutomine", [.bool(on)]) }
    /// The next mined block gets exactly this timestamp (later blocks count on from it).
    func setNextBlockTimestamp(_ timestamp: UInt64) async throws { _ = try await call("evm_setNextBlockTimestamp", [JSON(Int(timestamp))]) }
}
