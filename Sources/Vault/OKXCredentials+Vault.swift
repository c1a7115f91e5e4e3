import Foundation
import OKX
import Wire

/// How the vault reads, checks and seals an OKX key.
extension OKXCredentials {
    /// A key as an operator gives it: each part one non-empty line of at most 256 characters.
    public init(validating apiKey: String, secretKey: String, passphrase: String) throws(VaultError) {
        for (name, value) in [("apiKey", apiKey), ("secretKey", secretKey), ("passphrase", passphrase)] {
            guard !value.isEmpty, value.count <= 256, !value.contains(where: { $0.isNewline }) else {
                throw VaultError(.invalidInput, "\(name) must be one non-empty line of at most 256 characters")
            }
        }
        self.init(apiKey: apiKey, secretKey: secretKey, passphrase: passphrase)
        guard isWellFormed else { throw VaultError(.invalidInput, "the credentials contain control characters") }
    }

    /// Reads credentials as an operator pipes them in: a JSON object
    /// `{"apiKey": …, "secretKey": …, "passphrase": …}`, or three lines in that order.
    public init(parsing text: String) throws(VaultError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") {
            guard let json = try? JSON(parsing: trimmed), let parts = Self.parts(of: json) else {
                throw VaultError(.invalidInput, "credentials JSON needs string members apiKey, secretKey and passphrase")
            }
            try self.init(validating: parts.apiKey, secretKey: parts.secretKey, passphrase: parts.passphrase)
            return
        }
        let lines = trimmed.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.count == 3 else {
            throw VaultError(.invalidInput, "give the credentials as three lines (apiKey, secretKey, passphrase) or as JSON; got \(lines.count) lines")
        }
        try self.init(validating: lines[0], secretKey: lines[1], passphrase: lines[2])
    }

    /// The plaintext that is sealed: canonical JSON of the three members.
    var sealedForm: [UInt8] {
        JSON.object(["apiKey": .string(apiKey), "secretKey": .string(secretKey), "passphrase": .string(passphrase)]).serialized()
    }

    init(sealedForm bytes: [UInt8]) throws(VaultError) {
        guard let json = try? JSON(parsing: bytes), let parts = Self.parts(of: json) else {
            throw VaultError(.tampered, "a vault row decrypted to something that is not credentials")
        }
        try self.init(validating: parts.apiKey, secretKey: parts.secretKey, passphrase: parts.passphrase)
    }

    private static func parts(of json: JSON) -> (apiKey: String, secretKey: String, passphrase: String)? {
        guard let apiKey = json["apiKey"]?.stringValue, let secretKey = json["secretKey"]?.stringValue,
              let passphrase = json["passphrase"]?.stringValue else { return nil }
        return (apiKey, secretKey, passphrase)
    }
}
