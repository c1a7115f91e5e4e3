@testable import Ethereum
@testable import Keeper

extension JSONRPCClient {
    /// Signs an EIP-1559 transaction from `key` at its pending nonce with the node's fees and sends
    /// it, as any other party on the chain would. `to` nil creates a contract.
    @discardableResult
    func send(from key: PrivateKey, chainID: UInt64, to: Address?, value: UInt256 = .zero, data: [UInt8] = [],
              gas: UInt64 = 300_000) async throws -> Hash {
        let nonce = try await transactionCount(of: key.address, block: .pending)
        let quote = try await NodeFeeOracle(rpc: self).quote(cap: TxManagerHarness.gwei(1_000))
        let signed = try EIP1559Transaction(chainId: chainID, nonce: nonce, maxPriorityFeePerGas: quote.maxPriorityFeePerGas,
                                            maxFeePerGas: quote.maxFeePerGas, gasLimit: gas, to: to, value: value, data: data).signed(with: key)
        return try await sendRawTransaction(signed.rawBytes)
    }
}
