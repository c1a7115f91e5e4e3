import Crypto
import Foundation
import Synchronization

/// The console's sessions: a cookie `NAME.EXPIRES.ID.MAC`, the MAC an HMAC-SHA256 under a key drawn
/// at random when the process starts (a restart logs everyone out). A form's CSRF token is the HMAC of
/// the session id; the login form's, of a random token in its own cookie. Logging out revokes the id.
public final class ConsoleSessions: Sendable {
    public struct Session: Sendable, Equatable {
        public let name: String
        public let id: String
        public let expires: Int64
    }

    public static let cookieName = "lgk_session"
    public static let loginCookieName = "lgk_login"
    /// Eight hours: a working day.
    public let lifetimeSeconds: Int64
    private let key: [UInt8]
    private let now: @Sendable () -> Int64
    /// Ids logged out before they expired, with their expiry (dropped once past it).
    private let revoked = Mutex<[String: Int64]>([:])

    public init(lifetimeSeconds: Int64 = 8 * 3_600, now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) throws(CryptoError) {
        key = try SecureRandom.bytes(32)
        self.lifetimeSeconds = lifetimeSeconds
        self.now = now
    }

    /// A new session for `name` (a checked operator name: no '.'s are a problem, the MAC covers the whole payload).
    public func issue(name: String) throws(CryptoError) -> (session: Session, cookie: String) {
        let session = Session(name: name, id: Hex.encode(try SecureRandom.bytes(16)), expires: now() + lifetimeSeconds)
        let payload = "\(Self.base64url(Array(name.utf8))).\(session.expires).\(session.id)"
        return (session, payload + "." + mac("session", payload))
    }

    /// The session a cookie value carries, when its MAC holds, it has not expired and was not revoked.
    public func session(cookie value: String) -> Session? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, let nameBytes = Self.unbase64url(parts[0]), let expires = Int64(parts[1]) else { return nil }
        let payload = parts[0...2].joined(separator: ".")
        guard ConstantTime.equal(Array(mac("session", payload).utf8), Array(parts[3].utf8)), expires > now() else { return nil }
        let id = String(parts[2])
        if revoked.withLock({ $0[id] != nil }) { return nil }
        return Session(name: String(decoding: nameBytes, as: UTF8.self), id: id, expires: expires)
    }

    public func revoke(_ session: Session) {
        let time = now()
        revoked.withLock { list in
            list = list.filter { $0.value > time }
            list[session.id] = session.expires
        }
    }

    /// The CSRF token of every form of `session`.
    public func csrfToken(for session: Session) -> String { mac("csrf", session.id) }

    /// The login form's token for the random `loginToken` of its cookie.
    public func loginCSRFToken(for loginToken: String) -> String { mac("login", loginToken) }

    public func checkCSRF(_ given: String?, expected: String) -> Bool {
        guard let given else { return false }
        return ConstantTime.equal(Array(given.utf8), Array(expected.utf8))
    }

    private func mac(_ purpose: String, _ text: String) -> String {
        Hex.encode(HMACSHA256.authenticate(Array("\(purpose).\(text)".utf8), key: key))
    }

    static func base64url(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func unbase64url(_ text: Substring) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}

/// Failed logins per client address and per name: after `limit` failures within `windowSeconds`, either
/// key is refused (429) until the oldest failure leaves the window, right password or not.
public final class LoginRateLimiter: Sendable {
    public let limit: Int
    public let windowSeconds: Double
    private let failures = Mutex<[String: [Double]]>([:])
    private let now: @Sendable () -> Double

    public init(limit: Int = 5, windowSeconds: Double = 60, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.limit = limit
        self.windowSeconds = windowSeconds
        self.now = now
    }

    /// Seconds until `keys` may try again; nil when none of them is limited.
    public func retryAfter(_ keys: [String]) -> Int? {
        let time = now()
        return failures.withLock { table in
            let waits = keys.compactMap { key -> Double? in
                let recent = (table[key] ?? []).filter { $0 > time - windowSeconds }
                table[key] = recent.isEmpty ? nil : recent
                return recent.count >= limit ? recent[recent.count - limit] + windowSeconds - time : nil
            }
            return waits.max().map { max(1, Int($0.rounded(.up))) }
        }
    }

    public func recordFailure(_ keys: [String]) {
        let time = now()
        failures.withLock { table in
            if table.count > 10_000 { table = table.filter { $0.value.contains { $0 > time - windowSeconds } } }
            for key in keys { table[key, default: []].append(time) }
        }
    }
}
