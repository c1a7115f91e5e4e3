import Ethereum
import Keeper
import Wire

/// `lg-keeper probe --rpc-url URL --contract 0x… [--from-block N]`
enum ProbeCommand {
    static let command = Command(
        name: "probe",
        usage: "probe --rpc-url URL --contract 0x… [--from-block N]",
        summary: "check a node and the contract: chain id, head, contract code, claim requests",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["rpc-url", "contract", "from-block"], flags: [])
        let rpcURL = try arguments.required("rpc-url")
        let contract: Address
        do { contract = try Address(hex: try arguments.required("contract")) } catch let error as EthereumError {
            throw UsageError("--contract: \(error.message)")
        }
        let fromText = arguments.value("from-block") ?? "0"
        guard let fromBlock = UInt64(fromText) else { throw UsageError("--from-block must be a block number, not '\(TerminalText.excerpt(fromText))'") }

        let probe: ChainProbe
        do {
            probe = try await ChainProbe.run(rpc: JSONRPCClient(endpoints: [rpcURL], retry: RetryPolicy(maximumAttempts: 3)),
                                             contract: contract, fromBlock: fromBlock)
        } catch let error as RPCError {
            throw CommandFailure(.unavailable, error.description)
        }
        print("chain id        \(probe.chainID)")
        print("head block      \(probe.head)")
        print("contract        \(contract.checksummed) (\(probe.contractCodeSize) bytes of code)")
        switch probe.poolAsset {
        case .success(let asset) where asset.token == nil:
            print("pool asset      the chain's native coin (\(asset.decimals) decimals)")
        case .success(let asset):
            print("pool asset      \(PoolAsset.printable(asset.symbol ?? "")) (token \(asset.token?.checksummed ?? ""), \(asset.decimals) decimals)")
        case .failure(let error):
            print("pool asset      unknown: \(TerminalText.escaped(error.message))")
        }
        print("claim requests  \(probe.claimRequests.count) since block \(fromBlock)")
        for request in probe.claimRequests {
            print("  block \(request.blockNumber) tx \(request.transactionHash) log \(request.logIndex): user \(request.user.checksummed) "
                + "order \(request.orderID) \(TerminalText.excerpt(request.instrument, limit: 64)) principal \(request.principal) wei leverage \(request.leverage)x")
        }
        guard probe.contractCodeSize > 0 else {
            throw CommandFailure(.problemFound, "no contract code at \(contract.checksummed): wrong address or wrong chain")
        }
        return .ok
    }
}
