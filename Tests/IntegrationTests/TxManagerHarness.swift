import Foundation
import Synchronization
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Settlement
@testable import Store

/// A devnode, the keeper's key and fresh databases, for the transaction manager's tests.
struct TxManagerHarness {
    /// A requested claim: what `verifyPayout` needs and the job key it is settled under.
    struct Claim {
        let user: Address
        let orderID: UInt256
        let requestTxHash: Hash
        let requestLogIndex: UInt64

        func key(_ chainID: UInt64, _ action: TxAction = .verify) -> TxJobKey {
            TxJobKey(chainID: chainID, requestTxHash: requestTxHash, requestLogIndex: requestLogIndex, action: action)
        }
    }

    let devnet: Devnet
    let rpc: JSONRPCClient
    let contract: Address
    let keeper: Address
    let directory: URL
    var chainID: UInt64 { devnet.deployment.chainId }

    init(devnet: Devnet) throws {
        self.devnet = devnet
        rpc = JSONRPCClient(endpoints: [devnet.rpcURL], retry: .none)
        contract = try Address(hex: devnet.deployment.contract)
        keeper = try Address(hex: devnet.deployment.keeper.address)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-tx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func newDatabasePath() -> String { directory.appendingPathComponent("\(UUID().uuidString).sqlite").path }

    static func gwei(_ n: UInt64) -> UInt256 { UInt256(n) &* UInt256(1_000_000_000) }

    func manager(path: String? = nil, confirmations: UInt64 = 1, cap: UInt256 = gwei(200), bumpAfterBlocks: UInt64 = 2,
                 broadcastOnSubmit: Bool = true, feeOracle: (any FeeOracle)? = nil) throws -> TxManager {
        var options = TxManager.Options(chainID: chainID, confirmations: confirmations, maxFeePerGas: cap, bumpPercent: 15,
                                        bumpAfterBlocks: bumpAfterBlocks)
        options.broadcastOnSubmit = broadcastOnSubmit
        return try TxManager(database: try Database(path: path ?? newDatabasePath()), rpc: rpc,
                             signer: Signer(key: try PrivateKey(hex: devnet.deployment.keeper.privateKey)), options: options,
                             feeOracle: feeOracle)
    }

    /// `requestClaim` from user `index`, mined (automine must be on).
    func requestClaim(user index: Int) async throws -> Claim {
        let key = try PrivateKey(hex: devnet.deployment.users[index].privateKey)
        let orderID = UInt256(UInt64.random(in: 1...UInt64.max))
        let data = try LeverageGuardContract.requestClaim.encodeCall([.uint(orderID), .string("BTC-USDT-SWAP"),
                                                                      .uint(try UInt256(decimal: "2000000000000000000")), .uint(20)])
        let hash = try await send(from: key, to: contract, data: data)
        let receipt = try #require(try await rpc.transactionReceipt(hash), "requestClaim was not mined: is automine off?")
        let log = try #require(receipt.logs.first { $0.topics.first == LeverageGuardContract.claimRequested.topic0 })
        return Claim(user: key.address, orderID: orderID, requestTxHash: hash, requestLogIndex: log.logIndex)
    }

    /// Signs and sends a transaction at the sender's pending nonce with market fees.
    @discardableResult
    func send(from key: PrivateKey, to: Address, data: [UInt8], gas: UInt64 = 300_000) async throws -> Hash {
        try await rpc.send(from: key, chainID: chainID, to: to, data: data, gas: gas)
    }

    func verifyPayoutData(_ claim: Claim, amount: UInt256 = UInt256(1_000_000_000_000_000_000), root: Hash) throws -> [UInt8] {
        try LeverageGuardContract.verifyPayout.encodeCall([.address(claim.user), .uint(claim.orderID), .uint(amount), .bool(true), .bytes32(root)])
    }

    /// (amount, verified, evidenceRoot) of the claim on-chain.
    func onChain(_ claim: Claim) async throws -> (amount: UInt256, verified: Bool, root: Hash) {
        let output = try await rpc.call(CallRequest(to: contract, data: try LeverageGuardContract.getClaim.encodeCall([.address(claim.user), .uint(claim.orderID)])))
        let fields = try LeverageGuardContract.getClaim.decodeOutput(output)[0].asArray()
        return (try fields[3].asUInt(), try fields[5].asBool(), try fields[7].asHash())
    }

    func mine(_ blocks: Int = 1) async throws { try await rpc.mine(blocks) }
    func setAutomine(_ on: Bool) async throws { try await rpc.setAutomine(on) }
    func snapshot() async throws -> JSON { try await rpc.call("evm_snapshot") }
    func revert(_ id: JSON) async throws { #expect(try await rpc.call("evm_revert", [id]) == .bool(true)) }
    func keeperNonce(_ tag: BlockTag = .latest) async throws -> UInt64 { try await rpc.transactionCount(of: keeper, block: tag) }
    func nextBaseFee() async throws -> UInt256 { try await NodeFeeOracle(rpc: rpc).quote(cap: .max).nextBaseFee }

    /// Hashes of the keeper's pooled transactions (txpool_content).
    func pooledKeeperHashes() async throws -> [String] {
        let content = try await rpc.call("txpool_content")
        guard case .object(let bySender)? = content["pending"] else { return [] }
        let mine = bySender.first { $0.key.lowercased() == keeper.description }?.value
        guard case .object(let byNonce)? = mine else { return [] }
        return byNonce.values.compactMap { $0["hash"]?.stringValue }
    }

    /// Polls (mining a block between rounds) until the job has a final outcome; returns every outcome reported.
    func settle(_ manager: TxManager, _ key: TxJobKey, rounds: Int = 12) async throws -> [TxOutcome] {
        var reported = [TxOutcome]()
        for _ in 0..<rounds {
            reported += try await manager.poll()
            if try manager.outcome(for: key) != nil { return reported }
            try await mine()
        }
        Issue.record("job \(key) did not settle within \(rounds) rounds")
        return reported
    }

    func count(_ manager: TxManager, _ sql: String) throws -> Int {
        try manager.database.fetchOne(sql, as: Int.self) ?? -1
    }
}

/// A fee oracle whose first quote is stale — half the next base fee, as if the market spiked right
/// after it was read — and whose later quotes are the node's.
final class StaleFirstQuoteOracle: FeeOracle {
    let node: NodeFeeOracle
    let calls = Atomic<Int>(0)

    init(rpc: JSONRPCClient) { node = NodeFeeOracle(rpc: rpc) }

    func quote(cap: UInt256) async throws(KeeperError) -> FeeQuote {
        let market = try await node.quote(cap: cap)
        guard calls.add(1, ordering: .relaxed).oldValue == 0 else { return market }
        let low: UInt256
        do { low = try market.nextBaseFee.divided(by: UInt256(2)) } catch { throw KeeperError(.software, "\(error)") }
        return FeeQuote(maxFeePerGas: low, maxPriorityFeePerGas: min(market.maxPriorityFeePerGas, low), nextBaseFee: market.nextBaseFee)
    }
}
