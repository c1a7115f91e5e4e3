import Foundation
import OKX
import Store
import Testing
import TestSupport
import Vault
import Wire

/// `lg-keeper keys add` asks OKX what a key may do (`GET /api/v5/account/config`, `perm`) before
/// storing it, as the trader API does: a key that can trade or withdraw is never held. Through the
/// binary, against okxsim's accounts of scenarios 26 (a trade-enabled key) and 27 (withdraw-enabled
/// and all-powers keys), whose `perm` words are OKX's documented ones
/// (https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-account-configuration).
@Suite struct KeysAddReadOnlyTests {
    static let master = ["LGK_VAULT_KEY": String(repeating: "5a", count: 32)]
    static let wallet = "0x" + String(repeating: "cd", count: 20)

    let scratch: Scratch
    let config: String

    init() throws {
        scratch = try Scratch()
        config = try VerifyCommandTests.writeConfig(scratch, okxURL: try OKXSim.shared().baseURL)
    }

    func add(_ credentials: OKXCredentials, alias: String, _ extra: [String] = [], config: String? = nil) throws -> KeeperBinary.Result {
        try KeeperBinary.runWithInput(["keys", "add", "--wallet", Self.wallet, "--alias", alias, "--config", config ?? self.config] + extra,
                                      input: "\(credentials.apiKey)\n\(credentials.secretKey)\n\(credentials.passphrase)\n",
                                      environment: Self.master)
    }

    func aliases() throws -> [String] {
        guard FileManager.default.fileExists(atPath: scratch.database) else { return [] }
        return try KeyVault(database: try Database(path: scratch.database), masterKey: nil).list().map(\.alias)
    }

    func audits() throws -> [JSON] {
        try Database(path: scratch.database).fetchAll("SELECT detail FROM audit_log WHERE kind = 'keys.added' ORDER BY id")
            .map { try JSON(parsing: Array(try $0.get("detail", as: String.self).utf8)) }
    }

    func expectNoSecret(_ result: KeeperBinary.Result, _ credentials: OKXCredentials) throws {
        for secret in [credentials.secretKey, credentials.passphrase] {
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        }
        #expect(try scratch.filesContaining([credentials.secretKey, credentials.passphrase]).isEmpty)
    }

    @Test func aReadOnlyKeyIsStoredWithItsAccountsUID() throws {
        defer { scratch.remove() }
        let zane = try #require(try OKXScenario.accounts()["zane"])
        let added = try add(zane, alias: "zane")
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("stored        zane for \(Self.wallet)") && !added.stdout.contains("unchecked"), "\(added.stdout)")
        let vault = KeyVault(database: try Database(path: scratch.database), masterKey: try VaultMasterKey.from(environment: Self.master))
        let stored = try vault.credentials(alias: "zane").credentials
        #expect(stored.uid == "448190362870112281", "the uid account/config answered (scenario 26)")
        #expect(stored.apiKey == zane.apiKey && stored.secretKey == zane.secretKey && stored.passphrase == zane.passphrase)
        let audit = try audits()
        #expect(audit.count == 1 && audit.first?["perm"]?.stringValue == "read_only" && audit.first?["by"]?.stringValue == "operator")
        #expect(audit.first?["key"]?.stringValue == zane.fingerprint)
        try expectNoSecret(added, zane)
    }

    @Test(arguments: [("zane-trade", "trade"), ("zelda-withdraw", "withdraw"), ("zelda-all", "trade and withdraw")])
    func aKeyThatCanDoMoreThanReadIsRefusedAndNotStored(account: String, powers: String) throws {
        defer { scratch.remove() }
        let key = try #require(try OKXScenario.accounts()[account])
        let added = try add(key, alias: account)
        #expect(added.status == 65, "\(added.stdout) \(added.stderr)")
        #expect(added.stderr.contains("OKX says this key can \(powers) (perm read_only,"), "\(added.stderr)")
        #expect(added.stderr.contains("so it was not stored: create an OKX API key with the Read permission only"), "\(added.stderr)")
        #expect(!added.stdout.contains("stored"))
        #expect(try aliases().isEmpty)
        try expectNoSecret(added, key)
    }

    @Test func aKeyOKXRefusesIsNotStoredUnlessTheOperatorSaysUnchecked() throws {
        defer { scratch.remove() }
        let zane = try #require(try OKXScenario.accounts()["zane"])
        let wrong = OKXCredentials(apiKey: zane.apiKey, secretKey: zane.secretKey, passphrase: "not-the-passphrase")
        let refused = try add(wrong, alias: "zane-wrong")
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(refused.stderr.contains("OKX refused the key (code 50105") && refused.stderr.contains("or add it with --unchecked"), "\(refused.stderr)")
        #expect(try aliases().isEmpty)

        let unchecked = try add(wrong, alias: "zane-wrong", ["--unchecked"])
        #expect(unchecked.status == 0, "\(unchecked.stderr)")
        #expect(unchecked.stdout.contains("unchecked     OKX was not asked what the key may do (--unchecked)"), "\(unchecked.stdout)")
        #expect(try aliases() == ["zane-wrong"])
        #expect(try audits().map { $0["perm"]?.stringValue } == ["unchecked"])
        try expectNoSecret(unchecked, wrong)
    }

    @Test func withoutAConfigurationOrWhenOKXCannotBeReachedNothingIsStored() throws {
        defer { scratch.remove() }
        let zane = try #require(try OKXScenario.accounts()["zane"])
        let noConfig = try KeeperBinary.runWithInput(["keys", "add", "--wallet", Self.wallet, "--alias", "zane", "--db", scratch.database],
                                                     input: "\(zane.apiKey)\n\(zane.secretKey)\n\(zane.passphrase)\n", environment: Self.master)
        #expect(noConfig.status == 64, "\(noConfig.stderr)")
        #expect(noConfig.stderr.contains("give --config FILE (it names OKX's hosts), or --unchecked"), "\(noConfig.stderr)")

        // Nothing listens on port 1: OKX cannot be asked.
        let unreachable = "\(scratch.directory)/unreachable.json"
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: try OKXSim.shared().baseURL, with: "http://127.0.0.1:1")
            .write(toFile: unreachable, atomically: true, encoding: .utf8)
        let down = try add(zane, alias: "zane", config: unreachable)
        #expect(down.status == 69, "\(down.stderr)")
        #expect(down.stderr.contains("OKX could not be asked whether the key is read-only") && down.stderr.contains("so it was not stored"),
                "\(down.stderr)")
        #expect(try aliases().isEmpty)

        let misplaced = try KeeperBinary.runWithInput(["keys", "list", "--unchecked", "--db", scratch.database], input: "", environment: [:])
        #expect(misplaced.status == 64 && misplaced.stderr.contains("--unchecked does not apply to `keys list`"), "\(misplaced.stderr)")
    }
}
