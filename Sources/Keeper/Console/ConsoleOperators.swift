import Crypto
import Indexer
import Settlement
import Store

/// The console's operators (`operators`, migration 014): a name and a scrypt hash of the password with
/// its salt and parameters. Adding and removing one is audited; a password is never stored or logged.
public enum ConsoleOperators {
    /// scrypt n = 2^15, r = 8, p = 1: 32 MiB and about a tenth of a second per check.
    public static let parameters = KDF.ScryptParameters.interactive
    static let keyLength = 32
    /// Longer passwords are refused rather than hashed (a login form must not make scrypt work on megabytes).
    public static let maxPasswordBytes = 1_024

    /// A name is 1–64 of `A–Z a–z 0–9 . _ -`: it is shown on pages and written to the audit log.
    public static func checkName(_ name: String) throws(KeeperError) {
        guard (1...64).contains(name.utf8.count),
              name.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }) else {
            throw KeeperError(.badData, "an operator name is 1 to 64 letters, digits, '.', '_' or '-'")
        }
    }

    public static func checkPassword(_ password: [UInt8]) throws(KeeperError) {
        guard password.count >= 8 else { throw KeeperError(.badData, "the password must have at least 8 characters") }
        guard password.count <= maxPasswordBytes else { throw KeeperError(.badData, "the password must have at most \(maxPasswordBytes) bytes") }
    }

    /// Adds `name` (refused when it exists), audited with who ran the command.
    public static func add(_ database: Database, name: String, password: [UInt8], by actor: String) throws(KeeperError) {
        try checkName(name)
        try checkPassword(password)
        let salt: [UInt8], hash: [UInt8]
        do {
            salt = try SecureRandom.bytes(16)
            hash = try KDF.scrypt(password: password, salt: salt, parameters: parameters, keyLength: keyLength)
        } catch { throw KeeperError(.software, "cannot hash the password: \(error.message)") }
        try IndexStore.wrap {
            try database.transaction { db in
                if try db.fetchOne("SELECT 1 FROM operators WHERE name = ?", [name]) != nil {
                    throw KeeperError(.badData, "operator \(name) exists: remove it first to set a new password")
                }
                _ = try db.execute("INSERT INTO operators (name, scrypt_n, scrypt_r, scrypt_p, salt, hash) VALUES (?, ?, ?, ?, ?, ?)",
                                   [name, parameters.n, parameters.r, parameters.p, Hex.encode(salt), Hex.encode(hash)])
                try AuditLog.append(db, kind: "console.operator_added", subject: "operator/\(name)", detail: ["by": .string(actor)])
            }
        }
    }

    /// Removes `name`, audited; its sessions end with it (each request checks the operator exists).
    public static func remove(_ database: Database, name: String, by actor: String) throws(KeeperError) {
        try checkName(name)
        try IndexStore.wrap {
            try database.transaction { db in
                guard try db.execute("DELETE FROM operators WHERE name = ?", [name]) == 1 else {
                    throw KeeperError(.badData, "no operator \(name)")
                }
                try AuditLog.append(db, kind: "console.operator_removed", subject: "operator/\(name)", detail: ["by": .string(actor)])
            }
        }
    }

    /// The operators' names, sorted.
    public static func names(_ db: Database) throws -> [String] {
        try db.fetchAll("SELECT name FROM operators ORDER BY name").map { try $0.get("name", as: String.self) }
    }

    public static func exists(_ db: Database, name: String) throws -> Bool {
        try db.fetchOne("SELECT 1 FROM operators WHERE name = ?", [name]) != nil
    }

    /// True when `password` is `name`'s. An unknown name costs one scrypt too, so that timing does not
    /// tell which names exist.
    public static func check(_ db: Database, name: String, password: [UInt8]) throws -> Bool {
        guard password.count <= maxPasswordBytes else { return false }
        let row = try db.fetchOne("SELECT scrypt_n, scrypt_r, scrypt_p, salt, hash FROM operators WHERE name = ?", [name])
        guard let row else {
            _ = try KDF.scrypt(password: password, salt: [UInt8](repeating: 0, count: 16), parameters: parameters, keyLength: keyLength)
            return false
        }
        let params = try KDF.ScryptParameters(n: try row.get("scrypt_n"), r: try row.get("scrypt_r"), p: try row.get("scrypt_p"))
        guard let salt = Hex.decode(try row.get("salt", as: String.self)), let hash = Hex.decode(try row.get("hash", as: String.self)) else {
            throw KeeperError(.store, "operator \(name)'s stored hash is not hex")
        }
        let computed = try KDF.scrypt(password: password, salt: salt, parameters: params, keyLength: hash.count)
        return ConstantTime.equal(computed, hash)
    }
}
