import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Settlement
@testable import Store

/// `run` and `index` start only when they can work (issue 14): each start-up check ends the
/// process with one line naming what to fix, exit 78 — or 69 when the node cannot be reached.
@Suite(.serialized) struct StartupCheckTests {
    /// One line on stderr, the expected status, and the line names what to fix.
    static func expectRefused(_ result: KeeperBinary.Result, status: Int32 = 78, naming fixes: [String], _ what: String) {
        #expect(result.status == status, "\(what): exit \(result.status): \(result.stderr)")
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1, "\(what): one line, not \(result.stderr)")
        for fix in fixes { #expect(result.stderr.contains(fix), "\(what): \(fix) in \(result.stderr)") }
    }

    @Test(.timeLimit(.minutes(4))) func eachStartupCheckEndsInItsOneLine() async throws {
        let harness = try SettlementHarness()
        defer { harness.stop() }
        let deployment = harness.devnet.deployment
        let chain = try #require(harness.configDocument["chain"]?.objectValue)
        func chainWith(_ changes: [String: JSON]) -> JSON { .object(chain.merging(changes) { _, new in new }) }
        let keeperKey = "\(harness.dir)/keeper.key"
        let userKey = "\(harness.dir)/user.key"
        _ = FileManager.default.createFile(atPath: userKey, contents: Data(deployment.users[0].privateKey.utf8), attributes: [.posixPermissions: 0o600])

        // The node: unreachable (69) or another chain (78), for both commands.
        let unreachable = try harness.writeConfig("unreachable.json", ["chain": chainWith(["rpcUrls": ["http://127.0.0.1:1"]])])
        let otherChain = try harness.writeConfig("other-chain.json", ["chain": chainWith(["chainId": 1])])
        for command in [["run"], ["index", "--once"]] {
            let down = try KeeperBinary.run(command + ["--config", unreachable], environment: harness.environment)
            Self.expectRefused(down, status: 69, naming: ["cannot reach the node", "check chain.rpcUrls"], "\(command): no node")
            let wrong = try KeeperBinary.run(command + ["--config", otherChain], environment: harness.environment)
            Self.expectRefused(wrong, naming: ["chain.chainId is 1 but the node reports \(deployment.chainId)"], "\(command): another chain")
        }

        // The contract: no code there, or code that is not a LeverageGuard (the pool's USDT token).
        // Neither ties a database to the address: none is created.
        for (name, address, fix) in [("no-code", deployment.keeper.address, "there is no contract at chain.contract"),
                                     ("token", deployment.asset, "reverts keeper(): it is not a LeverageGuard contract (check chain.contract)")] {
            let store = "\(harness.dir)/\(name).sqlite"
            let path = try harness.writeConfig("\(name).json", ["chain": chainWith(["contract": .string(address)]), "store": ["path": .string(store)]])
            for command in [["run"], ["index", "--once"]] {
                let result = try KeeperBinary.run(command + ["--config", path], environment: harness.environment)
                Self.expectRefused(result, naming: [fix], "\(command): \(name)")
                #expect(!FileManager.default.fileExists(atPath: store), "\(command): \(name): no database")
            }
        }

        // The signer: not the contract's keeper().
        let wrongSigner = try harness.writeConfig("wrong-signer.json", ["signer": ["keyFile": .string(userKey)]])
        Self.expectRefused(try KeeperBinary.run(["run", "--config", wrongSigner], environment: harness.environment),
                           naming: ["the signer", "is not the contract's keeper()", "setKeeper("], "wrong signer")

        // The signer: too poor for signer.minTransactions at the node's fees (twice what it holds).
        let balance = try await harness.rpc.balance(of: try Address(hex: deployment.keeper.address))
        let fee = try await NodeFeeOracle(rpc: harness.rpc).quote(cap: UInt256(200_000_000_000)).maxFeePerGas
        let perTransaction = UInt256(StartupCheck.gasPerTransaction) &* fee
        let affordable = try #require(Int(try balance.divided(by: perTransaction).description))
        let poor = try harness.writeConfig("poor.json", ["signer": ["keyFile": .string(keeperKey), "minTransactions": JSON(affordable * 2 + 1)]])
        Self.expectRefused(try KeeperBinary.run(["run", "--config", poor], environment: harness.environment),
                           naming: ["holds \(balance) wei", "signer.minTransactions (\(affordable * 2 + 1))", "fund it, or lower signer.minTransactions"], "poor signer")
        let enough = try harness.writeConfig("enough.json", ["signer": ["keyFile": .string(keeperKey), "minTransactions": JSON(affordable / 2)]])

        // The vault: no master key; then a vault holding a key sealed under another master key.
        var withoutKey = harness.environment
        withoutKey["LGK_VAULT_KEY"] = nil
        Self.expectRefused(try KeeperBinary.run(["run", "--config", enough], environment: withoutKey),
                           naming: ["the OKX key vault cannot be opened: no vault master key: set LGK_VAULT_KEY_FILE to a 0600 file or LGK_VAULT_KEY"], "no vault key")
        try harness.addKey(user: 0, scenario: try SettlementHarness.scenario("01-full-liquidation-long.json"))
        Self.expectRefused(try KeeperBinary.run(["run", "--config", enough], environment: ["LGK_VAULT_KEY": String(repeating: "cd", count: 32)]),
                           naming: ["was sealed under another vault master key"], "another vault key")
        // Nothing was signed by any refused start.
        #expect(try await harness.rpc.transactionCount(of: try Address(hex: deployment.keeper.address), block: .latest) == 0)

        // With every check passing, it starts (and `index --once` indexes).
        let keeper = try KeeperBinary.start(["run", "--config", enough], environment: harness.environment)
        let started = try await harness.waitUntil(seconds: 30) { keeper.stderr.contains("msg=\"keeper started\"") }
        let stopped = keeper.terminate()
        #expect(started && stopped.status == 0, "\(stopped.stderr.suffix(1_500))")
        let indexed = try KeeperBinary.run(["index", "--once", "--config", harness.configPath], environment: harness.environment)
        #expect(indexed.status == 0, "\(indexed.stderr)")
    }

    /// Endpoints from `chain.rpcUrlsEnv` carry a provider's key in their path, query and user part:
    /// the key appears nowhere — not in the keeper's log, `/metrics`, `/readyz`, alerts or error lines.
    @Test(.timeLimit(.minutes(4))) func aProviderKeyInTheEnvironmentNeverShows() async throws {
        let key = "PROVIDERKEY7f3a9c"
        let harness = try SettlementHarness(sections: ["alerts": ["rpcDownAfterSeconds": 2]])
        defer { harness.stop() }
        var chain = try #require(harness.configDocument["chain"]?.objectValue)
        chain["rpcUrls"] = nil
        chain["rpcUrlsEnv"] = "LGK_TEST_RPC_URLS"
        chain["requestTimeoutMs"] = 5_000  // answers expected within it, seconds on a loaded machine; the hung node still alerts
        let path = try harness.writeConfig("env.json", ["chain": .object(chain)])
        let node = harness.devnet.rpcURL.hasSuffix("/") ? String(harness.devnet.rpcURL.dropLast()) : harness.devnet.rpcURL
        let keyed = node.replacingOccurrences(of: "http://", with: "http://user:\(key)@") + "/v3/\(key)?apikey=\(key)"
        var lines = [String]()

        // Refused starts: an unset variable, an entry that is not a URL, only a dead keyed endpoint.
        let unset = try KeeperBinary.run(["run", "--config", path], environment: harness.environment)
        Self.expectRefused(unset, naming: ["chain.rpcUrlsEnv names LGK_TEST_RPC_URLS, which is not set"], "unset")
        let notURL = try KeeperBinary.run(["run", "--config", path], environment: harness.environment.merging(["LGK_TEST_RPC_URLS": "ftp://\(key)"]) { _, new in new })
        Self.expectRefused(notURL, naming: ["entry 1 of LGK_TEST_RPC_URLS (chain.rpcUrlsEnv) must be an http:// or https:// URL"], "not a URL")
        let dead = try KeeperBinary.run(["index", "--once", "--config", path],
                                        environment: harness.environment.merging(["LGK_TEST_RPC_URLS": "http://127.0.0.1:1/v3/\(key)"]) { _, new in new })
        Self.expectRefused(dead, status: 69, naming: ["cannot reach the node"], "dead endpoint")
        lines += [unset.stderr, notURL.stderr, dead.stderr]

        // A dead keyed endpoint first, the devnode behind a key second: the keeper fails over, settles a claim.
        let environment = ["LGK_TEST_RPC_URLS": "http://127.0.0.1:1/v3/\(key), \(keyed)"]
        let s = try SettlementHarness.scenario("01-full-liquidation-long.json")
        try harness.addKey(user: 0, scenario: s)
        try harness.requestClaim(user: 0, scenario: s)
        let keeper = try KeeperBinary.start(["run", "--config", path], environment: harness.environment.merging(environment) { _, new in new })
        let base = try await OperationsEndpointTests.listeningAddress(keeper)
        #expect(try await harness.waitForClaims(seconds: 90) { $0.first?.state == .paid }, "\(keeper.stderr.suffix(1_500))")
        // A hung node puts the endpoint into error messages, /readyz and an alert.
        harness.devnet.suspend()
        let database = try harness.database()
        let alerted = try await harness.waitUntil(seconds: 60) { try database.fetchOne("SELECT count(*) FROM alerts WHERE kind = 'rpc_down'", as: Int.self) == 1 }
        let http = HTTPClient()
        let readyz = try await http.send(HTTPRequest(method: .get, url: "\(base)/readyz"))
        harness.devnet.resume()
        #expect(alerted, "\(keeper.stderr.suffix(1_500))")
        let metrics = try await http.send(HTTPRequest(method: .get, url: "\(base)/metrics"))
        let status = try KeeperBinary.run(["status", "--config", path], environment: environment)
        let stopped = keeper.terminate()
        #expect(stopped.status == 0, "\(stopped.stderr.suffix(1_500))")
        #expect(stopped.stderr.contains("msg=\"node stopped answering\""))
        let alerts = try database.fetchAll("SELECT body FROM alerts").map { try $0.get("body", as: String.self) }
        lines += [stopped.stderr, String(decoding: readyz.body, as: UTF8.self), String(decoding: metrics.body, as: UTF8.self),
                  status.stdout, status.stderr] + alerts
        for (index, text) in lines.enumerated() { #expect(!text.contains(key), "output \(index) shows the provider key: \(text.suffix(2_000))") }
        #expect(try harness.filesContainingSecrets([key]).isEmpty, "nothing under the scratch directory holds the key")
    }
}
