import Crypto

/// A trader's OKX API key. Its text forms (`description`, `debugDescription`, `dump`) never show
/// the secret parts: only a fingerprint of the API key, so that logs can tell keys apart.
public struct OKXCredentials: Sendable, Equatable {
    public let apiKey: String
    public let secretKey: String
    public let passphrase: String
    /// The OKX user ID (sub-accounts have their own), if known: OKX limits private endpoints per
    /// user, so it keys the rate limiter; without it the API key stands in for the user.
    public let uid: String?
    /// The OKX entity the key belongs to: it decides the host the key is sent to.
    public let region: OKXRegion

    public init(apiKey: String, secretKey: String, passphrase: String, uid: String? = nil, region: OKXRegion = .www) {
        self.apiKey = apiKey
        self.secretKey = secretKey
        self.passphrase = passphrase
        self.uid = uid.flatMap { $0.isEmpty ? nil : $0 }
        self.region = region
    }

    /// The same key, registered under `region`.
    public func inRegion(_ region: OKXRegion) -> OKXCredentials {
        OKXCredentials(apiKey: apiKey, secretKey: secretKey, passphrase: passphrase, uid: uid, region: region)
    }

    /// The first 8 bytes of SHA-256(apiKey) in hex: identifies a key without revealing it.
    public var fingerprint: String { String(Self.hash(apiKey: apiKey).prefix(16)) }

    /// SHA-256 of an API key, hex: what is kept where the key itself must not be (the trader API's challenges).
    public static func hash(apiKey: String) -> String { Hex.encode(SHA256.hash(Array(apiKey.utf8))) }

    /// True when every part is non-empty and free of control characters, so that it can be sent
    /// in an HTTP header without ending the header early.
    public var isWellFormed: Bool {
        [apiKey, secretKey, passphrase].allSatisfy { part in
            !part.isEmpty && !part.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
        }
    }

    /// The credential strings, for scrubbing them out of text that must never carry them.
    public var secrets: [String] { [apiKey, secretKey, passphrase] }
}

extension OKXCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "OKXCredentials(key \(fingerprint), region \(region), secret and passphrase redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["fingerprint": fingerprint, "region": region.rawValue], displayStyle: .struct) }
}
