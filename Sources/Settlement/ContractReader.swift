import Ethereum
import Indexer

/// A claim as the contract stores it (`getClaim`).
public struct OnChainClaim: Sendable, Equatable {
    public let principal: UInt256
    public let leverage: UInt256
    public let requestedAt: UInt256
    public let amount: UInt256
    public let liquidated: Bool
    public let verified: Bool
    public let claimed: Bool
    public let evidenceRoot: Hash

    /// No claim was ever requested for this key.
    public var exists: Bool { requestedAt != .zero }
}

/// Typed reads of the LeverageGuard contract's state, at the latest block unless a block is named.
public struct ContractReader: Sendable {
    public let rpc: JSONRPCClient
    public let contract: Address

    public init(rpc: JSONRPCClient, contract: Address) {
        self.rpc = rpc
        self.contract = contract
    }

    public func claim(user: Address, orderID: UInt256, block: BlockTag) async throws(KeeperError) -> OnChainClaim {
        try Self.onChainClaim(try await call(LeverageGuardContract.getClaim, [.address(user), .uint(orderID)], block: block))
    }

    /// `getClaim` for many keys at one block, `batchSize` calls per JSON-RPC batch: a reconcile pass
    /// over thousands of claims costs a few round trips, not one each (they block the keeper's loop).
    public func claims(_ keys: [(user: Address, orderID: UInt256)], block: BlockTag, batchSize: Int) async throws(KeeperError) -> [OnChainClaim] {
        var requests = [CallRequest]()
        requests.reserveCapacity(keys.count)
        for key in keys {
            do { requests.append(CallRequest(to: contract, data: try LeverageGuardContract.getClaim.encodeCall([.address(key.user), .uint(key.orderID)]))) } catch {
                throw KeeperError(.software, "encoding getClaim: \(error)")
            }
        }
        var claims = [OnChainClaim]()
        claims.reserveCapacity(keys.count)
        var start = 0
        while start < requests.count {
            let chunk = Array(requests[start..<min(start + max(1, batchSize), requests.count)])
            let outputs: [[UInt8]]
            do { outputs = try await rpc.calls(chunk, block: block) } catch { throw KeeperError(.unavailable, "eth_call getClaim (batch of \(chunk.count)): \(error)") }
            for output in outputs {
                claims.append(try Self.onChainClaim(try Self.decoding("getClaim") { try LeverageGuardContract.getClaim.decodeOutput(output) }))
            }
            start += chunk.count
        }
        return claims
    }

    private static func onChainClaim(_ output: [ABIValue]) throws(KeeperError) -> OnChainClaim {
        try decoding("getClaim") {
            guard case .tuple(let fields) = output.first, fields.count == 8 else {
                throw KeeperError(.badData, "getClaim answered \(output.count) values, not one 8-field tuple")
            }
            return OnChainClaim(principal: try fields[0].asUInt(), leverage: try fields[1].asUInt(), requestedAt: try fields[2].asUInt(),
                                amount: try fields[3].asUInt(), liquidated: try fields[4].asBool(), verified: try fields[5].asBool(),
                                claimed: try fields[6].asBool(), evidenceRoot: try fields[7].asHash())
        }
    }

    /// What the contract has paid during the current UTC day (chain time).
    public func paidToday(block: BlockTag) async throws(KeeperError) -> UInt256 {
        let output = try await call(LeverageGuardContract.paidToday, [], block: block)
        return try Self.decoding("paidToday") { try output.first?.asUInt() ?? .zero }
    }

    /// The contract's `dailyPayoutLimit()`: the most it pays in one UTC day.
    public func dailyPayoutLimit(block: BlockTag) async throws(KeeperError) -> UInt256 {
        let output = try await call(LeverageGuardContract.dailyPayoutLimit, [], block: block)
        return try Self.decoding("dailyPayoutLimit") { try output.first?.asUInt() ?? .zero }
    }

    /// What the pool holds of its asset (`poolBalance()`: a token balance or the contract's own
    /// native balance), in the asset's smallest unit.
    public func poolBalance(block: BlockTag) async throws(KeeperError) -> UInt256 {
        let output = try await call(LeverageGuardContract.poolBalance, [], block: block)
        return try Self.decoding("poolBalance") { try output.first?.asUInt() ?? .zero }
    }

    /// The contract's `keeper()`: the only signer its keeper functions accept.
    public func keeper(block: BlockTag = .latest) async throws(KeeperError) -> Address {
        let output = try await call(LeverageGuardContract.keeperAddress, [], block: block)
        return try Self.decoding("keeper") {
            guard let address = try output.first?.asAddress() else { throw KeeperError(.badData, "keeper() answered no address") }
            return address
        }
    }

    /// The contract's `paused()`: the owner's switch that makes `executePayout` revert.
    public func paused(block: BlockTag = .latest) async throws(KeeperError) -> Bool {
        let output = try await call(LeverageGuardContract.pausedFlag, [], block: block)
        return try Self.decoding("paused") {
            guard let paused = try output.first?.asBool() else { throw KeeperError(.badData, "paused() answered no value") }
            return paused
        }
    }

    /// The token the pool pays in (`asset()`), nil for the native coin. A contract without
    /// `asset()` (deployed before pools had an asset) is a configuration error, not an outage.
    public func asset() async throws(KeeperError) -> Address? {
        let function = LeverageGuardContract.asset
        let data: [UInt8]
        do { data = try function.encodeCall([]) } catch { throw KeeperError(.software, "encoding asset: \(error)") }
        let output: [UInt8]
        do { output = try await rpc.call(CallRequest(to: contract, data: data), block: .latest) } catch {
            guard error.revertData != nil else { throw KeeperError(.unavailable, "eth_call asset: \(error)") }
            throw KeeperError(.config, "the contract at \(contract.checksummed) reverts asset(): it is not a LeverageGuard with a pool asset (check chain.contract)")
        }
        guard output.count == 32 else {
            throw KeeperError(.config, "the contract at \(contract.checksummed) answers asset() with \(output.count) bytes: it is not a LeverageGuard with a pool asset (check chain.contract)")
        }
        let address = try Self.decoding("asset") { try function.decodeOutput(output).first?.asAddress() }
        guard let address, address != Address.zero else { return nil }
        return address
    }

    /// A token's `symbol()`: an ABI string, or a `bytes32` as some early tokens (MKR) answer.
    public func symbol(of token: Address) async throws(KeeperError) -> String {
        let output = try await rawCall(ERC20.symbol, at: token)
        do { if let text = try ERC20.symbol.decodeOutput(output).first?.asString() { return text } } catch {
            // Not an ABI string: early tokens (MKR) answer a bytes32, read below.
        }
        guard output.count == 32 else { throw KeeperError(.badData, "the token \(token.checksummed) answers symbol() with \(output.count) bytes, neither a string nor a bytes32") }
        return String(decoding: output.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// A token's `decimals()`.
    public func decimals(of token: Address) async throws(KeeperError) -> Int {
        let output = try await rawCall(ERC20.decimals, at: token)
        let value = try Self.decoding("decimals of \(token.checksummed)") { try ERC20.decimals.decodeOutput(output).first?.asUInt() ?? .zero }
        guard let decimals = Int(value.description), decimals <= 255 else {
            throw KeeperError(.badData, "the token \(token.checksummed) answers decimals() with \(value)")
        }
        return decimals
    }

    private func rawCall(_ function: ABIFunction, at target: Address) async throws(KeeperError) -> [UInt8] {
        let data: [UInt8]
        do { data = try function.encodeCall([]) } catch { throw KeeperError(.software, "encoding \(function.name): \(error)") }
        do { return try await rpc.call(CallRequest(to: target, data: data), block: .latest) } catch {
            if error.revertData != nil {
                throw KeeperError(.config, "the pool's token \(target.checksummed) reverts \(function.name)(): it is not an ERC-20 token the keeper can check")
            }
            throw KeeperError(.unavailable, "eth_call \(function.name) of \(target.checksummed): \(error)")
        }
    }

    /// The UTC day (days since 1970) of the block: the contract's notion of "today".
    public func chainDay(block: BlockTag) async throws(KeeperError) -> Int64 {
        let header: BlockHeader?
        do { header = try await rpc.block(block) } catch { throw KeeperError(.unavailable, "eth_getBlockByNumber \(block): \(error)") }
        guard let header else { throw KeeperError(.unavailable, "the node has no block \(block)") }
        return Int64(header.timestamp / 86_400)
    }

    /// The latest block's gas limit: batches are sized against a share of it.
    public func blockGasLimit() async throws(KeeperError) -> UInt64 {
        let header: BlockHeader?
        do { header = try await rpc.block(.latest) } catch { throw KeeperError(.unavailable, "eth_getBlockByNumber latest: \(error)") }
        guard let header else { throw KeeperError(.unavailable, "the node has no latest block") }
        return header.gasLimit
    }

    private func call(_ function: ABIFunction, _ arguments: [ABIValue], block: BlockTag = .latest) async throws(KeeperError) -> [ABIValue] {
        let data: [UInt8]
        do { data = try function.encodeCall(arguments) } catch { throw KeeperError(.software, "encoding \(function.name): \(error)") }
        let output: [UInt8]
        do { output = try await rpc.call(CallRequest(to: contract, data: data), block: block) } catch {
            throw KeeperError(.unavailable, "eth_call \(function.name): \(error)")
        }
        return try Self.decoding(function.name) { try function.decodeOutput(output) }
    }

    private static func decoding<T>(_ what: String, _ body: () throws -> T) throws(KeeperError) -> T {
        do { return try body() } catch let error as KeeperError { throw error } catch {
            throw KeeperError(.badData, "the contract's answer to \(what) does not decode: \(error)")
        }
    }
}
