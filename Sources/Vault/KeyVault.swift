import Crypto
import OKX
import Store
import Wire

/// The encrypted store of users' OKX API keys (`vault_keys`, migration `003_vault_keys`).
///
/// Each row holds AES-256-GCM(`nonce ‖ ciphertext ‖ tag`) of the credentials' JSON under the
/// master key, with a random 12-byte nonce and `lgk-vault-v1 \0 wallet \0 alias` as associated
/// data, so a row moved to another wallet or alias no longer opens. The key's region (`www`,
/// `us`, `eea`: which OKX host it works on) is not secret and is stored beside it in clear
/// (migration `010_vault_key_region`; keys stored before it are `www`).
public struct KeyVault {
    /// One stored key, without its secrets.
    public struct Entry: Sendable, Equatable {
        public let wallet: String
        public let alias: String
        public let region: OKXRegion
        public let createdAt: String
        public let updatedAt: String
    }

    /// The `vault_keys` table; part of `KeeperSchema.migrator`.
    public static let migration = Migrator.Migration("003_vault_keys", """
        CREATE TABLE vault_keys (
            wallet TEXT NOT NULL,
            alias TEXT NOT NULL UNIQUE,
            sealed BLOB NOT NULL,
            key_check TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            PRIMARY KEY (wallet, alias)
        );
        """)

    /// Adds each key's region; existing keys were all made for www.okx.com. Part of `KeeperSchema.migrator`.
    public static let regionMigration = Migrator.Migration("010_vault_key_region", """
        ALTER TABLE vault_keys ADD COLUMN region TEXT NOT NULL DEFAULT 'www' CHECK (region IN ('www', 'us', 'eea'));
        """)

    let database: Database
    let masterKey: VaultMasterKey?

    /// - Parameter masterKey: needed to add, open and rekey; listing and removing work without it.
    public init(database: Database, masterKey: VaultMasterKey?) {
        self.database = database
        self.masterKey = masterKey
    }

    /// A `0x` and 40 hex digits wallet address, lowercased.
    public static func normalizedWallet(_ wallet: String) throws(VaultError) -> String {
        let lower = wallet.lowercased()
        guard lower.hasPrefix("0x"), lower.count == 42, Hex.decode(lower) != nil else {
            throw VaultError(.invalidInput, "'\(TerminalText.excerpt(wallet))' is not a wallet address (0x and 40 hex digits)")
        }
        return lower
    }

    /// 1–64 characters from `A–Z a–z 0–9 . _ -`.
    public static func validatedAlias(_ alias: String) throws(VaultError) -> String {
        let allowed = alias.utf8.allSatisfy { c in
            (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == 0x2E || c == 0x5F || c == 0x2D
        }
        guard (1...64).contains(alias.utf8.count), allowed else {
            throw VaultError(.invalidInput, "alias '\(TerminalText.excerpt(alias))' must be 1–64 characters of letters, digits, '.', '_' or '-'")
        }
        return alias
    }

    static func associatedData(wallet: String, alias: String) -> [UInt8] {
        Array("lgk-vault-v1".utf8) + [0] + Array(wallet.utf8) + [0] + Array(alias.utf8)
    }

    func requireKey() throws(VaultError) -> VaultMasterKey {
        guard let masterKey else { throw VaultError(.invalidMasterKey, "this operation needs the vault master key") }
        return masterKey
    }

    static func seal(_ credentials: OKXCredentials, wallet: String, alias: String, key: VaultMasterKey) throws(VaultError) -> [UInt8] {
        do {
            return try AES.GCM.seal(credentials.sealedForm, key: key.bytes, authenticating: associatedData(wallet: wallet, alias: alias)).combined
        } catch {
            throw VaultError(.invalidMasterKey, "cannot seal credentials: \(error.message)")
        }
    }

    static func open(_ sealed: [UInt8], keyCheck: String, wallet: String, alias: String, key: VaultMasterKey) throws(VaultError) -> OKXCredentials {
        guard keyCheck == key.check else {
            throw VaultError(.wrongMasterKey, "the key for \(wallet) / \(alias) was sealed under another vault master key (check LGK_VAULT_KEY / LGK_VAULT_KEY_FILE, or run `keys rekey`)")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return try OKXCredentials(sealedForm: try AES.GCM.open(box, key: key.bytes, authenticating: associatedData(wallet: wallet, alias: alias)))
        } catch {
            throw VaultError(.tampered, "the vault row for \(wallet) / \(alias) does not authenticate: it was changed or moved to another wallet or alias")
        }
    }

    /// Stores `credentials` for `wallet` under `alias`; an alias is unique across wallets.
    public func add(wallet: String, alias: String, credentials: OKXCredentials) throws(VaultError) {
        let key = try requireKey()
        let wallet = try Self.normalizedWallet(wallet), alias = try Self.validatedAlias(alias)
        let sealed = try Self.seal(credentials, wallet: wallet, alias: alias, key: key)
        do {
            try database.execute("INSERT INTO vault_keys (wallet, alias, sealed, key_check, region) VALUES (?, ?, ?, ?, ?)",
                                 [wallet, alias, sealed, key.check, credentials.region.rawValue])
        } catch where error.isUniqueViolation {
            throw VaultError(.duplicate, "the alias '\(alias)' is already in the vault: remove it first")
        } catch {
            throw VaultError(.database, "cannot store the key: \(error.message)")
        }
    }

    /// The credentials stored under `alias` (and `wallet`, when given).
    public func credentials(alias: String, wallet: String? = nil) throws(VaultError) -> (wallet: String, credentials: OKXCredentials) {
        let found = try lookup("alias = ?", [alias], wallet: wallet, what: "alias '\(alias)'")
        return (found.wallet, found.credentials)
    }

    /// The credentials of `wallet`; when it has several, the most recently added.
    public func credentials(wallet: String) throws(VaultError) -> (alias: String, credentials: OKXCredentials) {
        let normalized = try Self.normalizedWallet(wallet)
        let found = try lookup("wallet = ?", [normalized], wallet: nil, what: "wallet \(normalized)")
        return (found.alias, found.credentials)
    }

    private func lookup(_ condition: String, _ arguments: [any DatabaseValueConvertible], wallet: String?,
                        what: String) throws(VaultError) -> (wallet: String, alias: String, credentials: OKXCredentials) {
        let key = try requireKey()
        let row: Row?
        do {
            row = try database.fetchOne("SELECT wallet, alias, sealed, key_check, region FROM vault_keys WHERE \(condition) ORDER BY rowid DESC LIMIT 1", arguments)
        } catch { throw VaultError(.database, "cannot read the vault: \(error.message)") }
        guard let row, let rowWallet = try? row.get(0, as: String.self), let alias = try? row.get(1, as: String.self),
              let sealed = try? row.get(2, as: [UInt8].self), let check = try? row.get(3, as: String.self) else {
            throw VaultError(.notFound, "no OKX key in the vault for \(what): add one with `lg-keeper keys add`")
        }
        if let wallet, try Self.normalizedWallet(wallet) != rowWallet {
            throw VaultError(.walletMismatch, "the alias '\(alias)' belongs to another wallet")
        }
        let region = try Self.region(row, column: 4, wallet: rowWallet, alias: alias)
        return (rowWallet, alias, try Self.open(sealed, keyCheck: check, wallet: rowWallet, alias: alias, key: key).inRegion(region))
    }

    /// Every stored key, without secrets, by wallet then alias.
    public func list() throws(VaultError) -> [Entry] {
        let rows: [Row]
        do {
            rows = try database.fetchAll("SELECT wallet, alias, created_at, updated_at, region FROM vault_keys ORDER BY wallet, alias")
        } catch { throw VaultError(.database, "cannot read the vault: \(error)") }
        return try rows.map { row throws(VaultError) in
            do {
                let wallet: String = try row.get(0), alias: String = try row.get(1)
                return Entry(wallet: wallet, alias: alias, region: try Self.region(row, column: 4, wallet: wallet, alias: alias),
                             createdAt: try row.get(2), updatedAt: try row.get(3))
            } catch let error as VaultError { throw error } catch { throw VaultError(.database, "cannot read the vault: \(error)") }
        }
    }

    /// The region stored in `row` at `column`.
    static func region(_ row: Row, column: Int, wallet: String, alias: String) throws(VaultError) -> OKXRegion {
        let text: String
        do { text = try row.get(column, as: String.self) } catch {
            throw VaultError(.database, "cannot read the region of \(wallet) / \(alias): \(error)")
        }
        guard let region = OKXRegion(rawValue: text) else {
            throw VaultError(.tampered, "the vault row for \(wallet) / \(alias) has an unknown region '\(text.prefix(16))'")
        }
        return region
    }

    /// Removes the keys of `wallet` or the key named `alias`; returns how many rows went.
    @discardableResult
    public func remove(wallet: String? = nil, alias: String? = nil) throws(VaultError) -> Int {
        do {
            switch (wallet, alias) {
            case (let wallet?, nil): return try database.execute("DELETE FROM vault_keys WHERE wallet = ?", [try Self.normalizedWallet(wallet)])
            case (nil, let alias?): return try database.execute("DELETE FROM vault_keys WHERE alias = ?", [alias])
            case (let wallet?, let alias?):
                return try database.execute("DELETE FROM vault_keys WHERE wallet = ? AND alias = ?", [try Self.normalizedWallet(wallet), alias])
            case (nil, nil): throw VaultError(.invalidInput, "say which key to remove: a wallet or an alias")
            }
        } catch let error as VaultError { throw error } catch { throw VaultError(.database, "cannot remove: \(error)") }
    }

    /// Re-seals every row under `newKey` in one transaction: all rows change, or none do (a row
    /// that does not open under the current key aborts the whole rekey). Returns the row count.
    @discardableResult
    public func rekey(to newKey: VaultMasterKey) throws(VaultError) -> Int {
        let key = try requireKey()
        do {
            return try database.transaction { db in
                let rows = try db.fetchAll("SELECT rowid, wallet, alias, sealed, key_check FROM vault_keys ORDER BY rowid")
                for row in rows {
                    let wallet: String = try row.get(1), alias: String = try row.get(2)
                    let credentials = try Self.open(try row.get(3), keyCheck: try row.get(4), wallet: wallet, alias: alias, key: key)
                    let sealed = try Self.seal(credentials, wallet: wallet, alias: alias, key: newKey)
                    try db.execute("""
                        UPDATE vault_keys SET sealed = ?, key_check = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE rowid = ?
                        """, [sealed, newKey.check, try row.get(0, as: Int64.self)])
                }
                return rows.count
            }
        } catch let error as VaultError { throw error } catch { throw VaultError(.database, "rekey failed, nothing changed: \(error)") }
    }
}
