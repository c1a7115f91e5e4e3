import Foundation
import OKX
import Store
import Testing
import TestSupport
import Verification
import Wire
@testable import Keeper
@testable import Settlement

/// `lg-keeper verify` and `lg-keeper evidence verify --chain` run as processes against okxsim.
@Suite struct VerifyCommandTests {
    /// Runs `lg-keeper` with a minimal environment plus `environment`, and `stdin` piped in.
    static func run(_ arguments: [String], environment: [String: String] = [:], stdin: String = "") throws -> KeeperBinary.Result {
        try KeeperBinary.runWithInput(arguments, input: stdin, environment: environment)
    }

    static func environment(_ credentials: OKXCredentials) -> [String: String] {
        ["LGK_OKX_API_KEY": credentials.apiKey, "LGK_OKX_SECRET_KEY": credentials.secretKey, "LGK_OKX_PASSPHRASE": credentials.passphrase]
    }

    /// A configuration naming okxsim, 6 pool decimals, full coverage and the scratch store.
    static func writeConfig(_ scratch: Scratch, okxURL: String) throws -> String {
        let path = "\(scratch.directory)/keeper.json"
        try """
        {"chain": {"rpcUrls": ["http://127.0.0.1:1"], "chainId": 1337, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
         "okx": {"baseURL": "\(okxURL)"},
         "pool": {"currency": "USDT", "decimals": 6},
         "policy": {"coverageBps": 10000, "maxPayoutPerClaim": "1000000"},
         "store": {"path": "\(scratch.database)"}, "evidence": {"dir": "\(scratch.evidence)"}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    let scenarios: [OKXScenario]
    init() throws { scenarios = try OKXScenario.all() }
    func scenario(_ account: String) throws -> OKXScenario { try #require(scenarios.first { $0.account == account }) }

    @Test func environmentCredentialsGiveTheVerdictAndEvidence() async throws {
        let sim = try OKXSim.shared()
        let scratch = try Scratch()
        defer { scratch.remove() }
        let alice = try scenario("alice")
        let config = try Self.writeConfig(scratch, okxURL: sim.baseURL)
        let result = try Self.run(["verify", "--ord-id", alice.ordId, "--inst-id", alice.instId, "--principal", "\(alice.principal)", "--config", config],
                                  environment: Self.environment(alice.credentials))
        #expect(result.status == 0, "\(result.stderr)")
        let response = try JSON(parsing: Array(result.stdout.utf8))
        #expect(response["normalized"]?["position"]?["liquidated"] == .bool(alice.liquidated))
        #expect(response["normalized"]?["position"]?["reason"]?.stringValue == alice.reason)
        #expect(response["normalized"]?["payout"]?["amount"]?.stringValue == "\(min(alice.loss, alice.principal) * 1_000_000)")
        #expect(response["error"] == .null)
        let id = try #require(response["evidence"]?["evidenceId"]?.stringValue)
        #expect(result.stderr.contains(id))

        let check = try Self.run(["evidence", "verify", id, "--db", scratch.database, "--evidence-dir", scratch.evidence])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")

        for output in [result.stdout, result.stderr] {
            for secret in alice.credentials.secrets { #expect(!output.contains(secret)) }
        }
        #expect(try scratch.filesContaining(alice.credentials.secrets).isEmpty)
    }

    @Test func upstreamFailureExits69WithTheErrorObject() async throws {
        let sim = try OKXSim.shared()
        let scratch = try Scratch()
        defer { scratch.remove() }
        let grace = try scenario("grace")
        let common = ["--okx-url", sim.baseURL, "--db", scratch.database, "--evidence-dir", scratch.evidence]
        let notFound = try Self.run(["verify", "--ord-id", grace.ordId, "--inst-id", grace.instId] + common,
                                    environment: Self.environment(grace.credentials))
        #expect(notFound.status == 69, "\(notFound.stderr)")
        let response = try JSON(parsing: Array(notFound.stdout.utf8))
        #expect(response["error"]?["code"]?.stringValue == grace.error)
        #expect(response["error"]?["hint"]?.stringValue?.isEmpty == false)
        #expect(notFound.stderr.contains("permanent upstream failure"))

        let wrong = OKXCredentials(apiKey: grace.credentials.apiKey, secretKey: grace.credentials.secretKey, passphrase: "Wrong-passphrase-77")
        let refused = try Self.run(["verify", "--ord-id", grace.ordId, "--inst-id", grace.instId] + common, environment: Self.environment(wrong))
        #expect(refused.status == 69)
        #expect(try JSON(parsing: Array(refused.stdout.utf8))["error"]?["code"] == "AUTH_ERROR")

        for output in [notFound, refused] {
            for secret in grace.credentials.secrets + wrong.secrets { #expect(!output.stdout.contains(secret) && !output.stderr.contains(secret)) }
        }
        #expect(try scratch.filesContaining(grace.credentials.secrets + wrong.secrets).isEmpty)
    }

    @Test func walletTakesTheKeyFromTheVault() async throws {
        let sim = try OKXSim.shared()
        let scratch = try Scratch()
        defer { scratch.remove() }
        let bob = try scenario("bob")
        let wallet = "0x" + String(repeating: "b0", count: 20)
        let masterKey = String(repeating: "6e", count: 32)
        let keyFile = "\(scratch.directory)/master.key"
        try masterKey.write(toFile: keyFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile)
        let credentials = "\(bob.credentials.apiKey)\n\(bob.credentials.secretKey)\n\(bob.credentials.passphrase)\n"
        let added = try Self.run(["keys", "add", "--unchecked", "--wallet", wallet, "--alias", "bob", "--db", scratch.database],
                                 environment: ["LGK_VAULT_KEY_FILE": keyFile], stdin: credentials)
        #expect(added.status == 0, "\(added.stderr)")

        let common = ["--okx-url", sim.baseURL, "--db", scratch.database, "--evidence-dir", scratch.evidence, "--principal", "\(bob.principal)"]
        let result = try Self.run(["verify", "--ord-id", bob.ordId, "--inst-id", bob.instId, "--wallet", wallet] + common,
                                  environment: ["LGK_VAULT_KEY_FILE": keyFile])
        #expect(result.status == 0, "\(result.stderr)")
        let response = try JSON(parsing: Array(result.stdout.utf8))
        #expect(response["meta"]?["wallet"]?.stringValue == wallet)
        #expect(response["normalized"]?["position"]?["reason"]?.stringValue == bob.reason)
        let id = try #require(response["evidence"]?["evidenceId"]?.stringValue)
        let entry = try #require(try EvidenceLedger(database: try Database(path: scratch.database)).entry(id))
        #expect(entry.wallet == wallet && entry.liquidated == bob.liquidated)

        let both = try Self.run(["verify", "--ord-id", bob.ordId, "--inst-id", bob.instId, "--wallet", wallet] + common,
                                environment: Self.environment(bob.credentials).merging(["LGK_VAULT_KEY_FILE": keyFile]) { a, _ in a })
        #expect(both.status == 64, "one source of credentials")
        let noKey = try Self.run(["verify", "--ord-id", bob.ordId, "--inst-id", bob.instId, "--wallet", wallet] + common)
        #expect(noKey.status == 78, "no master key")
        let unknown = try Self.run(["verify", "--ord-id", bob.ordId, "--inst-id", bob.instId, "--wallet", "0x" + String(repeating: "99", count: 20)] + common,
                                   environment: ["LGK_VAULT_KEY_FILE": keyFile])
        #expect(unknown.status == 1 && unknown.stderr.contains("no OKX key in the vault"))

        for output in [result, both, noKey, unknown] {
            for secret in bob.credentials.secrets + [masterKey] { #expect(!output.stdout.contains(secret) && !output.stderr.contains(secret)) }
        }
        #expect(try scratch.filesContaining(bob.credentials.secrets).isEmpty)
    }

    @Test func usage() throws {
        #expect(try Self.run(["verify", "--inst-id", "BTC-USDT-SWAP"]).status == 64)
        #expect(try Self.run(["verify", "--ord-id", "12ab", "--inst-id", "BTC-USDT-SWAP"]).status == 64)
        let noCredentials = try Self.run(["verify", "--ord-id", "1", "--inst-id", "BTC-USDT-SWAP", "--db", "/nonexistent/x.sqlite"])
        #expect(noCredentials.status == 64 && noCredentials.stderr.contains("LGK_OKX_API_KEY"))
        #expect(try Self.run(["verify", "--ord-id", "1", "--inst-id", "BTC-USDT-SWAP", "--api-key", "k"]).status == 64, "never from argv")
    }

    /// `evidence verify --chain` against the `events` table as the log follower fills it.
    @Test func chainComparesTheIndexedPayoutVerified() async throws {
        let sim = try OKXSim.shared()
        let scratch = try Scratch()
        defer { scratch.remove() }
        let carol = try scenario("carol")
        let wallet = "0x" + String(repeating: "ca", count: 20)
        let masterKey = String(repeating: "17", count: 32)
        #expect(try Self.run(["keys", "add", "--unchecked", "--wallet", wallet, "--alias", "carol", "--db", scratch.database], environment: ["LGK_VAULT_KEY": masterKey],
                             stdin: "\(carol.credentials.apiKey)\n\(carol.credentials.secretKey)\n\(carol.credentials.passphrase)\n").status == 0)
        let verified = try Self.run(["verify", "--ord-id", carol.ordId, "--inst-id", carol.instId, "--wallet", wallet, "--okx-url", sim.baseURL,
                                     "--db", scratch.database, "--evidence-dir", scratch.evidence], environment: ["LGK_VAULT_KEY": masterKey])
        #expect(verified.status == 0, "\(verified.stderr)")
        let response = try JSON(parsing: Array(verified.stdout.utf8))
        let id = try #require(response["evidence"]?["evidenceId"]?.stringValue)
        let root = try #require(response["evidence"]?["root"]?.stringValue)
        let chain = ["evidence", "verify", id, "--chain", "--db", scratch.database, "--evidence-dir", scratch.evidence]

        let none = try Self.run(chain)
        #expect(none.status == 1 && none.stdout.contains("no PayoutVerified event"), "\(none.stdout)")

        let database = try Database(path: scratch.database)
        func insert(root: String, user: String, block: Int) throws {
            let data = JSON.object(["user": .string(user), "orderId": .string(carol.ordId), "amount": "584000000", "liquidated": true,
                                    "evidenceRoot": .string(root)]).serializedString
            try database.execute("""
                INSERT INTO events (chain_id, block_number, block_hash, tx_hash, tx_index, log_index, address, name, user, order_id, data, indexed_at)
                VALUES (1337, ?, ?, ?, 0, 0, '0x5fbdb2315678afecb367f032d93f642f64180aa3', 'PayoutVerified', ?, ?, ?, '2025-01-01T00:00:00Z')
                """, [block, "0x" + String(repeating: "0\(block % 10)", count: 32), "0x" + String(repeating: "a\(block % 10)", count: 32),
                      user, carol.ordId, data])
        }
        // Another user's event for the same order id does not count.
        try insert(root: root, user: "0x" + String(repeating: "ee", count: 20), block: 7)
        #expect(try Self.run(chain).status == 1)

        try insert(root: "0x" + String(repeating: "00", count: 32), user: wallet, block: 8)
        let mismatch = try Self.run(chain)
        #expect(mismatch.status == 1)
        #expect(mismatch.stdout.contains("MISMATCH  chain: the PayoutVerified evidenceRoot"), "\(mismatch.stdout)")

        try database.execute("DELETE FROM events WHERE block_number = 8")
        try insert(root: root, user: wallet, block: 9)
        let match = try Self.run(chain)
        #expect(match.status == 0, "\(match.stdout)\(match.stderr)")
        #expect(match.stdout.contains("PayoutVerified block 9") && match.stdout.contains(root))
    }
}
