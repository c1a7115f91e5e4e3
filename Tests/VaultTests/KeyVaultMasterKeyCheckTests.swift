import Store
import Testing
import Vault

/// `checkMasterKey`, what `lg-keeper run` calls before it starts: every stored key opens, or the
/// first that does not is named with the reason.
@Suite struct KeyVaultMasterKeyCheckTests {
    @Test func anEmptyVaultNeedsOnlyAKey() throws {
        let database = try KeyVaultTests.migratedDatabase()
        #expect(try KeyVault(database: database, masterKey: try KeyVaultTests.randomKey()).checkMasterKey() == 0)
        #expect { try KeyVault(database: database, masterKey: nil).checkMasterKey() } throws: { ($0 as? VaultError)?.code == .invalidMasterKey }
    }

    @Test func everyKeyOpensOrTheFirstThatDoesNotIsNamed() throws {
        let database = try KeyVaultTests.migratedDatabase()
        let key = try KeyVaultTests.randomKey()
        let vault = KeyVault(database: database, masterKey: key)
        try vault.add(wallet: KeyVaultTests.wallet, alias: "main", credentials: try KeyVaultTests.credentials())
        try vault.add(wallet: KeyVaultTests.wallet, alias: "spare", credentials: try KeyVaultTests.credentials())
        #expect(try vault.checkMasterKey() == 2)
        #expect { try KeyVault(database: database, masterKey: try KeyVaultTests.randomKey()).checkMasterKey() } throws: { error in
            (error as? VaultError)?.code == .wrongMasterKey && "\(error)".contains("sealed under another vault master key")
        }
        try database.execute("UPDATE vault_keys SET sealed = zeroblob(60) WHERE alias = 'spare'")
        #expect { try vault.checkMasterKey() } throws: { error in
            (error as? VaultError)?.code == .tampered && "\(error)".contains("spare")
        }
    }
}
