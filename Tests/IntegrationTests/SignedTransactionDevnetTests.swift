import Foundation
import Testing
import TestSupport
@testable import Ethereum
@testable import Indexer
@testable import Keeper

/// Transactions signed by our secp256k1 code are accepted and mined by a real EVM, and the
/// contract's state read back through `eth_call` decodes to what was sent.
@Suite struct SignedTransactionDevnetTests {
    let devnet: Devnet
    let rpc: JSONRPCClient

    init() throws {
        devnet = try Devnet.shared()
        rpc = JSONRPCClient(endpoints: [devnet.rpcURL], retry: .none)
    }

    func receipt(_ hash: Hash) async throws -> TransactionReceipt {
        for _ in 0..<1_200 {  // up to a minute, for a loaded machine
            if let receipt = try await rpc.transactionReceipt(hash) { return receipt }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw RPCError.malformed("transaction \(hash) was not mined")
    }

    func getClaim(user: Address, orderID: UInt256) async throws -> [ABIValue] {
        let contract = try Address(hex: devnet.deployment.contract)
        let output = try await rpc.call(CallRequest(to: contract, data: try LeverageGuardContract.getClaim.encodeCall([.address(user), .uint(orderID)])))
        return try LeverageGuardContract.getClaim.decodeOutput(output)[0].asArray()
    }

    @Test(arguments: [false, true])
    func requestClaimSignedInSwiftIsMinedAndReadBack(legacy: Bool) async throws {
        // Each case uses its own user so that the two never race for a nonce.
        let account = devnet.deployment.users[legacy ? 4 : 3]
        let key = try PrivateKey(hex: account.privateKey)
        #expect(key.address == (try Address(hex: account.address)))
        let contract = try Address(hex: devnet.deployment.contract)
        let orderID = UInt256(UInt64.random(in: 1...UInt64.max))
        let principal = try UInt256(decimal: "3250000000000000000")
        let data = try LeverageGuardContract.requestClaim.encodeCall([.uint(orderID), .string("BTC-USDT-SWAP"), .uint(principal), .uint(50)])

        let nonce = try await rpc.transactionCount(of: key.address, block: .pending)
        let gas = try await rpc.estimateGas(CallRequest(from: key.address, to: contract, data: data))
        let base = try #require(try await rpc.block(.latest)?.baseFeePerGas)
        let tip = try await rpc.maxPriorityFeePerGas()
        let fee = try base.multiplied(by: UInt256(2)).adding(tip)
        let signed: SignedTransaction
        if legacy {
            signed = try LegacyTransaction(nonce: nonce, gasPrice: fee, gasLimit: gas * 2, to: contract, data: data,
                                           chainId: devnet.deployment.chainId).signed(with: key)
        } else {
            signed = try EIP1559Transaction(chainId: devnet.deployment.chainId, nonce: nonce, maxPriorityFeePerGas: tip,
                                            maxFeePerGas: fee, gasLimit: gas * 2, to: contract, data: data).signed(with: key)
        }
        let hash = try await rpc.sendRawTransaction(signed.rawBytes)
        #expect(hash == signed.hash, "the node's hash is keccak of our raw bytes")

        let mined = try await receipt(hash)
        #expect(mined.succeeded)
        #expect(mined.from == key.address)
        let log = try #require(mined.logs.first { $0.topics.first == LeverageGuardContract.claimRequested.topic0 })
        let event = try LeverageGuardContract.claimRequested.decodeLog(topics: log.topics, data: log.data)
        #expect(try event.value("user").asAddress() == key.address)
        #expect(try event.value("orderId").asUInt() == orderID)

        let claim = try await getClaim(user: key.address, orderID: orderID)
        #expect(try claim[0].asUInt() == principal)
        #expect(try claim[1].asUInt() == UInt256(50))
        #expect(try claim[2].asUInt() > UInt256.zero, "requestedAt is the block timestamp")
        #expect(try claim[3].asUInt() == UInt256.zero)
        #expect(try claim[4].asBool() == false)
        #expect(try claim[5].asBool() == false)
        #expect(try claim[6].asBool() == false)
        #expect(try claim[7].asHash() == Hash.zero)

        // The same nonce again is refused by the node, and the transaction decodes back to its sender.
        let again = await #expect(throws: RPCError.self) { _ = try await rpc.sendRawTransaction(signed.rawBytes) }
        #expect(again?.isTransient == false)
        #expect(try SignedTransaction(raw: signed.rawBytes).sender == key.address)
    }
}
