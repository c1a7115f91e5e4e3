import Ethereum
import Foundation
import Wire

/// `lg-keeper account new|import|show --keystore FILE`: the signer's keystore v3 file.
enum AccountCommand {
    static let command = Command(
        name: "account",
        usage: "account new|import|show --keystore FILE [--kdf scrypt|pbkdf2]",
        summary: "create or inspect a keystore v3 file (password from LGK_KEYSTORE_PASSWORD or a prompt)",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["keystore", "kdf"], flags: [])
        guard arguments.positionals.count == 1, let action = arguments.positionals.first else {
            throw UsageError("say `account new`, `account import` or `account show`")
        }
        let path = try arguments.required("keystore")
        switch action {
        case "new": return try create(at: path, kdf: arguments.value("kdf") ?? "scrypt")
        case "import": return try create(at: path, kdf: arguments.value("kdf") ?? "scrypt", key: readKey)
        case "show":
            guard arguments.value("kdf") == nil else { throw UsageError("--kdf applies to `account new` and `account import` only") }
            return try show(at: path)
        default: throw UsageError("unknown action '\(TerminalText.excerpt(action))': use new, import or show")
        }
    }

    /// Writes a new keystore at `path` for the key `key` gives (a fresh one by default).
    static func create(at path: String, kdf: String, key makeKey: () throws -> PrivateKey = { try PrivateKey.generate() }) throws -> ExitCode {
        let derivation: Keystore.KeyDerivation
        switch kdf {
        case "scrypt": derivation = .standard
        case "pbkdf2": derivation = .pbkdf2(iterations: 262_144)
        default: throw UsageError("--kdf must be scrypt or pbkdf2, not '\(TerminalText.excerpt(kdf))'")
        }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(.usage, "\(path) already exists: choose a new file (keystores are never overwritten)")
        }
        let key = try makeKey()
        let password = try PasswordSource.keystorePassword(confirm: true)
        do {
            let keystore = try Keystore.create(key, password: password, at: path, keyDerivation: derivation)
            print("address   \(key.address.checksummed)")
            print("keystore  \(path) (mode 0600, id \(keystore.id))")
            return .ok
        } catch {
            throw CommandFailure(.software, error.message)
        }
    }

    /// `account import`: the private key from the first line of stdin, 64 hex digits with or without
    /// `0x`; typed on a terminal, it is not echoed. Neither the key nor any part of it is ever
    /// printed, even when it is refused.
    static func readKey() throws -> PrivateKey {
        var line = try PasswordSource.firstLineOfStandardInput(prompt: "Private key (hex): ", limit: 1024)
        defer { line.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        guard !line.isEmpty else {
            throw CommandFailure(.usage, "pipe the private key on stdin (64 hex digits, 0x optional, on the first line)")
        }
        let trimmed = line.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }.reversed().drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }.reversed()
        do { return try PrivateKey(hex: String(decoding: trimmed, as: UTF8.self)) } catch {
            throw CommandFailure(.badData, "the first line of stdin is not a private key: give 64 hex digits (0x optional) "
                + "for a value between 1 and the secp256k1 order")
        }
    }

    static func show(at path: String) throws -> ExitCode {
        let password = try PasswordSource.keystorePassword(confirm: false)
        do {
            let key = try Keystore.decryptFile(at: path, password: password)
            let keystore = try Keystore.read(from: path)
            print("address   \(key.address.checksummed)")
            print("keystore  \(path) (id \(keystore.id), kdf \(keystore.keyDerivation.name))")
            return .ok
        } catch {
            switch error.code {
            case .wrongPassword: throw CommandFailure(.problemFound, error.message)
            case .fileSystem: throw CommandFailure(.unavailable, error.message)
            default: throw CommandFailure(.badData, error.message)
            }
        }
    }
}

extension Keystore.KeyDerivation {
    var name: String {
        switch self {
        case .scrypt(let n, let r, let p): "scrypt n=\(n) r=\(r) p=\(p)"
        case .pbkdf2(let iterations): "pbkdf2-sha256 c=\(iterations)"
        }
    }
}
