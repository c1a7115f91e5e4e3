import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Keeper

/// The keeper reads the pool's asset from the chain before it moves or counts money, and refuses
/// to start (exit 78, one line) when the `pool` section describes another asset.
@Suite(.serialized) struct PoolAssetStartupTests {
    /// One line on stderr, exit 78, and the line names what to set.
    static func expectRefused(_ result: KeeperBinary.Result, naming fix: String, _ what: String) {
        #expect(result.status == 78, "\(what): exit \(result.status): \(result.stderr)")
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1, "\(what): one line, not \(result.stderr)")
        #expect(result.stderr.contains(fix), "\(what): \(result.stderr)")
    }

    @Test(.timeLimit(.minutes(3))) func aUSDTPoolRefusesAConfigForAnotherCurrencyOrDecimals() async throws {
        let harness = try SettlementHarness(pool: .usdt)
        defer { harness.stop() }
        let token = harness.devnet.deployment.asset
        let probe = try await ChainProbe.run(rpc: harness.rpc, contract: try harness.contract, fromBlock: harness.devnet.deployment.deployBlock)
        #expect(try probe.poolAsset.get() == PoolAsset(token: try Address(hex: token), symbol: "USDT", decimals: 6))
        let cases: [(name: String, pool: JSON, what: String)] = [
            ("eighteen.json", ["currency": "USDT", "decimals": 18], "USDT with 18 decimals"),
            ("usdc.json", ["currency": "USDC", "decimals": 6], "USDC"),
            ("eth.json", ["currency": "ETH", "decimals": 18], "ETH on a token pool"),
        ]
        for (name, pool, what) in cases {
            let path = try harness.writeConfig(name, ["pool": pool])
            for command in ["run", "reconcile"] {
                let result = try KeeperBinary.run([command, "--config", path], environment: harness.environment)
                Self.expectRefused(result, naming: "set pool.currency to \"USDT\" and pool.decimals to 6", "\(command), \(what)")
                #expect(result.stderr.contains(token), "\(command), \(what): names the token")
            }
        }
        // Nothing was signed: the keeper stopped before its first transaction.
        #expect(try await harness.rpc.transactionCount(of: try Address(hex: harness.devnet.deployment.keeper.address), block: .latest) == 0)

        // The harness's own configuration (USDT, 6) starts.
        let keeper = try harness.startKeeper()
        let started = try await harness.waitUntil(seconds: 30) { keeper.stderr.contains("msg=\"pool asset checked\" currency=USDT decimals=6 token=") }
        let stopped = keeper.terminate()
        #expect(started && stopped.status == 0, "\(stopped.stderr.suffix(1_500))")
    }

    @Test(.timeLimit(.minutes(3))) func aNativePoolNeedsTheCoinNamedExplicitly() async throws {
        let harness = try SettlementHarness(pool: .eth)
        defer { harness.stop() }
        #expect(!harness.devnet.isTokenPool && harness.devnet.deployment.assetSymbol == "ETH")
        for (name, pool, what) in [("default.json", JSON?.none, "no pool section: the default USDT"),
                                   ("six.json", JSON.object(["currency": "ETH", "decimals": 6]), "ETH with 6 decimals")] {
            let path = try harness.writeConfig(name, ["pool": pool])
            let result = try KeeperBinary.run(["run", "--config", path], environment: harness.environment)
            Self.expectRefused(result, naming: "set pool.currency to that coin (e.g. \"ETH\") and pool.decimals to 18", what)
        }
        let keeper = try harness.startKeeper()
        let started = try await harness.waitUntil(seconds: 30) { keeper.stderr.contains("msg=\"pool asset checked\" currency=ETH decimals=18 token=native") }
        let stopped = keeper.terminate()
        #expect(started && stopped.status == 0, "\(stopped.stderr.suffix(1_500))")
    }

    @Test func aConfigStillUsingPolicyPoolDecimalsIsRefusedWithTheMove() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-pool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keeper.json").path
        try Data("""
            {"chain": {"rpcUrls": ["http://127.0.0.1:1"], "chainId": 1, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
             "policy": {"poolDecimals": 18}}
            """.utf8).write(to: URL(fileURLWithPath: path))
        let result = try KeeperBinary.run(["run", "--config", path])
        #expect(result.status == 78)
        #expect(result.stderr == "lg-keeper: \(path): policy.poolDecimals moved to pool.decimals (with pool.currency): move it there\n")
    }
}
