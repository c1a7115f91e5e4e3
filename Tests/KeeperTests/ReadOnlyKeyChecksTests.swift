import Foundation
import OKX
import Synchronization
import Testing
import TestSupport
@testable import Keeper
@testable import Settlement

/// The verifier asks OKX what a held key may do before using it, and again once an hour: against
/// okxsim's `account/config` with the keys of scenarios 26 and 27 (`perm` as OKX documents it,
/// https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-account-configuration).
@Suite struct ReadOnlyKeyChecksTests {
    final class Clock: Sendable {
        let now = Mutex<Int64>(1_000_000)
        func advance(_ milliseconds: Int64) { now.withLock { $0 += milliseconds } }
    }

    final class Asked: Sendable {
        let count = Mutex(0)
        var value: Int { count.withLock { $0 } }
    }

    /// A client of okxsim (or of `baseURL`) that counts the `account/config` questions OKX answered.
    /// Only answers count: okxsim is shared with other suites running at once, and OKX's limit of
    /// 5 requests per 2 s per user can refuse one with 50011, which the client asks again.
    static func client(_ credentials: OKXCredentials, asked: Asked, baseURL: String? = nil) throws -> OKXClient {
        OKXClient(credentials: credentials,
                  configuration: .init(baseURL: try baseURL ?? OKXSim.shared().baseURL, requestTimeoutMilliseconds: 5_000,
                                       retry: OKXRetryPolicy(maximumAttempts: 6, baseDelayMilliseconds: 200, maximumDelayMilliseconds: 2_000)),
                  rateLimiter: OKXRateLimiter(),
                  observer: { record in
                      if record.endpoint == "/api/v5/account/config", record.outcome == "0" { asked.count.withLock { $0 += 1 } }
                  })
    }

    static func key(_ name: String) throws -> OKXCredentials { try #require(try OKXScenario.accounts()[name]) }

    @Test func aReadOnlyKeyIsAskedAboutBeforeItsFirstUseThenHourly() async throws {
        let clock = Clock(), asked = Asked()
        let checks = ReadOnlyKeyChecks(intervalMilliseconds: 3_600_000, clock: { clock.now.withLock { $0 } })
        let zane = try Self.key("zane"), client = try Self.client(zane, asked: asked)
        #expect(await checks.check(zane, on: client) == nil)
        #expect(asked.value == 1)
        clock.advance(3_599_999)
        #expect(await checks.check(zane, on: client) == nil)
        #expect(asked.value == 1, "within the hour OKX is not asked again")
        clock.advance(1)
        #expect(await checks.check(zane, on: client) == nil)
        #expect(asked.value == 2, "an hour later it is")
    }

    @Test(arguments: [("zane-trade", "trade", "read_only,trade"), ("zelda-withdraw", "withdraw", "read_only,withdraw"),
                      ("zelda-all", "trade and withdraw", "read_only,trade,withdraw")])
    func aKeyThatCanDoMoreIsNeverUsedAndAskedAboutEveryTime(name: String, powers: String, perm: String) async throws {
        let asked = Asked(), checks = ReadOnlyKeyChecks()
        let key = try Self.key(name), client = try Self.client(key, asked: asked)
        for _ in 0..<2 {
            guard case .keyNotReadOnly(let found)? = await checks.check(key, on: client) else {
                Issue.record("\(name) is not read-only")
                return
            }
            #expect(found.apiKeyHash == OKXCredentials.hash(apiKey: key.apiKey) && found.powers == powers && found.config.perm == perm)
        }
        #expect(asked.value == 2)
    }

    @Test func aKeyOKXRefusesIsInvalidAndOKXOutOfReachIsTransient() async throws {
        let asked = Asked(), checks = ReadOnlyKeyChecks()
        let zane = try Self.key("zane")
        let wrong = OKXCredentials(apiKey: zane.apiKey, secretKey: zane.secretKey, passphrase: "not-the-passphrase")
        guard case .keyInvalid(let why)? = await checks.check(wrong, on: try Self.client(wrong, asked: asked)) else {
            Issue.record("a refused key is keyInvalid")
            return
        }
        #expect(why.contains("50105") && !why.contains(zane.secretKey), "\(why)")
        // Nothing listens on port 1.
        guard case .transient(let down)? = await checks.check(zane, on: try Self.client(zane, asked: asked, baseURL: "http://127.0.0.1:1")) else {
            Issue.record("OKX out of reach is transient")
            return
        }
        #expect(down.hasPrefix("cannot ask OKX whether the key is read-only: "), "\(down)")
        #expect(await checks.check(zane, on: try Self.client(zane, asked: asked)) == nil, "neither answer was kept: asked again")
    }
}

extension ReadOnlyKeyChecksTests {
    @Test func claimsOfOneKeyVerifiedAtOnceShareOneQuestion() async throws {
        let asked = Asked(), checks = ReadOnlyKeyChecks()
        let zelda = try Self.key("zelda"), client = try Self.client(zelda, asked: asked)
        let answers = await withTaskGroup(of: VerificationAttempt?.self) { group in
            for _ in 0..<8 { group.addTask { await checks.check(zelda, on: client) } }
            var answers = [VerificationAttempt?]()
            for await answer in group { answers.append(answer) }
            return answers
        }
        #expect(answers.count == 8 && answers.allSatisfy { $0 == nil })
        #expect(asked.value == 1, "one account/config request for eight claims of one key")
    }
}

extension ReadOnlyKeyChecksTests {
    @Test func aKeyTheTraderAPIJustCheckedIsNotAskedAboutAgain() async throws {
        let asked = Asked(), checks = ReadOnlyKeyChecks()
        let zane = try Self.key("zane")
        checks.noteReadOnly(zane)
        #expect(await checks.check(zane, on: try Self.client(zane, asked: asked)) == nil)
        #expect(asked.value == 0)
    }
}
