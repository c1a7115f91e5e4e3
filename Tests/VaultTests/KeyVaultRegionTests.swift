import Crypto
import Foundation
import Keeper
import OKX
import Settlement
import Store
import Testing
import TestSupport
import Vault

/// Each key's OKX region (www, us, eea) is stored with it; keys stored before regions existed are www.
@Suite struct KeyVaultRegionTests {
    static let wallet = "0x00000000000000000000000000000000000000Aa"

    @Test func theRegionIsStoredListedAndReturnedWithTheKey() throws {
        let database = try KeyVaultTests.migratedDatabase()
        let vault = KeyVault(database: database, masterKey: try KeyVaultTests.randomKey())
        let us = try KeyVaultTests.credentials().inRegion(.us)
        try vault.add(wallet: Self.wallet, alias: "us-key", credentials: us)
        try vault.add(wallet: Self.wallet, alias: "www-key", credentials: try KeyVaultTests.credentials())
        #expect(try vault.credentials(alias: "us-key").credentials == us)
        #expect(try vault.credentials(alias: "us-key").credentials.region == .us)
        #expect(try vault.credentials(alias: "www-key").credentials.region == .www)
        #expect(try vault.list().map(\.region) == [.us, .www])
        let newKey = try KeyVaultTests.randomKey()
        #expect(try vault.rekey(to: newKey) == 2)
        #expect(try KeyVault(database: database, masterKey: newKey).credentials(alias: "us-key").credentials.region == .us)
    }

    @Test func keysStoredBeforeTheRegionMigrationAreWWW() throws {
        let database = try Database(path: ":memory:")
        let before = Migrator(KeeperSchema.migrator.migrations.filter { $0.id != KeyVault.regionMigration.id })
        try before.migrate(database)
        let raw = try SecureRandom.bytes(32)
        let key = try VaultMasterKey(bytes: raw)
        let stored = try KeyVaultTests.credentials()
        // A row as the vault wrote it before regions: no region column yet.
        #expect(throws: (any Error).self) { try database.execute("SELECT region FROM vault_keys") }
        let sealed = try AES.GCM.seal(Array(#"{"apiKey":"\#(stored.apiKey)","passphrase":"\#(stored.passphrase)","secretKey":"\#(stored.secretKey)"}"#.utf8),
                                      key: raw, authenticating: Array("lgk-vault-v1".utf8) + [0] + Array(Self.wallet.lowercased().utf8) + [0] + Array("old".utf8)).combined
        try database.execute("INSERT INTO vault_keys (wallet, alias, sealed, key_check) VALUES (?, ?, ?, ?)", [Self.wallet.lowercased(), "old", sealed, key.check])
        #expect(try KeeperSchema.migrator.migrate(database) == [KeyVault.regionMigration.id])
        let vault = KeyVault(database: database, masterKey: key)
        #expect(try vault.credentials(alias: "old").credentials == stored && stored.region == .www)
        #expect(try vault.list().first?.region == .www)
        #expect(throws: (any Error).self) { try database.execute("UPDATE vault_keys SET region = 'cn'") }
    }

    @Test func keysAddTakesARegion() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-region-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let db = "\(directory)/keeper.sqlite", master = String(repeating: "5a", count: 32)
        let wallet = "0x" + String(repeating: "cd", count: 20)
        let added = try KeysCommandTests.run(["keys", "add", "--unchecked", "--wallet", wallet, "--alias", "us-main", "--region", "us", "--db", db],
                                             environment: ["LGK_VAULT_KEY": master], stdin: "key-us-1\nSECRETUS1\nPassUS1\n")
        #expect(added.status == 0, "\(added.stderr)")
        #expect(added.stdout.contains("region us"))
        let plain = try KeysCommandTests.run(["keys", "add", "--unchecked", "--wallet", wallet, "--alias", "www-main", "--db", db],
                                             environment: ["LGK_VAULT_KEY": master], stdin: "key-www-1\nSECRETWWW1\nPassWWW1\n")
        #expect(plain.status == 0)
        let listed = try KeysCommandTests.run(["keys", "list", "--db", db], environment: [:])
        #expect(listed.stdout.contains("us-main  region us") && listed.stdout.contains("www-main  region www"))
        let wrong = try KeysCommandTests.run(["keys", "add", "--unchecked", "--wallet", wallet, "--alias", "cn", "--region", "cn", "--db", db],
                                             environment: ["LGK_VAULT_KEY": master], stdin: "a\nb\nc\n")
        #expect(wrong.status == 64 && wrong.stderr.contains("www, us or eea"))
    }
}
