import Foundation
import Synchronization
import Testing
@testable import Keeper

/// Sessions and the login limiter on a clock the test moves.
@Suite struct ConsoleSessionsTests {
    final class Clock: Sendable {
        let now = Atomic<Int64>(1_000_000)
        func advance(_ seconds: Int64) { now.add(seconds, ordering: .sequentiallyConsistent) }
        var value: Int64 { now.load(ordering: .sequentiallyConsistent) }
    }

    @Test func aSessionHoldsUntilItExpiresIsRevokedOrIsTamperedWith() throws {
        let clock = Clock()
        let sessions = try ConsoleSessions(lifetimeSeconds: 100, now: { clock.value })
        let (session, cookie) = try sessions.issue(name: "alice")
        #expect(sessions.session(cookie: cookie) == session)
        #expect(session.name == "alice" && session.expires == clock.value + 100)

        // Another process's key, a changed name or expiry, a cut MAC: no session.
        #expect(try ConsoleSessions(now: { clock.value }).session(cookie: cookie) == nil)
        var parts = cookie.split(separator: ".").map(String.init)
        let original = parts
        parts[0] = ConsoleSessions.base64url(Array("mallory".utf8))
        #expect(sessions.session(cookie: parts.joined(separator: ".")) == nil)
        parts = original
        parts[1] = String(clock.value + 1_000_000)
        #expect(sessions.session(cookie: parts.joined(separator: ".")) == nil)
        #expect(sessions.session(cookie: String(cookie.dropLast())) == nil)
        #expect(sessions.session(cookie: "") == nil && sessions.session(cookie: "a.b.c.d") == nil)

        // The CSRF token is the session's own.
        let other = try sessions.issue(name: "alice").session
        #expect(sessions.csrfToken(for: session) != sessions.csrfToken(for: other))
        #expect(sessions.checkCSRF(sessions.csrfToken(for: session), expected: sessions.csrfToken(for: session)))
        #expect(!sessions.checkCSRF(nil, expected: sessions.csrfToken(for: session)))

        clock.advance(99)
        #expect(sessions.session(cookie: cookie) != nil)
        clock.advance(1)
        #expect(sessions.session(cookie: cookie) == nil, "expired")

        let (fresh, freshCookie) = try sessions.issue(name: "bob")
        sessions.revoke(fresh)
        #expect(sessions.session(cookie: freshCookie) == nil, "logged out")
    }

    @Test func fiveFailuresAMinuteLimitTheNameFromAnyClientAndTheClientForAnyName() {
        let clock = Clock()
        let limiter = LoginRateLimiter(limit: 5, windowSeconds: 60, now: { Double(clock.value) })
        for client in 1...5 {
            #expect(limiter.retryAfter(["client:10.0.0.\(client)", "name:alice"]) == nil)
            limiter.recordFailure(["client:10.0.0.\(client)", "name:alice"])
            clock.advance(1)
        }
        #expect(limiter.retryAfter(["client:10.0.0.9", "name:alice"]) == 55, "the name, from a new client: until the first failure is a minute old")
        #expect(limiter.retryAfter(["client:10.0.0.9", "name:bob"]) == nil, "another name from another client")
        for name in ["a", "b", "c", "d", "e"] { limiter.recordFailure(["client:10.0.0.7", "name:\(name)"]) }
        #expect(limiter.retryAfter(["client:10.0.0.7", "name:carol"]) != nil, "the client, for a new name")
        clock.advance(55)
        #expect(limiter.retryAfter(["client:10.0.0.9", "name:alice"]) == nil, "a minute after the first failure")
    }
}
