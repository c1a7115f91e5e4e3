import Crypto
import Ethereum
import Foundation
import OKX
import Settlement
import Store
import Synchronization
import Testing
import Vault
@testable import Keeper

/// The trader API's challenges and key registration on a real SQLite file and vault, with wallets
/// that sign as `personal_sign` does (cross-checked against eth-account in EthereumTests). OKX's
/// answer to `account/config` is given per test; the end-to-end tests (devnet/tests/test_trader_api.py)
/// ask okxsim.
@Suite struct TraderKeysTests {
    final class Clock: Sendable {
        let now = Atomic<Int64>(1_796_558_400_000)  // 2026-12-06T12:00:00Z
        func advance(milliseconds: Int64) { now.add(milliseconds, ordering: .sequentiallyConsistent) }
        var value: Int64 { now.load(ordering: .sequentiallyConsistent) }
    }

    struct Fixture {
        let keys: TraderKeys
        let clock: Clock
        let path: String
        let vault: KeyVault
        let contract = try! Address(hex: "0x5FbDB2315678afecb367f032d93F642f64180aa3")

        init(perm: String = "read_only", okxCode: String? = nil) throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trader-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            path = directory.appendingPathComponent("keeper.sqlite").path
            let database = try Database(path: path)
            try KeeperSchema.migrator.migrate(database)
            let masterKey = try VaultMasterKey(bytes: try SecureRandom.bytes(32))
            let path = path
            vault = KeyVault(database: database, masterKey: masterKey)
            let clock = Clock()
            self.clock = clock
            keys = TraderKeys(
                signIn: TraderSignIn(domain: "keeper.test", chainID: 31_337, contract: contract), databasePath: path,
                vault: { () throws(VaultError) -> KeyVault in
                    do { return KeyVault(database: try Database(path: path), masterKey: masterKey) } catch { throw VaultError(.database, "\(error)") }
                },
                checkKey: { credentials throws(OKXError) in
                    if let okxCode {
                        throw OKXError(code: .authError, okxCode: okxCode, httpStatus: 401, msg: "Passphrase error", hint: "check the passphrase",
                                       endpoint: OKXEndpoint.accountConfig.path)
                    }
                    return try! OKXAccountConfig(json: ["uid": "448190362870112256", "mainUid": "448190362870112256", "perm": .string(perm),
                                                         "label": "test", "ip": "", "acctLv": "2", "posMode": "long_short_mode"])
                },
                clock: { clock.value }, log: .discarding)
        }

        func stored() throws -> [KeyVault.Entry] { try vault.list() }
    }

    static let alice = try! PrivateKey(bytes: Array(repeating: 0x11, count: 32))
    static let mallory = try! PrivateKey(bytes: Array(repeating: 0x22, count: 32))
    static let credentials = OKXCredentials(apiKey: "a7c4e0f2-3b1d-4c5e-9f6a-01d2e3f4a5b1", secretKey: "5F0A8C4E2B7D9A1C3E6F8B0D2A4C6E81",
                                            passphrase: "Alice-dev-only-1", region: .www)

    static func registration(_ fixture: Fixture, signer: PrivateKey = alice, wallet: PrivateKey = alice,
                             credentials: OKXCredentials = credentials) throws -> TraderRequests.Registration {
        let challenge = try fixture.keys.challenge(.init(wallet: wallet.address, action: .register, apiKey: credentials.apiKey,
                                                         region: credentials.region, orderID: nil))
        return TraderRequests.Registration(wallet: wallet.address, credentials: credentials, nonce: challenge.nonce,
                                           signature: try signer.signPersonalMessage(challenge.message))
    }

    static func refusal(_ code: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected \(code)")
        } catch let error as TraderAPIError {
            #expect(error.code == code, "\(error)")
            #expect(!error.message.isEmpty && !error.hint.isEmpty)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func theChallengeIsAnEIP4361MessageNamingTheKeyRegionAndContract() throws {
        let fixture = try Fixture()
        let challenge = try fixture.keys.challenge(.init(wallet: Self.alice.address, action: .register, apiKey: Self.credentials.apiKey,
                                                         region: .www, orderID: nil))
        let message = try SignInMessage(parsing: challenge.message)
        #expect(message.domain == "keeper.test" && message.address == Self.alice.address && message.chainId == 31_337)
        #expect(message.uri == "https://keeper.test/api/keys" && message.nonce == challenge.nonce && challenge.nonce.count == 32)
        #expect(message.issuedAt.text == "2026-12-06T12:00:00Z" && message.expirationTime?.text == "2026-12-06T12:10:00Z")
        #expect(challenge.expiresAt == "2026-12-06T12:10:00Z")
        let statement = try #require(message.statement)
        #expect(statement.contains(Self.credentials.apiKey) && statement.contains("region www") && statement.contains(fixture.contract.checksummed))
        #expect(!challenge.message.contains(Self.credentials.secretKey) && !challenge.message.contains(Self.credentials.passphrase))
        // The table keeps a hash of the API key, never the key.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.path)) + ((try? Data(contentsOf: URL(fileURLWithPath: fixture.path + "-wal"))) ?? Data())
        #expect(bytes.range(of: Data(Self.credentials.apiKey.utf8)) == nil)
    }

    @Test func aSignedChallengeStoresTheReadOnlyKeyOnceAndReplacesTheEarlierOne() async throws {
        let fixture = try Fixture()
        let registration = try Self.registration(fixture)
        #expect(try await fixture.keys.register(registration) == 0)
        let entries = try fixture.stored()
        #expect(entries.map(\.wallet) == [Self.alice.address.description.lowercased()] && entries.first?.alias == TraderKeys.alias(of: Self.alice.address))
        // Kept with the uid OKX's account/config answered: OKX limits private reads per user ID.
        let kept = try fixture.vault.credentials(wallet: Self.alice.address.description).credentials
        #expect(kept.apiKey == Self.credentials.apiKey && kept.secretKey == Self.credentials.secretKey && kept.uid == "448190362870112256")
        // The same signature again: the nonce is used.
        await Self.refusal("NONCE_USED") { _ = try await fixture.keys.register(registration) }
        // A new key replaces the old one.
        let second = OKXCredentials(apiKey: "b7c4e0f2-3b1d-4c5e-9f6a-01d2e3f4a5b2", secretKey: "6F0A", passphrase: "second", region: .eea)
        #expect(try await fixture.keys.register(try Self.registration(fixture, credentials: second)) == 0)
        let replaced = try fixture.vault.credentials(wallet: Self.alice.address.description).credentials
        let count = try fixture.stored().count
        #expect(replaced.apiKey == second.apiKey && replaced.region == .eea && count == 1)
        let kinds = try Database(path: fixture.path).fetchAll("SELECT kind FROM audit_log ORDER BY id").map { try $0.get(0, as: String.self) }
        #expect(kinds == ["keys.registered", "keys.registered"])
    }

    @Test func aSignatureByAnotherWalletIsRefusedAndLeavesTheNonceToTheWallet() async throws {
        let fixture = try Fixture()
        let forged = try Self.registration(fixture, signer: Self.mallory)
        await Self.refusal("BAD_SIGNATURE") { _ = try await fixture.keys.register(forged) }
        let garbled = TraderRequests.Registration(wallet: forged.wallet, credentials: forged.credentials, nonce: forged.nonce, signature: "0x1234")
        await Self.refusal("BAD_SIGNATURE") { _ = try await fixture.keys.register(garbled) }
        #expect(try fixture.stored().isEmpty)
        // Mallory's attempt did not use the challenge up.
        let challenge = try #require(try TraderChallenge.find(nonce: forged.nonce, in: Database(path: fixture.path)))
        let message = try fixture.keys.signIn.message(challenge, apiKey: Self.credentials.apiKey).text
        let signed = TraderRequests.Registration(wallet: forged.wallet, credentials: forged.credentials, nonce: forged.nonce,
                                                 signature: try Self.alice.signPersonalMessage(message))
        #expect(try await fixture.keys.register(signed) == 0)
    }

    @Test func anExpiredUnknownOrMismatchedChallengeIsRefused() async throws {
        let fixture = try Fixture()
        let stale = try Self.registration(fixture)
        fixture.clock.advance(milliseconds: TraderChallenge.lifetimeMilliseconds)
        await Self.refusal("NONCE_EXPIRED") { _ = try await fixture.keys.register(stale) }
        let unknown = TraderRequests.Registration(wallet: stale.wallet, credentials: stale.credentials, nonce: String(repeating: "0", count: 32),
                                                  signature: stale.signature)
        await Self.refusal("NONCE_UNKNOWN") { _ = try await fixture.keys.register(unknown) }
        // Signed for one API key, sent with another; signed for a removal, sent as a registration.
        let fresh = try Self.registration(fixture)
        let otherKey = OKXCredentials(apiKey: "ffffffff-3b1d-4c5e-9f6a-01d2e3f4a5b1", secretKey: "x", passphrase: "y", region: .www)
        await Self.refusal("CHALLENGE_MISMATCH") {
            _ = try await fixture.keys.register(.init(wallet: fresh.wallet, credentials: otherKey, nonce: fresh.nonce, signature: fresh.signature))
        }
        await Self.refusal("CHALLENGE_MISMATCH") {
            _ = try await fixture.keys.register(.init(wallet: fresh.wallet, credentials: Self.credentials.inRegion(.us), nonce: fresh.nonce,
                                                      signature: fresh.signature))
        }
        let removal = try fixture.keys.challenge(.init(wallet: Self.alice.address, action: .remove, apiKey: Self.credentials.apiKey, region: .www, orderID: nil))
        await Self.refusal("CHALLENGE_MISMATCH") {
            _ = try await fixture.keys.register(.init(wallet: Self.alice.address, credentials: Self.credentials, nonce: removal.nonce,
                                                      signature: try Self.alice.signPersonalMessage(removal.message)))
        }
        #expect(try fixture.stored().isEmpty)
    }

    @Test(arguments: ["read_only,trade", "read_only,withdraw", "read_only,withdraw,trade", "trade", "read_only,future_power"])
    func aKeyThatCanDoMoreThanReadIsRefusedAndNotStored(perm: String) async throws {
        let fixture = try Fixture(perm: perm)
        do {
            _ = try await fixture.keys.register(try Self.registration(fixture))
            Issue.record("a key with perm \(perm) was stored")
        } catch let error as TraderAPIError {
            #expect(error.code == "KEY_NOT_READ_ONLY" && error.status == 422)
            for power in perm.split(separator: ",") where power != "read_only" { #expect(error.message.contains(power), "\(error.message)") }
            #expect(error.hint.contains("Read"))
        }
        #expect(try fixture.stored().isEmpty)
    }

    @Test func aKeyOKXRefusesIsRefusedWithOKXsCode() async throws {
        let fixture = try Fixture(okxCode: "50105")
        do {
            _ = try await fixture.keys.register(try Self.registration(fixture))
            Issue.record("a refused key was stored")
        } catch let error as TraderAPIError {
            #expect(error.code == "AUTH_ERROR" && error.message.contains("50105") && error.hint == "check the passphrase")
        }
        #expect(try fixture.stored().isEmpty)
    }

    @Test func removingNeedsTheWalletsSignatureAndTheRegisteredKey() async throws {
        let fixture = try Fixture()
        _ = try await fixture.keys.register(try Self.registration(fixture))
        func removal(apiKey: String, signer: PrivateKey = Self.alice) throws -> TraderRequests.Signed {
            let challenge = try fixture.keys.challenge(.init(wallet: Self.alice.address, action: .remove, apiKey: apiKey, region: .www, orderID: nil))
            #expect(challenge.message.contains("remove the OKX API key \(apiKey)"))
            return .init(wallet: Self.alice.address, apiKey: apiKey, nonce: challenge.nonce, signature: try signer.signPersonalMessage(challenge.message))
        }
        await Self.refusal("BAD_SIGNATURE") { try fixture.keys.remove(try removal(apiKey: Self.credentials.apiKey, signer: Self.mallory)) }
        await Self.refusal("KEY_NOT_FOUND") { try fixture.keys.remove(try removal(apiKey: "00000000-0000-0000-0000-000000000000")) }
        #expect(try fixture.stored().count == 1)
        try fixture.keys.remove(try removal(apiKey: Self.credentials.apiKey))
        #expect(try fixture.stored().isEmpty)
    }

    @Test func aWalletKeepsAFewOutstandingChallengesAndOldOnesAreForgotten() throws {
        let fixture = try Fixture()
        let nonces = try (0..<(TraderChallenge.perWallet + 2)).map { _ in
            try fixture.keys.challenge(.init(wallet: Self.alice.address, action: .register, apiKey: "k", region: .www, orderID: nil)).nonce
        }
        let database = try Database(path: fixture.path)
        #expect(try database.fetchOne("SELECT count(*) FROM trader_challenges", as: Int.self) == TraderChallenge.perWallet)
        #expect(try TraderChallenge.find(nonce: nonces[0], in: database) == nil && TraderChallenge.find(nonce: nonces.last!, in: database) != nil)
        // A day after expiry a challenge is forgotten even for other wallets.
        fixture.clock.advance(milliseconds: TraderChallenge.lifetimeMilliseconds + 86_401_000)
        _ = try fixture.keys.challenge(.init(wallet: Self.mallory.address, action: .register, apiKey: "k", region: .www, orderID: nil))
        #expect(try database.fetchOne("SELECT count(*) FROM trader_challenges", as: Int.self) == 1)
    }

    @Test func requestBodiesAreCheckedFieldByFieldAndNeverShowTheSecret() throws {
        func refused(_ body: String, _ parse: ([UInt8]) throws(TraderAPIError) -> Any) -> String? {
            do { _ = try parse(Array(body.utf8)); return nil } catch { return error.message }
        }
        let wallet = Self.alice.address.checksummed
        let good = #"{"wallet":"\#(wallet)","apiKey":"a-1","secretKey":"S","passphrase":"P","region":"www","nonce":"\#(String(repeating: "a", count: 32))","signature":"0x00"}"#
        let registration = try TraderRequests.registration(Array(good.utf8))
        #expect(!"\(registration)".contains("\"S\"") && !String(describing: registration).contains("passphrase: P"))
        #expect(refused(good.replacingOccurrences(of: wallet, with: wallet.lowercased()), TraderRequests.registration) == nil)
        let mixed = "0x" + wallet.dropFirst(2).map { $0.isLetter ? ($0.isUppercase ? $0.lowercased() : $0.uppercased()) : String($0) }.joined()
        #expect(refused(good.replacingOccurrences(of: wallet, with: mixed), TraderRequests.registration)?.contains("EIP-55") == true)
        #expect(refused(good.replacingOccurrences(of: "\"region\":\"www\"", with: "\"region\":\"mars\""), TraderRequests.registration)?.contains("region") == true)
        #expect(refused(good.replacingOccurrences(of: "\"a-1\"", with: "\"a 1\""), TraderRequests.registration)?.contains("apiKey") == true)
        #expect(refused(good.replacingOccurrences(of: "}", with: ",\"extra\":1}"), TraderRequests.registration) == "unknown field extra")
        #expect(refused(good.replacingOccurrences(of: "\"P\"", with: "\"P\\n\""), TraderRequests.registration)?.contains("passphrase") == true)
        #expect(refused("[]", TraderRequests.registration) == "the body must be a JSON object")
        #expect(refused(#"{"wallet":"\#(wallet)","apiKey":"a","action":"evidence"}"#, TraderRequests.keyChallenge)?.contains("action") == true)
        #expect(try TraderRequests.keyChallenge(Array(#"{"wallet":"\#(wallet)","apiKey":"a","action":"remove"}"#.utf8)).action == .remove)
    }
}
