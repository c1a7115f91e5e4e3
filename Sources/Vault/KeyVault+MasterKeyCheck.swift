import Store

extension KeyVault {
    /// Opens every stored key with the master key, as `lg-keeper run` does before it starts: a
    /// missing key, another vault's key or a tampered row is found now, not claim by claim.
    /// Returns how many keys opened.
    @discardableResult
    public func checkMasterKey() throws(VaultError) -> Int {
        let key = try requireKey()
        let rows: [Row]
        do { rows = try database.fetchAll("SELECT wallet, alias, sealed, key_check FROM vault_keys") } catch {
            throw VaultError(.database, "cannot read the vault: \(error.message)")
        }
        for row in rows {
            let wallet: String, alias: String, sealed: [UInt8], check: String
            do { wallet = try row.get(0); alias = try row.get(1); sealed = try row.get(2); check = try row.get(3) } catch {
                throw VaultError(.database, "cannot read the vault: \(error)")
            }
            _ = try Self.open(sealed, keyCheck: check, wallet: wallet, alias: alias, key: key)
        }
        return rows.count
    }
}
