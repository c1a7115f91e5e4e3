import Crypto
import Ethereum
import Foundation
import Indexer

/// The keeper's transaction key, loaded from `signer` in the configuration: a keystore v3 file
/// with its password from an environment variable or a 0600 file, or a 0600 file holding the raw
/// key as 64 hex digits. Files open to group or others are refused. The key never appears in a
/// description, a log line or an error.
public final class Signer: Sendable {
    /// The account the keeper sends from.
    public let address: Address
    private let key: PrivateKey

    public init(key: PrivateKey) {
        self.key = key
        self.address = key.address
    }

    /// Loads the key `config` names. `environment` is the process environment (a parameter for tests).
    public static func load(_ config: SignerConfig,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(KeeperError) -> Signer {
        if let path = config.keyFile {
            return Signer(key: try rawKey(path))
        }
        guard let path = config.keystore else {
            throw KeeperError(.config, "signer: set signer.keystore (with passwordEnv or passwordFile) or signer.keyFile")
        }
        let password = try Self.password(config, environment: environment, keystore: path)
        var keystoreBytes = try SecretFile.read(path, what: "keystore")
        defer { SecretFile.wipe(&keystoreBytes) }
        do {
            return Signer(key: try Keystore(json: keystoreBytes, source: path).decrypt(password: password))
        } catch {
            // EthereumError messages name the file and the failure, never the password or the key.
            throw KeeperError(.config, "signer: \(error.message)")
        }
    }

    /// Signs a transaction with the keeper's key.
    public func sign(_ transaction: EIP1559Transaction) throws(KeeperError) -> SignedTransaction {
        do { return try transaction.signed(with: key) } catch {
            throw KeeperError(.software, "cannot sign the transaction with nonce \(transaction.nonce): \(error.message)")
        }
    }

    private static func rawKey(_ path: String) throws(KeeperError) -> PrivateKey {
        var bytes = try SecretFile.read(path, what: "signer key file")
        defer { SecretFile.wipe(&bytes) }
        var end = bytes.endIndex
        while end > bytes.startIndex, [0x0A, 0x0D, 0x20, 0x09].contains(bytes[end - 1]) { end -= 1 }
        var text = String(decoding: bytes[..<end], as: UTF8.self)
        defer { text = "" }
        do { return try PrivateKey(hex: text) } catch {
            throw KeeperError(.config, "the signer key file \(path) must hold one private key as 64 hex digits (with or without 0x)")
        }
    }

    private static func password(_ config: SignerConfig, environment: [String: String], keystore: String) throws(KeeperError) -> String {
        if let name = config.passwordEnv {
            guard let value = environment[name], !value.isEmpty else {
                throw KeeperError(.config, "signer: the environment variable \(name) (signer.passwordEnv) is not set or empty")
            }
            return value
        }
        if let path = config.passwordFile {
            var bytes = try SecretFile.read(path, what: "signer password file")
            defer { SecretFile.wipe(&bytes) }
            // One line: a trailing newline is not part of the password.
            var end = bytes.endIndex
            while end > bytes.startIndex, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
            guard end > bytes.startIndex else { throw KeeperError(.config, "the signer password file \(path) is empty") }
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
        throw KeeperError(.config, "signer: the keystore \(keystore) needs signer.passwordEnv or signer.passwordFile")
    }
}

extension Signer: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "Signer(\(address.checksummed))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["address": address.checksummed], displayStyle: .class) }
}

extension SignerConfig {
    /// A signer section built in code (tests, tools); the configuration file is read by `Config`.
    public init(keystore: String? = nil, passwordEnv: String? = nil, passwordFile: String? = nil, keyFile: String? = nil, minTransactions: Int = 20) {
        self.minTransactions = minTransactions
        self.keystore = keystore
        self.passwordEnv = passwordEnv
        self.passwordFile = passwordFile
        self.keyFile = keyFile
    }
}
