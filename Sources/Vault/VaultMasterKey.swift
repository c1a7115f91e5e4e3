import Crypto
import Foundation
import PrivateFiles

/// The 32-byte key the vault seals credentials under, from a 0600 file (`LGK_VAULT_KEY_FILE`)
/// or the environment (`LGK_VAULT_KEY`), written as 64 hex digits or base64 (a file may also hold
/// the 32 raw bytes).
public struct VaultMasterKey: Sendable {
    public static let fileVariable = "LGK_VAULT_KEY_FILE"
    public static let environmentVariable = "LGK_VAULT_KEY"

    let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(VaultError) {
        guard bytes.count == AES.GCM.keySize else {
            throw VaultError(.invalidMasterKey, "the vault master key must be \(AES.GCM.keySize) bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// Parses 64 hex digits (optional `0x`) or standard base64 of 32 bytes.
    public init(text: String, source: String) throws(VaultError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if let hex = Hex.decode(trimmed), hex.count == AES.GCM.keySize {
            try self.init(bytes: hex)
        } else if let data = Data(base64Encoded: trimmed), data.count == AES.GCM.keySize {
            try self.init(bytes: Array(data))
        } else {
            throw VaultError(.invalidMasterKey, "\(source) must hold a 32-byte key as 64 hex digits or base64 (e.g. `openssl rand -hex 32`)")
        }
    }

    /// Reads a key file, refusing one that group or others may read or write, another user owns or
    /// that is not a regular file: checked on the opened descriptor (`SecretFile`), not by a `stat`
    /// of the path before it is opened.
    public init(file path: String) throws(VaultError) {
        var bytes: [UInt8]
        do { bytes = try SecretFile.read(path, what: "vault key file") } catch {
            throw VaultError(error.code == .openToOthers ? .insecureKeyFile : .invalidMasterKey, error.message)
        }
        defer { SecretFile.wipe(&bytes) }
        if bytes.count == AES.GCM.keySize, Hex.decode(String(decoding: bytes, as: UTF8.self)) == nil {
            try self.init(bytes: bytes)
        } else {
            try self.init(text: String(decoding: bytes, as: UTF8.self), source: "the vault key file \(path)")
        }
    }

    /// The key named by `environment`: `<prefix>_FILE` or `<prefix>` (`LGK_VAULT_KEY` by default).
    /// Setting both, or neither, is an error that names the variables.
    public static func from(environment: [String: String], prefix: String = environmentVariable) throws(VaultError) -> VaultMasterKey {
        let fileVariable = prefix + "_FILE"
        switch (environment[fileVariable].flatMap { $0.isEmpty ? nil : $0 }, environment[prefix].flatMap { $0.isEmpty ? nil : $0 }) {
        case (let path?, nil): return try VaultMasterKey(file: path)
        case (nil, let text?): return try VaultMasterKey(text: text, source: prefix)
        case (_?, _?): throw VaultError(.invalidMasterKey, "set either \(fileVariable) or \(prefix), not both")
        case (nil, nil): throw VaultError(.invalidMasterKey, "no vault master key: set \(fileVariable) to a 0600 file or \(prefix) (32 bytes, hex or base64)")
        }
    }

    /// A value stored beside each row that tells "sealed under another key" apart from "tampered":
    /// HMAC-SHA256(key, "lg-keeper vault key check v1"), first 16 bytes, hex. It reveals nothing of the key.
    public var check: String {
        Hex.encode(HMACSHA256.authenticate(Array("lg-keeper vault key check v1".utf8), key: bytes).prefix(16))
    }
}

extension VaultMasterKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "VaultMasterKey(check \(check))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["check": check], displayStyle: .struct) }
}
