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

    /// The plaintext that is sealed: canonical JSON of the three members, and the OKX user ID when known
    /// (OKX limits private reads per user: the client's limiter keys on it).
    var sealedForm: [UInt8] {
        var members: [String: JSON] = ["apiKey": .string(apiKey), "secretKey": .string(secretKey), "passphrase": .string(passphrase)]
        if let uid { members["uid"] = .string(uid) }
        return JSON.object(members).serialized()
    }

    init(sealedForm bytes: [UInt8]) throws(VaultError) {
        guard let json = try? JSON(parsing: bytes), let parts = Self.parts(of: json) else {
            throw VaultError(.tampered, "a vault row decrypted to something that is not credentials")
        }
        let uid = json["uid"]?.stringValue
        if let uid, !Self.isUID(uid) { throw VaultError(.tampered, "a vault row decrypted to a uid that is not OKX's (decimal digits)") }
        try self.init(validating: parts.apiKey, secretKey: parts.secretKey, passphrase: parts.passphrase)
        self = OKXCredentials(apiKey: apiKey, secretKey: secretKey, passphrase: passphrase, uid: uid, region: region)
    }

    /// An OKX user ID: 1–32 decimal digits.
    public static func isUID(_ text: String) -> Bool {
        (1...32).contains(text.utf8.count) && text.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }

    private static func parts(of json: JSON) -> (apiKey: String, secretKey: String, passphrase: String)? {
        guard let apiKey = json["apiKey"]?.stringValue, let secretKey = json["secretKey"]?.stringValue,
              let passphrase = json["passphrase"]?.stringValue else { return nil }
        return (apiKey, secretKey, passphrase)
    }
}
