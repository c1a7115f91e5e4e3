import Ethereum
import Foundation
import Wire

/// `lg-keeper account new|show --keystore FILE`: the signer's keystore v3 file.
enum AccountCommand {
    static let command = Command(
        name: "account",
        usage: "account new|show --keystore FILE [--kdf scrypt|pbkdf2]",
        summary: "create or inspect a keystore v3 file (password from LGK_KEYSTORE_PASSWORD or a prompt)",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["keystore", "kdf"], flags: [])
        guard arguments.positionals.count == 1, let action = arguments.positionals.first else {
            throw UsageError("say `account new` or `account show`")
        }
        let path = try arguments.required("keystore")
        switch action {
        case "new": return try create(at: path, kdf: arguments.value("kdf") ?? "scrypt")
        case "show":
            guard arguments.value("kdf") == nil else { throw UsageError("--kdf applies to `account new` only") }
            return try show(at: path)
        default: throw UsageError("unknown action '\(TerminalText.excerpt(action))': use new or show")
        }
    }

    static func create(at path: String, kdf: String) throws -> ExitCode {
        let derivation: Keystore.KeyDerivation
        switch kdf {
        case "scrypt": derivation = .standard
        case "pbkdf2": derivation = .pbkdf2(iterations: 262_144)
        default: throw UsageError("--kdf must be scrypt or pbkdf2, not '\(TerminalText.excerpt(kdf))'")
        }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(.usage, "\(path) already exists: choose a new file (keystores are never overwritten)")
        }
        let password = try PasswordSource.keystorePassword(confirm: true)
        do {
            let key = try PrivateKey.generate()
            let keystore = try Keystore.create(key, password: password, at: path, keyDerivation: derivation)
            print("address   \(key.address.checksummed)")
            print("keystore  \(path) (mode 0600, id \(keystore.id))")
            return .ok
        } catch {
            throw CommandFailure(.software, error.message)
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
