import Synchronization
import Crypto
import OKX
import Foundation
import Keeper
import Settlement
import Store
import Testing
import Vault

@Suite struct KeyVaultTests {
    static let wallet = "0x00000000000000000000000000000000000000Aa"

    static func credentials(_ tag: String = UUID().uuidString) throws -> OKXCredentials {
        try OKXCredentials(validating: "ak-\(tag)", secretKey: "SK\(tag.replacingOccurrences(of: "-", with: ""))", passphrase: "pp \(tag)")
    }

    static func migratedDatabase(_ path: String = ":memory:") throws -> Database {
        let database = try Database(path: path)
        try KeeperSchema.migrator.migrate(database)
        return database
    }

    static func randomKey() throws -> VaultMasterKey { try VaultMasterKey(bytes: try SecureRandom.bytes(32)) }

    @Test func theOKXUserIDIsSealedWithTheKeyAndSurvivesARekey() throws {
        let database = try Self.migratedDatabase()
        let vault = KeyVault(database: database, masterKey: try Self.randomKey())
        let base = try Self.credentials()
        let withUID = OKXCredentials(apiKey: base.apiKey, secretKey: base.secretKey, passphrase: base.passphrase, uid: "448190362870112256")
        try vault.add(wallet: Self.wallet, alias: "with-uid", credentials: withUID)
        try vault.add(wallet: "0x" + String(repeating: "b", count: 40), alias: "without-uid", credentials: base)
        #expect(try vault.credentials(alias: "with-uid").credentials.uid == "448190362870112256")
        #expect(try vault.credentials(alias: "without-uid").credentials.uid == nil)
        let newKey = try Self.randomKey()
        try vault.rekey(to: newKey)
        #expect(try KeyVault(database: database, masterKey: newKey).credentials(alias: "with-uid").credentials == withUID)
    }

    @Test func roundTripAndListWithoutSecrets() throws {
        let vault = KeyVault(database: try Self.migratedDatabase(), masterKey: try Self.randomKey())
        let stored = try Self.credentials()
        try vault.add(wallet: Self.wallet, alias: "main", credentials: stored)
        #expect(try vault.credentials(alias: "main").credentials == stored)
        #expect(try vault.credentials(wallet: Self.wallet.uppercased().replacingOccurrences(of: "0X", with: "0x")).credentials == stored)
        #expect(try vault.list().map(\.alias) == ["main"])
        #expect(try vault.list().first?.wallet == Self.wallet.lowercased())
        #expect(!"\(stored)".contains(stored.secretKey) && !"\(stored)".contains(stored.apiKey))
        let key = try VaultMasterKey(bytes: [UInt8](repeating: 0x7e, count: 32))
        var dumped = ""
        dump(key, to: &dumped)
        for text in ["\(key)", String(reflecting: key), dumped] { #expect(!text.contains("7e7e") && !text.contains("126")) }
        #expect { try vault.add(wallet: Self.wallet, alias: "main", credentials: stored) } throws: { ($0 as? VaultError)?.code == .duplicate }
        #expect { try vault.credentials(alias: "main", wallet: "0x" + String(repeating: "1", count: 40)) } throws: {
            ($0 as? VaultError)?.code == .walletMismatch && "\($0)".contains("belongs to another wallet")
        }
        #expect(try vault.remove(alias: "main") == 1)
        #expect { try vault.credentials(alias: "main") } throws: { ($0 as? VaultError)?.code == .notFound }
    }

    @Test func wrongMasterKeyIsAClearError() throws {
        let database = try Self.migratedDatabase()
        try KeyVault(database: database, masterKey: try Self.randomKey()).add(wallet: Self.wallet, alias: "main", credentials: try Self.credentials())
        #expect { try KeyVault(database: database, masterKey: try Self.randomKey()).credentials(alias: "main") } throws: { error in
            guard let error = error as? VaultError else { return false }
            return error.code == .wrongMasterKey && error.message.contains("another vault master key")
        }
    }

    @Test func tamperedCiphertextAndSwappedAssociatedDataDoNotOpen() throws {
        let database = try Self.migratedDatabase()
        let vault = KeyVault(database: database, masterKey: try Self.randomKey())
        try vault.add(wallet: Self.wallet, alias: "alpha", credentials: try Self.credentials())
        let other = "0x" + String(repeating: "b", count: 40)
        try vault.add(wallet: other, alias: "beta", credentials: try Self.credentials())

        // Flip one ciphertext bit of alpha.
        let sealed = try #require(try database.fetchOne("SELECT sealed FROM vault_keys WHERE alias = 'alpha'", as: [UInt8].self))
        var flipped = sealed
        flipped[AES.GCM.nonceSize] ^= 0x01
        try database.execute("UPDATE vault_keys SET sealed = ? WHERE alias = 'alpha'", [flipped])
        #expect { try vault.credentials(alias: "alpha") } throws: { ($0 as? VaultError)?.code == .tampered }
        try database.execute("UPDATE vault_keys SET sealed = ? WHERE alias = 'alpha'", [sealed])
        #expect(throws: Never.self) { try vault.credentials(alias: "alpha") }

        // Move beta's sealed blob onto alpha's row (other wallet and alias as associated data), then rename an alias.
        try database.execute("UPDATE vault_keys SET sealed = (SELECT sealed FROM vault_keys WHERE alias = 'beta') WHERE alias = 'alpha'")
        #expect { try vault.credentials(alias: "alpha") } throws: { ($0 as? VaultError)?.code == .tampered }
        try database.execute("UPDATE vault_keys SET alias = 'gamma' WHERE alias = 'beta'")
        #expect { try vault.credentials(alias: "gamma") } throws: { ($0 as? VaultError)?.code == .tampered }
        try database.execute("UPDATE vault_keys SET alias = 'beta', wallet = ? WHERE alias = 'gamma'", [Self.wallet.lowercased()])
        #expect { try vault.credentials(alias: "beta") } throws: { ($0 as? VaultError)?.code == .tampered }
    }

    @Test func rekeyIsAllOrNothing() throws {
        let database = try Self.migratedDatabase()
        let oldKey = try Self.randomKey(), newKey = try Self.randomKey()
        let vault = KeyVault(database: database, masterKey: oldKey)
        var stored = [String: OKXCredentials]()
        for alias in ["a", "b", "c"] {
            stored[alias] = try Self.credentials()
            try vault.add(wallet: Self.wallet, alias: alias, credentials: try #require(stored[alias]))
        }
        // A tampered last row makes the rekey fail after the first rows were re-sealed in the transaction.
        let before = try database.fetchAll("SELECT alias, sealed, key_check FROM vault_keys ORDER BY alias")
        let sealed = try #require(try database.fetchOne("SELECT sealed FROM vault_keys WHERE alias = 'c'", as: [UInt8].self))
        try database.execute("UPDATE vault_keys SET sealed = ? WHERE alias = 'c'", [sealed.dropLast() + [sealed[sealed.count - 1] ^ 0x80]])
        #expect { try vault.rekey(to: newKey) } throws: { ($0 as? VaultError)?.code == .tampered }
        try database.execute("UPDATE vault_keys SET sealed = ? WHERE alias = 'c'", [sealed])
        #expect(try database.fetchAll("SELECT alias, sealed, key_check FROM vault_keys ORDER BY alias") == before, "nothing changed")

        #expect(try vault.rekey(to: newKey) == 3)
        let rekeyed = KeyVault(database: database, masterKey: newKey)
        for (alias, credentials) in stored { #expect(try rekeyed.credentials(alias: alias).credentials == credentials) }
        #expect { try vault.credentials(alias: "a") } throws: { ($0 as? VaultError)?.code == .wrongMasterKey }
    }

    @Test func masterKeySources() throws {
        let hex = String(repeating: "ab", count: 32)
        #expect(try VaultMasterKey.from(environment: ["LGK_VAULT_KEY": hex]).check == (try VaultMasterKey(bytes: [UInt8](repeating: 0xab, count: 32)).check))
        let base64 = Data(repeating: 0xab, count: 32).base64EncodedString()
        #expect(try VaultMasterKey.from(environment: ["LGK_VAULT_KEY": base64]).check == (try VaultMasterKey.from(environment: ["LGK_VAULT_KEY": "0x" + hex]).check))
        for bad in [["LGK_VAULT_KEY": "abcd"], [:], ["LGK_VAULT_KEY": hex, "LGK_VAULT_KEY_FILE": "/x"]] {
            #expect { try VaultMasterKey.from(environment: bad) } throws: { ($0 as? VaultError)?.code == .invalidMasterKey }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-vault-\(UUID().uuidString).key").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try (hex + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        #expect { try VaultMasterKey.from(environment: ["LGK_VAULT_KEY_FILE": file]) } throws: { error in
            guard let error = error as? VaultError else { return false }
            return error.code == .insecureKeyFile && error.message.contains("chmod 600")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        #expect(try VaultMasterKey.from(environment: ["LGK_VAULT_KEY_FILE": file]).check == (try VaultMasterKey(text: hex, source: "test").check))
    }

    /// The key file is checked through the descriptor it is read from: a FIFO planted at the path
    /// (whose mode a `stat` finds fine) is refused at once instead of hanging the read, and a file
    /// another user owns is refused.
    @Test func masterKeyFileIsCheckedThroughTheOpenedDescriptor() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-vault-fd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fifo = directory + "/key.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        let outcome = Mutex<VaultError?>(nil)
        let finished = DispatchSemaphore(value: 0)
        // A thread of its own, not a dispatch queue's: a hung read must not take one of the few threads the
        // rest of the run shares, and a busy queue must not keep this read from starting.
        Thread {
            do throws(VaultError) { _ = try VaultMasterKey(file: fifo) } catch { outcome.withLock { $0 = error } }
            finished.signal()
        }.start()
        // Generous: a loaded machine may start the reading thread seconds late; a hung read never ends.
        #expect(finished.wait(timeout: .now() + 60) == .success, "reading a FIFO as the key file hung")
        let error = try #require(outcome.withLock { $0 })
        #expect(error.code == .invalidMasterKey && error.message.contains("not a regular file"))

        guard geteuid() == 0 else { return }  // only root can give a file away
        let foreign = directory + "/foreign.key"
        try (String(repeating: "ab", count: 32) + "\n").write(toFile: foreign, atomically: true, encoding: .utf8)
        #expect(chmod(foreign, 0o600) == 0 && chown(foreign, 65_534, 65_534) == 0)
        #expect { try VaultMasterKey(file: foreign) } throws: { error in
            (error as? VaultError)?.message.contains("belongs to user 65534") == true
        }
    }

    @Test func credentialsParsing() throws {
        let lines = try OKXCredentials(parsing: "key\nsecret\npass phrase\n")
        #expect(lines == (try OKXCredentials(validating: "key", secretKey: "secret", passphrase: "pass phrase")))
        #expect(try OKXCredentials(parsing: #"{"apiKey":"key","secretKey":"secret","passphrase":"pass phrase"}"#) == lines)
        for bad in ["key\nsecret", "", #"{"apiKey":"key"}"#, "a\n\nc"] {
            #expect(throws: VaultError.self) { try OKXCredentials(parsing: bad) }
        }
    }
}
