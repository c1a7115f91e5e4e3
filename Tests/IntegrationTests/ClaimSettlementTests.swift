import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Store

/// `lg-keeper run` against a devnode and okxsim: users file claims for okxsim's scenarios; the
/// keeper verifies each with the user's key from the vault, writes the verdict on-chain and pays
/// the liquidated ones. Expected verdicts and losses come from devnet/scenarios.
@Suite(.serialized) struct ClaimSettlementTests {
    /// (scenario file, devnet user index, the state the claim must end in)
    static let cases: [(file: String, user: Int, state: ClaimState)] = [
        ("01-full-liquidation-long.json", 0, .paid),
        ("04-adl.json", 1, .paid),
        ("05-manual-close-loss.json", 2, .rejected),
        ("06-position-still-open.json", 3, .rejected),
        ("07-order-of-another-account.json", 4, .failed),
    ]
    static let coverageBps = 5_000
    static let maxPayoutPerClaim = Decimal(50)

    static func scenario(_ file: String) throws -> OKXScenario {
        guard let scenario = try OKXScenario.all().first(where: { $0.file == file }) else { throw ScenarioError(description: "no scenario \(file)") }
        return scenario
    }

    /// DESIGN.md §7's payout: min(loss, principal, maxPayoutPerClaim) × coverageBps / 10 000, in wei, rounded down.
    static func expectedWei(_ s: OKXScenario) -> UInt256 {
        var amount = min(s.loss, s.principal, maxPayoutPerClaim) * Decimal(coverageBps) / 10_000 * pow(10, 18)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &amount, 0, .down)
        return try! UInt256(decimal: NSDecimalNumber(decimal: rounded).stringValue)
    }

    @Test(.timeLimit(.minutes(4))) func everyClaimSettlesOnceWithTheComputedAmount() async throws {
        let devnet = try Devnet()
        defer { devnet.stop() }
        let okx = try ServerProcess(script: "okxsim.py", arguments: ["--port", "0"])
        defer { okx.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-settle-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let keyFile = "\(dir)/keeper.key"
        FileManager.default.createFile(atPath: keyFile, contents: Data(devnet.deployment.keeper.privateKey.utf8), attributes: [.posixPermissions: 0o600])
        let vaultKey = String(repeating: "ab", count: 32)
        let config: JSON = [
            "chain": ["rpcUrls": [.string(devnet.rpcURL)], "chainId": JSON(Int(devnet.deployment.chainId)), "contract": .string(devnet.deployment.contract),
                      "startBlock": JSON(Int(devnet.deployment.deployBlock)), "confirmations": 0, "pollIntervalMs": 200],
            "signer": ["keyFile": .string(keyFile)],
            "okx": ["baseURL": .string(okx.baseURL), "timeoutMs": 5_000],
            "policy": ["poolDecimals": 18, "coverageBps": JSON(Self.coverageBps), "maxPayoutPerClaim": "50", "dailyLimit": "100",
                       "minPoolReserve": "0", "reviewAbove": "100"],
            "store": ["path": .string("\(dir)/keeper.sqlite")],
            "evidence": ["dir": .string("\(dir)/evidence")],
            "vault": ["masterKeyEnv": "LGK_VAULT_KEY"],
            "reconcile": ["intervalSeconds": 1, "pauseOnMismatch": true],
        ]
        let configPath = "\(dir)/keeper.json"
        try Data(config.serialized()).write(to: URL(fileURLWithPath: configPath))
        let environment = ["LGK_VAULT_KEY": vaultKey]

        var secrets = [String]()
        for (file, user, _) in Self.cases {
            let s = try Self.scenario(file)
            secrets += [s.credentials.secretKey, s.credentials.passphrase]
            let wallet = devnet.deployment.users[user].address
            let added = try KeeperBinary.runWithInput(["keys", "add", "--wallet", wallet, "--alias", "user\(user)", "--db", "\(dir)/keeper.sqlite"],
                                                      input: "\(s.credentials.apiKey)\n\(s.credentials.secretKey)\n\(s.credentials.passphrase)\n", environment: environment)
            #expect(added.status == 0, "\(added.stderr)")
            let wei = NSDecimalNumber(decimal: s.principal * pow(10, 18)).stringValue
            _ = try ReferencePython.runDevnetScript("request_claim.py", ["--deployment", devnet.deploymentFile, "--user", String(user),
                                                                          "--order-id", s.ordId, "--inst-id", s.instId, "--principal", wei,
                                                                          "--leverage", String(s.leverage)])
        }

        let keeper = try KeeperBinary.start(["run", "--config", configPath], environment: environment)
        let database = try Database(path: "\(dir)/keeper.sqlite")
        let ledger = ClaimLedger(database: database)
        let deadline = Date().addingTimeInterval(150)
        while Date() < deadline {
            let claims = try ledger.list()
            if claims.count == Self.cases.count, claims.allSatisfy(\.state.isFinal) { break }
            try await Task.sleep(for: .milliseconds(300))
        }
        let stopped = keeper.terminate()
        #expect(stopped.status == 0, "lg-keeper run exited \(stopped.status): \(stopped.stderr.suffix(2_000))")

        let reader = ContractReader(rpc: JSONRPCClient(endpoints: [devnet.rpcURL]), contract: try Address(hex: devnet.deployment.contract))
        for (file, user, state) in Self.cases {
            let s = try Self.scenario(file)
            let address = try Address(hex: devnet.deployment.users[user].address)
            let orderID = try UInt256(decimal: s.ordId)
            let claim = try #require(try ledger.claim(user: address, orderID: orderID), "\(file)")
            #expect(claim.state == state, "\(file): \(claim.state.rawValue) \(claim.reason ?? "")")
            let onChain = try await reader.claim(user: address, orderID: orderID)
            switch state {
            case .paid:
                #expect(onChain.verified && onChain.liquidated && onChain.claimed, "\(file)")
                #expect(onChain.amount == Self.expectedWei(s), "\(file)")
                #expect(claim.amount == Self.expectedWei(s), "\(file)")
                #expect(onChain.evidenceRoot == claim.evidenceRoot, "\(file)")
            case .rejected:
                #expect(onChain.verified && !onChain.liquidated && !onChain.claimed && onChain.amount == .zero, "\(file)")
            default:
                #expect(!onChain.verified, "\(file)")
            }
        }
        // Exactly one verifyPayout per decided claim, one executePayout per paid claim, none reverted.
        #expect(try database.fetchOne("SELECT count(*) FROM txs WHERE action = 'verify'", as: Int.self) == 4)
        #expect(try database.fetchOne("SELECT count(*) FROM txs WHERE action = 'execute'", as: Int.self) == 2)
        #expect(try database.fetchOne("SELECT count(*) FROM txs WHERE state != 'confirmed'", as: Int.self) == 0)
        #expect(try AuditLog.verify(database).broken == nil)

        let reconcile = try KeeperBinary.run(["reconcile", "--json", "--config", configPath], environment: environment)
        #expect(reconcile.status == 0, "\(reconcile.stdout) \(reconcile.stderr)")
        let audit = try KeeperBinary.run(["audit", "verify", "--config", configPath])
        #expect(audit.status == 0, "\(audit.stderr)")
        let shown = try KeeperBinary.run(["claims", "list", "--json", "--config", configPath])
        for secret in secrets {
            #expect(!shown.stdout.contains(secret) && !stopped.stderr.contains(secret))
        }
        let leaks = try Self.files(in: dir, containing: secrets)
        #expect(leaks.isEmpty, "\(leaks)")
        try? FileManager.default.removeItem(atPath: dir)
    }

    static func files(in directory: String, containing secrets: [String]) throws -> [String] {
        var found = [String]()
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            let path = "\(directory)/\(relative)"
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            for secret in secrets where bytes.range(of: Data(secret.utf8)) != nil { found.append(relative) }
        }
        return found
    }
}
