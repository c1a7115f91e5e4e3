import Foundation
import Wire

/// A user's read-only OKX API key. `description` never shows the secrets.
public struct OKXCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let apiKey: String
    public let secretKey: String
    public let passphrase: String

    public init(apiKey: String, secretKey: String, passphrase: String) throws(VaultError) {
        for (name, value) in [("apiKey", apiKey), ("secretKey", secretKey), ("passphrase", passphrase)] {
            guard !value.isEmpty, value.count <= 256, !value.contains(where: { $0.isNewline }) else {
                throw VaultError(.invalidInput, "\(name) must be one non-empty line of at most 256 characters")
            }
        }
        self.apiKey = apiKey
        self.secretKey = secretKey
        self.passphrase = passphrase
    }

    /// Reads credentials as an operator pipes them in: a JSON object
    /// `{"apiKey": …, "secretKey": …, "passphrase": …}`, or three lines in that order.
    public init(parsing text: String) throws(VaultError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") {
            guard let json = try? JSON(parsing: trimmed), let apiKey = json["apiKey"]?.stringValue,
                  let secretKey = json["secretKey"]?.stringValue, let passphrase = json["passphrase"]?.stringValue else {
                throw VaultError(.invalidInput, "credentials JSON needs string members apiKey, secretKey and passphrase")
            }
            try self.init(apiKey: apiKey, secretKey: secretKey, passphrase: passphrase)
            return
        }
        let lines = trimmed.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.count == 3 else {
            throw VaultError(.invalidInput, "give the credentials as three lines (apiKey, secretKey, passphrase) or as JSON; got \(lines.count) lines")
        }
        try self.init(apiKey: lines[0], secretKey: lines[1], passphrase: lines[2])
    }

    /// Every secret string, for tests and for refusing to write them anywhere.
    public var secrets: [String] { [apiKey, secretKey, passphrase] }

    /// The plaintext that is sealed: canonical JSON of the three members.
    var sealedForm: [UInt8] {
        JSON.object(["apiKey": .string(apiKey), "secretKey": .string(secretKey), "passphrase": .string(passphrase)]).serialized()
    }

    init(sealedForm bytes: [UInt8]) throws(VaultError) {
        guard let json = try? JSON(parsing: bytes), let apiKey = json["apiKey"]?.stringValue,
              let secretKey = json["secretKey"]?.stringValue, let passphrase = json["passphrase"]?.stringValue else {
            throw VaultError(.tampered, "a vault row decrypted to something that is not credentials")
        }
        try self.init(apiKey: apiKey, secretKey: secretKey, passphrase: passphrase)
    }

    public var description: String { "OKXCredentials(<redacted>)" }
    public var debugDescription: String { description }
}
