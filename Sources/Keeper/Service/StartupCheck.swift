import Ethereum
import Foundation
import Indexer
import Settlement
import Store
import Vault
import Wire

/// What `run` and `index` check before anything else, so that a setup that cannot work stops at
/// once with one line saying what to fix (issue 14): a `.config` error for the configuration, an
/// `.unavailable` one when the node cannot be reached.
public enum StartupCheck {
    /// Gas counted for one keeper transaction when the signer's balance is checked: above the gas
    /// limit the keeper gives one `verifyPayout` or `executePayout` (about 150,000 each on the devnet, margin included).
    public static let gasPerTransaction: UInt64 = 200_000

    /// A client for the checks: the configured endpoints with failover, the configured timeout, and as
    /// many attempts as an indexing session makes (a flaky provider is not refused at start).
    public static func client(_ chain: ChainConfig) -> JSONRPCClient {
        JSONRPCClient(endpoints: chain.rpcUrls, http: HTTPClient(options: HTTPClient.Options(totalTimeoutMilliseconds: chain.requestTimeoutMs)),
                      retry: RetryPolicy(maximumAttempts: max(4, chain.rpcUrls.count)))
    }

    /// `eth_chainId` equals `chain.chainId`, there is code at `chain.contract`, and that code answers
    /// the views of abi/LeverageGuard.json the keeper reads (a wrong address is refused before the
    /// database is tied to it).
    public static func chain(_ chain: ChainConfig, rpc: JSONRPCClient) async throws(KeeperError) {
        let nodeChainID: UInt64
        do { nodeChainID = try await rpc.chainID() } catch {
            throw KeeperError(.unavailable, "cannot reach the node: \(error.description): check chain.rpcUrls and that the node is up")
        }
        guard nodeChainID == chain.chainId else {
            throw KeeperError(.config, "chain.chainId is \(chain.chainId) but the node reports \(nodeChainID): wrong node or wrong configuration")
        }
        let code: [UInt8]
        do { code = try await rpc.code(at: chain.contract) } catch { throw KeeperError(.unavailable, "eth_getCode of chain.contract: \(error.description)") }
        guard !code.isEmpty else {
            throw KeeperError(.config, "there is no contract at chain.contract \(chain.contract.checksummed) on chain \(chain.chainId): "
                + "check the address (and that chain.rpcUrls is that chain's node)")
        }
        for (function, arguments, size) in views {
            try await answers(function, arguments, size: size, at: chain.contract, rpc: rpc)
        }
    }

    /// The views probed, with their arguments and the size of a well-formed answer.
    static let views: [(ABIFunction, [ABIValue], Int)] = [
        (LeverageGuardContract.keeperAddress, [], 32),
        (LeverageGuardContract.pausedFlag, [], 32),
        (LeverageGuardContract.paidToday, [], 32),
        (LeverageGuardContract.poolBalance, [], 32),
        (LeverageGuardContract.asset, [], 32),
        (LeverageGuardContract.getClaim, [.address(.zero), .uint(.zero)], 8 * 32),
    ]

    private static func answers(_ function: ABIFunction, _ arguments: [ABIValue], size: Int, at contract: Address, rpc: JSONRPCClient) async throws(KeeperError) {
        let data: [UInt8]
        do { data = try function.encodeCall(arguments) } catch { throw KeeperError(.software, "encoding \(function.name): \(error)") }
        let output: [UInt8]
        do { output = try await rpc.call(CallRequest(to: contract, data: data), block: .latest) } catch {
            // A contract without the function reverts with no data ("execution reverted"), so the wording counts too.
            guard error.revertData != nil || error.description.contains("revert") else {
                throw KeeperError(.unavailable, "eth_call \(function.name) of chain.contract: \(error.description)")
            }
            throw KeeperError(.config, "the contract at chain.contract \(contract.checksummed) reverts \(function.name)(): it is not a LeverageGuard contract (check chain.contract)")
        }
        let decodes: Bool
        do { decodes = try output.count == size && !function.decodeOutput(output).isEmpty } catch { decodes = false }
        guard decodes else {
            throw KeeperError(.config, "the contract at chain.contract \(contract.checksummed) answers \(function.name)() with \(output.count) bytes that do not decode: "
                + "it is not a LeverageGuard contract (check chain.contract)")
        }
    }

    /// `run` only: the signer is the contract's `keeper()`, and it holds enough for
    /// `signer.minTransactions` transactions of `gasPerTransaction` at current fees (capped at `fees.maxFeePerGasGwei`).
    public static func signer(_ signer: Address, config: Config, rpc: JSONRPCClient) async throws(KeeperError) {
        let reader = ContractReader(rpc: rpc, contract: config.chain.contract)
        let keeper = try await reader.keeper()
        guard keeper == signer else {
            throw KeeperError(.config, "the signer \(signer.checksummed) is not the contract's keeper() \(keeper.checksummed): "
                + "configure that key in signer, or have the owner call setKeeper(\(signer.checksummed))")
        }
        guard config.signer.minTransactions > 0 else { return }
        let quote = try await NodeFeeOracle(rpc: rpc).quote(cap: config.fees.maxFeePerGas)
        let balance: UInt256
        do { balance = try await rpc.balance(of: signer) } catch { throw KeeperError(.unavailable, "eth_getBalance of the signer: \(error.description)") }
        let needed = required(transactions: config.signer.minTransactions, maxFeePerGas: quote.maxFeePerGas)
        guard balance >= needed else {
            throw KeeperError(.config, "the signer \(signer.checksummed) holds \(balance) wei, less than the \(needed) wei that signer.minTransactions "
                + "(\(config.signer.minTransactions)) transactions cost at \(quote.maxFeePerGas) wei per gas: fund it, or lower signer.minTransactions")
        }
    }

    /// What `transactions` transactions of `gasPerTransaction` cost at `maxFeePerGas`; saturates.
    static func required(transactions: Int, maxFeePerGas: UInt256) -> UInt256 {
        let (gas, overflow) = UInt256(UInt64(transactions)).multipliedReportingOverflow(by: UInt256(gasPerTransaction))
        let (cost, overflow2) = gas.multipliedReportingOverflow(by: maxFeePerGas)
        return overflow || overflow2 ? .max : cost
    }

    /// `run` only: the vault's master key is there and opens every key stored in the vault.
    public static func vault(_ open: () throws(VaultError) -> KeyVault) throws(KeeperError) {
        do { try open().checkMasterKey() } catch {
            throw KeeperError(.config, "the OKX key vault cannot be opened: \(error.message)")
        }
    }
}
