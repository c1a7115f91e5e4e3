import OKX
import Store

extension KeyVault {
    /// Stores `credentials` for `wallet` under `alias` in place of every key the wallet had, inside
    /// the caller's transaction `db` (the vault's own database file). Returns how many keys went.
    public func replaceKeys(of wallet: String, with credentials: OKXCredentials, alias: String, in db: Database) throws -> Int {
        precondition(db.isInsideTransaction, "a key is replaced in one transaction")
        let key = try requireKey()
        let wallet = try Self.normalizedWallet(wallet), alias = try Self.validatedAlias(alias)
        let removed = try db.execute("DELETE FROM vault_keys WHERE wallet = ?", [wallet])
        let sealed = try Self.seal(credentials, wallet: wallet, alias: alias, key: key)
        try db.execute("INSERT INTO vault_keys (wallet, alias, sealed, key_check, region) VALUES (?, ?, ?, ?, ?)",
                       [wallet, alias, sealed, key.check, credentials.region.rawValue])
        return removed
    }

    /// Removes the keys of `wallet` whose API key hashes (SHA-256, hex) to `apiKeyHash`, inside the
    /// caller's transaction. Returns how many went.
    public func removeKeys(of wallet: String, apiKeyHash: String, in db: Database) throws -> Int {
        precondition(db.isInsideTransaction, "keys are removed in one transaction")
        let key = try requireKey()
        let wallet = try Self.normalizedWallet(wallet)
        var removed = 0
        for row in try db.fetchAll("SELECT rowid, alias, sealed, key_check, region FROM vault_keys WHERE wallet = ?", [wallet]) {
            let alias: String = try row.get(1)
            let credentials = try Self.open(try row.get(2), keyCheck: try row.get(3), wallet: wallet, alias: alias, key: key)
            guard OKXCredentials.hash(apiKey: credentials.apiKey) == apiKeyHash else { continue }
            removed += try db.execute("DELETE FROM vault_keys WHERE rowid = ?", [try row.get(0, as: Int64.self)])
        }
        return removed
    }
}
