import Foundation
import TestSupport
import Testing
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Settlement
@testable import Store

/// A devnode, okxsim and a keeper configuration in a scratch directory: the fixture of every test
/// that runs `lg-keeper run` to settle claims. Users' OKX keys go into the vault with `keys add` and
/// claims are filed on-chain with devnet/request_claim.py, as a trader would.
final class SettlementHarness: @unchecked Sendable {
    static let vaultKey = String(repeating: "ab", count: 32)

    /// What the devnode's pool pays in, and the `pool` section that says so.
    enum Pool {
        /// devnode.py `--pool-token`: TestStablecoin (USDT, 6 decimals), as `make demo` runs it.
        case usdt
        /// No flag: the native coin, ETH with 18 decimals.
        case eth

        var devnetArguments: [String] { self == .usdt ? ["--pool-token"] : [] }
        var section: JSON { self == .usdt ? ["currency": "USDT", "decimals": 6] : ["currency": "ETH", "decimals": 18] }
    }

    let devnet: Devnet
    let okx: ServerProcess
    let dir: String
    let configPath: String
    var databasePath: String { "\(dir)/keeper.sqlite" }
    /// The keeper's environment: the vault's master key, plus whatever a test adds.
    var environment: [String: String]
    /// Every OKX secret handed to the vault, for the tests that look for leaks.
    private(set) var secrets = [String]()
    let coverageBps: Int
    let maxPayoutPerClaim: Decimal
    /// The configuration written to `configPath`, for variants (`writeConfig`).
    let configDocument: [String: JSON]

    /// `policy` and `sections` override the defaults below key by key (a section replaces its default whole).
    init(pool: Pool = .usdt, devnetArguments: [String] = [], okxArguments: [String] = [], policy: [String: JSON] = [:], sections: [String: JSON] = [:],
         environment: [String: String] = [:]) throws {
        devnet = try Devnet(arguments: pool.devnetArguments + devnetArguments)
        do {
            okx = try ServerProcess(script: "okxsim.py", arguments: ["--port", "0"] + okxArguments)
        } catch {
            devnet.stop()
            throw error
        }
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-settle-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let keyFile = "\(dir)/keeper.key"
        _ = FileManager.default.createFile(atPath: keyFile, contents: Data(devnet.deployment.keeper.privateKey.utf8), attributes: [.posixPermissions: 0o600])

        var policySection: [String: JSON] = ["coverageBps": 5_000, "maxPayoutPerClaim": "50", "dailyLimit": "100",
                                             "minPoolReserve": "0", "reviewAbove": "100"]
        policySection.merge(policy) { _, new in new }
        coverageBps = policySection["coverageBps"]?.intValue ?? 5_000
        maxPayoutPerClaim = try OKXScenario.decimal(policySection["maxPayoutPerClaim"]?.stringValue ?? "50")
        var config: [String: JSON] = [
            "chain": ["rpcUrls": [.string(devnet.rpcURL)], "chainId": JSON(Int(devnet.deployment.chainId)), "contract": .string(devnet.deployment.contract),
                      "startBlock": JSON(Int(devnet.deployment.deployBlock)), "confirmations": 0, "pollIntervalMs": 200],
            "signer": ["keyFile": .string(keyFile)],
            "okx": ["baseURL": .string(okx.baseURL), "timeoutMs": 5_000],
            "pool": pool.section,
            "policy": .object(policySection),
            "store": ["path": .string("\(dir)/keeper.sqlite")],
            "evidence": ["dir": .string("\(dir)/evidence")],
            "vault": ["masterKeyEnv": "LGK_VAULT_KEY"],
            "reconcile": ["intervalSeconds": 1, "pauseOnMismatch": true],
            // A free port: suites run keepers side by side.
            "http": ["listen": "127.0.0.1:0"],
        ]
        config.merge(sections) { _, new in new }
        configPath = "\(dir)/keeper.json"
        configDocument = config
        try Data(JSON.object(config).serialized()).write(to: URL(fileURLWithPath: configPath))
        self.environment = ["LGK_VAULT_KEY": Self.vaultKey].merging(environment) { _, new in new }
    }

    /// Writes the harness's configuration with `sections` replaced (a nil value removes the section)
    /// to `name` in the scratch directory; returns its path.
    func writeConfig(_ name: String, _ sections: [String: JSON?]) throws -> String {
        var config = configDocument
        for (key, value) in sections { config[key] = value }
        let path = "\(dir)/\(name)"
        try Data(JSON.object(config).serialized()).write(to: URL(fileURLWithPath: path))
        return path
    }

    func stop() {
        okx.stop()
        devnet.stop()
        try? FileManager.default.removeItem(atPath: dir)  // scratch space: a leftover directory harms nothing
    }

    static func scenario(_ file: String) throws -> OKXScenario {
        guard let scenario = try OKXScenario.all().first(where: { $0.file == file }) else { throw ScenarioError(description: "no scenario \(file)") }
        return scenario
    }

    func userAddress(_ user: Int) throws -> Address { try Address(hex: devnet.deployment.users[user].address) }

    /// `lg-keeper keys add` for devnet user `user` with the OKX account of `scenario`.
    func addKey(user: Int, scenario s: OKXScenario) throws {
        secrets += [s.credentials.secretKey, s.credentials.passphrase]
        let added = try KeeperBinary.runWithInput(["keys", "add", "--unchecked", "--wallet", devnet.deployment.users[user].address, "--alias", "user\(user)", "--db", databasePath],
                                                  input: "\(s.credentials.apiKey)\n\(s.credentials.secretKey)\n\(s.credentials.passphrase)\n", environment: environment)
        guard added.status == 0 else { throw ScenarioError(description: "keys add exited \(added.status): \(added.stderr)") }
    }

    /// `whole` units of the pool's asset (USDT or ETH) in its base units.
    func units(_ whole: Decimal) throws -> UInt256 {
        var amount = whole * pow(10, devnet.deployment.assetDecimals), rounded = Decimal()
        NSDecimalRound(&rounded, &amount, 0, .down)
        return try UInt256(decimal: NSDecimalNumber(decimal: rounded).stringValue)
    }

    /// devnet user `user` files a claim on-chain for `scenario`'s order, principal (in the pool's
    /// asset, as the contract keeps it) and leverage.
    func requestClaim(user: Int, scenario s: OKXScenario) throws {
        _ = try ReferencePython.runDevnetScript("request_claim.py", ["--deployment", devnet.deploymentFile, "--user", String(user),
                                                                     "--order-id", s.ordId, "--inst-id", s.instId, "--principal", try units(s.principal).description,
                                                                     "--leverage", String(s.leverage)])
    }

    /// `lg-keeper run` with the harness's environment plus `extraEnvironment`.
    func startKeeper(_ extraArguments: [String] = [], extraEnvironment: [String: String] = [:]) throws -> KeeperBinary.Running {
        try KeeperBinary.start(["run", "--config", configPath] + extraArguments, environment: environment.merging(extraEnvironment) { _, new in new })
    }

    func database() throws -> Database { try Database(path: databasePath) }
    func ledger() throws -> ClaimLedger { ClaimLedger(database: try database()) }

    var reader: ContractReader {
        get throws { ContractReader(rpc: JSONRPCClient(endpoints: [devnet.rpcURL]), contract: try Address(hex: devnet.deployment.contract)) }
    }

    var rpc: JSONRPCClient { JSONRPCClient(endpoints: [devnet.rpcURL]) }

    var contract: Address { get throws { try Address(hex: devnet.deployment.contract) } }

    /// Sends a transaction from the devnet account holding `privateKey` (owner, keeper or a user), as
    /// a party other than the keeper process would; the devnode mines it at once. Throws unless it succeeded.
    @discardableResult
    func transact(as privateKey: String, to: Address?, value: UInt256 = .zero, data: [UInt8] = []) async throws -> TransactionReceipt {
        let hash = try await rpc.send(from: try PrivateKey(hex: privateKey), chainID: devnet.deployment.chainId, to: to, value: value, data: data)
        guard let receipt = try await rpc.transactionReceipt(hash), receipt.succeeded else {
            throw ScenarioError(description: "transaction \(hash) was not mined, or it reverted")
        }
        return receipt
    }

    /// Calls `function` (any member of abi/LeverageGuard.json) from the account holding `privateKey`.
    func callContract(_ function: String, _ arguments: [ABIValue], as privateKey: String, value: UInt256 = .zero) async throws {
        let abi = try ContractABI(json: Data(contentsOf: ReferencePython.repositoryRoot.appendingPathComponent("abi/LeverageGuard.json")))
        try await transact(as: privateKey, to: try contract, value: value, data: try abi.function(function).encodeCall(arguments))
    }

    /// The pool's token; nil for an ETH pool.
    var token: Address? { get throws { devnet.isTokenPool ? try Address(hex: devnet.deployment.asset) : nil } }

    /// What `address` holds of the pool's asset: its USDT (`balanceOf`) or its ETH.
    func assetBalance(of address: Address) async throws -> UInt256 {
        guard let token = try token else { return try await rpc.balance(of: address) }
        let output = try await rpc.call(CallRequest(to: token, data: try ABIFunction(signature: "balanceOf(address)").encodeCall([.address(address)])))
        return try ABIFunction(name: "balanceOf", inputs: [], outputs: [ABIParameter(name: "", type: .uint(256))]).decodeOutput(output)[0].asUInt()
    }

    /// Adds `amount` to the pool without `deposit()`/`depositToken`, so that no `FundsDeposited` is
    /// logged: a token pool gets a plain `transfer` to the contract; an ETH pool a contract whose
    /// constructor self-destructs with the pool as beneficiary.
    func depositWithoutEvent(_ amount: UInt256, as privateKey: String) async throws {
        if let token = try token {
            try await transact(as: privateKey, to: token, data: try ABIFunction(signature: "transfer(address,uint256)").encodeCall([.address(try contract), .uint(amount)]))
            return
        }
        let initCode = [0x73] + (try contract).bytes + [0xFF]  // PUSH20 pool; SELFDESTRUCT
        try await transact(as: privateKey, to: nil, value: amount, data: initCode)
    }

    /// The owner adds `amount` to the pool as an operator would: `approve` + `depositToken` for a
    /// token pool, `deposit()` with value for an ETH pool.
    func ownerDeposit(_ amount: UInt256) async throws {
        guard let token = try token else { return try await ownerTransaction("deposit", value: amount) }
        try await transact(as: devnet.deployment.owner.privateKey, to: token,
                           data: try ABIFunction(signature: "approve(address,uint256)").encodeCall([.address(try contract), .uint(amount)]))
        try await ownerTransaction("depositToken", [.uint(amount)])
    }

    /// Polls `done` every 300 ms until it holds or `seconds` pass; returns whether it held.
    func waitUntil(seconds: TimeInterval, _ done: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await done() { return true }
            try await Task.sleep(for: .milliseconds(300))
        }
        return try await done()
    }

    /// Polls the keeper's claims until `done` holds or `seconds` pass; returns whether it held.
    @discardableResult
    func waitForClaims(seconds: TimeInterval, until done: ([Claim]) -> Bool) async throws -> Bool {
        let ledger = ClaimLedger(database: try database())
        return try await waitUntil(seconds: seconds) { done(try ledger.list()) }
    }

    /// The keeper's record of devnet user `user`'s claim for `scenario`'s order.
    func claim(user: Int, _ s: OKXScenario) throws -> Claim? {
        try ledger().claim(user: try userAddress(user), orderID: try UInt256(decimal: s.ordId))
    }

    /// The contract's record of the same claim.
    func onChainClaim(user: Int, _ s: OKXScenario) async throws -> OnChainClaim {
        try await reader.claim(user: try userAddress(user), orderID: try UInt256(decimal: s.ordId))
    }

    /// The devnet's owner calls `function` on the contract, paying `value` wei; throws unless it succeeded.
    func ownerTransaction(_ function: String, _ arguments: [ABIValue] = [], value: UInt256 = .zero) async throws {
        try await callContract(function, arguments, as: devnet.deployment.owner.privateKey, value: value)
    }

    /// DESIGN.md §7's payout: min(loss, principal, maxPayoutPerClaim) × coverageBps / 10 000, in the
    /// pool asset's base units, rounded down.
    func expectedAmount(_ s: OKXScenario) throws -> UInt256 {
        try units(min(s.loss, s.principal, maxPayoutPerClaim) * Decimal(coverageBps) / 10_000)
    }

    /// The files under the scratch directory holding any of `secrets`, or of `others` (relative paths).
    func filesContainingSecrets(_ others: [String] = []) throws -> [String] {
        var found = [String]()
        let enumerator = FileManager.default.enumerator(atPath: dir)
        while let relative = enumerator?.nextObject() as? String {
            let path = "\(dir)/\(relative)"
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            for secret in secrets + others where bytes.range(of: Data(secret.utf8)) != nil { found.append(relative) }
        }
        return found
    }
}

extension SettlementHarness {
    /// How many of the keeper's transactions did `claim`'s `action` job: its own transaction, or one
    /// covering it (an item of a batch, or `verifyAndPay`, which does both jobs of a claim).
    static func transactionsDoing(_ action: TxAction, of claim: Claim, in database: Database) throws -> Int {
        try database.fetchOne("""
            SELECT count(*) FROM (SELECT id FROM txs WHERE request_tx_hash = ?1 AND request_log_index = ?2 AND action = ?3
                                  UNION SELECT tx_id FROM tx_items WHERE request_tx_hash = ?1 AND request_log_index = ?2 AND action = ?3)
            """, [claim.requestTxHash.description, claim.requestLogIndex, action.rawValue], as: Int.self) ?? 0
    }

    /// Every decided claim has one `PayoutVerified` and every paid claim one `PayoutExecuted` (indexed),
    /// and each of their jobs was in one transaction, plus one for each time a batch skipped it
    /// (`PayoutSkipped`, action 1 for a verdict, 2 for a payment): nothing was sent twice unexplained.
    static func expectEachJobDoneOnce(_ database: Database, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        for claim in try ClaimLedger(database: database).list() where claim.state == .paid || claim.state == .rejected {
            let arguments: [any DatabaseValueConvertible] = [claim.user.description.lowercased(), claim.orderID.description]
            func events(_ name: String) throws -> Int {
                try database.fetchOne("SELECT count(*) FROM events WHERE name = ? AND user = ? AND order_id = ?", [name] + arguments, as: Int.self) ?? 0
            }
            let skips = try database.fetchAll("SELECT data FROM events WHERE name = 'PayoutSkipped' AND user = ? AND order_id = ?", arguments)
                .map { try JSON(parsing: try $0.get(0, as: String.self))["action"]?.stringValue.flatMap { Int($0) } ?? 0 }
            #expect(try events("PayoutVerified") == 1, "\(claim.subject): PayoutVerified", sourceLocation: sourceLocation)
            #expect(try events("PayoutExecuted") == (claim.state == .paid ? 1 : 0), "\(claim.subject): PayoutExecuted", sourceLocation: sourceLocation)
            for (action, skipped) in claim.state == .paid ? [(TxAction.verify, 1), (.execute, 2)] : [(.verify, 1)] {
                let doers = try transactionsDoing(action, of: claim, in: database)
                let allowed = 1 + skips.filter { $0 == skipped }.count
                #expect(doers == allowed, "\(claim.subject) \(action.rawValue): \(doers) transactions, \(allowed - 1) skips", sourceLocation: sourceLocation)
            }
        }
    }
}
