import Crypto
import Foundation

/// Authenticates API requests (DESIGN.md §8): `X-Timestamp` is unix seconds, `X-Signature` the
/// lowercase hex HMAC-SHA256(secret, timestamp + "." + body). The timestamp must lie within
/// `window` seconds of the server's clock either side; a signature is accepted once.
public final class APIAuthenticator: Sendable {
    /// Why a request was refused; `message` and `hint` are safe to send back.
    public enum Refusal: String, Sendable, Equatable {
        case missingHeaders, malformedTimestamp, expired, future, malformedSignature, badSignature, replayed, busy

        public var message: String {
            switch self {
            case .missingHeaders: "X-Timestamp and X-Signature are required"
            case .malformedTimestamp: "X-Timestamp must be unix seconds"
            case .expired: "X-Timestamp is too old"
            case .future: "X-Timestamp is too far in the future"
            case .malformedSignature: "X-Signature must be 64 lowercase hex digits"
            case .badSignature: "X-Signature does not match"
            case .replayed: "this signature was already used"
            case .busy: "too many recent requests to remember"
            }
        }

        public var hint: String {
            switch self {
            case .missingHeaders, .malformedSignature, .badSignature:
                "sign hex(HMAC-SHA256(secret, timestamp + \".\" + body)) over the exact body bytes sent"
            case .malformedTimestamp, .expired, .future: "check the caller's clock (NTP); the window is ±300 s"
            case .replayed: "sign every request afresh with a new timestamp"
            case .busy: "retry shortly"
            }
        }
    }

    public enum Outcome: Sendable, Equatable {
        case accepted
        case refused(Refusal)
    }

    public static let defaultWindowSeconds: Int64 = 300

    private let secret: APISecret
    let windowSeconds: Int64
    private let replays: ReplayCache
    private let now: @Sendable () -> Int64

    /// `now` returns unix seconds (injected by tests); `maxRemembered` bounds the replay cache.
    public init(secret: APISecret, windowSeconds: Int64 = defaultWindowSeconds, maxRemembered: Int = 100_000,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.secret = secret
        self.windowSeconds = windowSeconds
        self.replays = ReplayCache(capacity: maxRemembered)
        self.now = now
    }

    /// The signature a client sends: lowercase hex HMAC-SHA256(secret, timestamp + "." + body).
    public static func signature(secret: APISecret, timestamp: String, body: [UInt8]) -> String {
        Hex.encode(mac(secret: secret, timestamp: timestamp, body: body))
    }

    /// Checks the headers against the body; an accepted signature is remembered, so a second
    /// identical request is refused as a replay.
    public func check(timestamp: String?, signature: String?, body: [UInt8]) -> Outcome {
        guard let timestamp, let signature else { return .refused(.missingHeaders) }
        guard (1...12).contains(timestamp.utf8.count), timestamp.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let sent = Int64(timestamp) else { return .refused(.malformedTimestamp) }
        let current = now()
        if sent < current - windowSeconds { return .refused(.expired) }
        if sent > current + windowSeconds { return .refused(.future) }
        guard signature.utf8.count == 64, signature.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
              let given = Hex.decode(signature) else { return .refused(.malformedSignature) }
        guard ConstantTime.equal(given, Self.mac(secret: secret, timestamp: timestamp, body: body)) else {
            return .refused(.badSignature)
        }
        switch replays.insert(given, expiresAt: sent + windowSeconds, now: current) {
        case .fresh: return .accepted
        case .replayed: return .refused(.replayed)
        case .full: return .refused(.busy)
        }
    }

    private static func mac(secret: APISecret, timestamp: String, body: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticate(Array(timestamp.utf8) + [0x2E] + body, key: secret.bytes)
    }
}
