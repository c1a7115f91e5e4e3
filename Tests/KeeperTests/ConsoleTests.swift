import Foundation
import HTTPServer
import Synchronization
import Testing
import Logging
import TestSupport
import Wire
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Settlement
@testable import Store

/// The operator console through real HTTP: a keeper's router with the console on a loopback port, a
/// database with an operator and claims. The refusals (no session, bad CSRF token, wrong password, too
/// many attempts), a login, the claims list's data attributes, a decision recorded with the operator's
/// name, and a verifier page that never shows the credentials it was given.
@Suite(.serialized) final class ConsoleTests {
    let fixture: ClaimFixture
    let server: HTTPServer
    let lines = Shared<[String]>([])
    let seen = Shared<[VerifyRequest]>([])
    let password = "console password \(UUID().uuidString.prefix(8))"
    let heldUser = "0x00000000000000000000000000000000000000bb"
    var port: Int { server.port }

    init() throws {
        fixture = try ClaimFixture()
        try ConsoleOperators.add(fixture.database, name: "alice", password: Array(password.utf8), by: "test")
        let held = try fixture.insertClaim(user: heldUser, orderID: 3, block: 11)
        try fixture.ledger.transition(held, to: .verifying)
        try fixture.ledger.transition(try fixture.ledger.claim(id: held.id)!, to: .heldReview,
                                      .init(amount: UInt256(7_500_000), liquidated: true, evidenceID: "ev",
                                            evidenceRoot: try Hash(hex: "0x" + String(repeating: "33", count: 32)), reason: .some("above policy.reviewAbove <b>")))
        try fixture.insertClaim(user: "0x00000000000000000000000000000000000000cc", orderID: 1_234_567_890_123_456_789, block: 12)

        let lines = self.lines, seen = self.seen
        let log = Logger(level: .debug, sink: LogSink { line in lines.value.withLock { $0.append(line) } })
        let context = Console.Context(
            readers: DatabaseReaderPool(path: fixture.database.path), databasePath: fixture.database.path, evidenceDirectory: NSTemporaryDirectory(),
            pool: PoolConfig(currency: "USDT", decimals: 6, currencyIsExplicit: true), dailyLimit: UInt256(100_000_000),
            health: KeeperHealth(), metrics: MetricsRegistry(), readiness: .init(maxLagBlocks: 50, staleAfterSeconds: 10),
            verify: { request in
                seen.value.withLock { $0.append(request) }
                return (200, ["normalized": ["position": ["liquidated": true, "reason": "forced-liquidation"], "payout": ["amount": "5000000", "poolCurrency": "USDT", "poolDecimals": 6]],
                              "evidence": ["root": .string("0x" + String(repeating: "ab", count: 32)), "evidenceId": "evi_20260301_0123456789abcdef"]])
            }, log: log)
        var router = HTTPRouter()
        Console(context: context, sessions: try ConsoleSessions(), limiter: LoginRateLimiter(limit: 5, windowSeconds: 60)).register(in: &router)
        server = HTTPServer(router: router, options: .init(listen: try HTTPListenAddress(parsing: "127.0.0.1:0")))
        try server.start()
    }

    /// Stops the server without waiting for it: a deinit runs on one of the cooperative pool's threads (two
    /// on a two-core machine), and blocking it until a task on that same pool has run hung the whole run
    /// once the other thread was blocked too.
    deinit {
        let server = server
        Task { await server.stop(grace: .seconds(1)) }
    }

    func request(_ method: String, _ path: String, cookie: String? = nil, form: [String: String]? = nil,
                 headers: [String: String] = [:]) throws -> ConsoleClient.Response {
        try ConsoleClient(port: port).request(method, path, cookie: cookie, form: form, headers: headers)
    }

    static func csrf(in body: String) -> String? { ConsoleClient.csrf(in: body) }

    /// The login form's cookie and CSRF token.
    func loginForm() throws -> (cookie: String, csrf: String) {
        let page = try request("GET", "/console/login")
        #expect(page.status == 200)
        #expect(page.body.contains("name=\"name\"") && page.body.contains("name=\"password\""))
        let token = try #require(page.cookie("lgk_login"))
        return ("lgk_login=\(token)", try #require(Self.csrf(in: page.body)))
    }

    func login(name: String = "alice", password: String? = nil) throws -> ConsoleClient.Response {
        let form = try loginForm()
        return try request("POST", "/console/login", cookie: form.cookie, form: ["name": name, "password": password ?? self.password, "csrf": form.csrf])
    }

    /// A logged-in operator's cookie and CSRF token.
    func session() throws -> (cookie: String, csrf: String) {
        let answer = try login()
        #expect(answer.status == 303 && answer.header("Location") == "/console/claims")
        let value = try #require(answer.cookie("lgk_session"))
        let setCookie = try #require(answer.cookies.first { $0.hasPrefix("lgk_session=") })
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/console"))
        let page = try request("GET", "/console/claims", cookie: "lgk_session=\(value)")
        return ("lgk_session=\(value)", try #require(Self.csrf(in: page.body)))
    }

    // MARK: Refusals

    @Test func withoutASessionPagesRedirectToTheLoginAndPostsAreForbidden() throws {
        for path in ["/console/", "/console/claims", "/console/claims/\(heldUser)/3", "/console/payouts", "/console/health", "/console/verify", "/console/nowhere"] {
            let answer = try request("GET", path)
            #expect(answer.status == 303, "\(path)")
            #expect(answer.header("Location") == "/console/login", "\(path)")
        }
        for path in ["/console/claims/\(heldUser)/3/approve", "/console/health/resume", "/console/verify", "/console/logout"] {
            #expect(try request("POST", path, form: ["note": "x", "csrf": "00"]).status == 403, "\(path)")
        }
        let forged = try request("GET", "/console/claims", cookie: "lgk_session=YWxpY2U.99999999999.00.00")
        #expect(forged.status == 303, "a cookie whose MAC does not hold is no session")
        #expect(try fixture.ledger.claim(user: Address(hex: heldUser), orderID: 3)!.review == nil)
    }

    @Test func aWrongPasswordIsRefusedAndTheLoginFormNeedsItsToken() throws {
        let wrong = try login(password: "not the password")
        #expect(wrong.status == 401)
        #expect(wrong.body.contains("Wrong operator name or password"))
        #expect(wrong.cookie("lgk_session") == nil)
        #expect(try login(name: "mallory").status == 401, "an unknown name is refused alike")
        #expect(try login(name: "typed-the-password-here").status == 401)
        #expect(!lines.value.withLock { $0.joined() }.contains("typed-the-password-here"), "a name that is no operator's is not logged")
        let form = try loginForm()
        let noToken = try request("POST", "/console/login", cookie: form.cookie, form: ["name": "alice", "password": password])
        #expect(noToken.status == 403 && noToken.cookie("lgk_session") == nil)
        #expect(!lines.value.withLock { $0.joined() }.contains(password), "no password in the log")
    }

    @Test func loginAttemptsAreLimitedPerName() throws {
        for _ in 0..<5 { #expect(try login(password: "guess \(UUID().uuidString)").status == 401) }
        let limited = try login()
        #expect(limited.status == 429, "the right password waits too once the name is limited")
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 > 0)
        #expect(limited.cookie("lgk_session") == nil)
    }

    // MARK: Pages and decisions

    @Test func theClaimsPageListsClaimsWithTheirDataAttributes() throws {
        let (cookie, _) = try session()
        let page = try request("GET", "/console/claims", cookie: cookie)
        #expect(page.status == 200)
        #expect(page.body.contains("data-claim=\"\(heldUser)/3\" data-state=\"held_review\""))
        #expect(page.body.contains("data-claim=\"0x00000000000000000000000000000000000000cc/1234567890123456789\" data-state=\"requested\""))
        #expect(page.body.contains("data-action=\"approve\"") && page.body.contains("data-action=\"reject\""))
        #expect(page.body.contains("7.5"), "the amount in pool units")
        #expect(page.body.contains("above policy.reviewAbove &lt;b&gt;") && !page.body.contains("<b>"), "reasons are escaped")
        #expect(page.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        let newestFirst = try #require(page.body.range(of: "/1234567890123456789\" data-state"))
        #expect(newestFirst.lowerBound < page.body.range(of: "\(heldUser)/3\" data-state")!.lowerBound, "newest request first")

        let held = try request("GET", "/console/claims?state=held_review", cookie: cookie)
        #expect(held.body.contains("\(heldUser)/3") && !held.body.contains("1234567890123456789\" data-state"))
        let claim = try request("GET", "/console/claims/\(heldUser)/3", cookie: cookie)
        #expect(claim.status == 200 && claim.body.contains("data-field=\"state\">held_review"))
    }

    @Test func approvingAHeldClaimRecordsTheDecisionWithTheOperatorsName() throws {
        let (cookie, csrf) = try session()
        let confirm = try request("GET", "/console/claims/\(heldUser)/3/approve", cookie: cookie)
        #expect(confirm.status == 200)
        #expect(confirm.body.contains("name=\"note\"") && confirm.body.contains("data-action=\"confirm\""))

        let badToken = try request("POST", "/console/claims/\(heldUser)/3/approve", cookie: cookie, form: ["note": "ok", "csrf": String(repeating: "0", count: 64)])
        #expect(badToken.status == 403)
        let elsewhere = try request("POST", "/console/claims/\(heldUser)/3/approve", cookie: cookie, form: ["note": "ok", "csrf": csrf],
                                    headers: ["Origin": "http://evil.example"])
        #expect(elsewhere.status == 403, "a form from another origin, even with the token")
        #expect(try fixture.ledger.claim(user: Address(hex: heldUser), orderID: 3)!.review == nil, "a bad token changes nothing")

        let approved = try request("POST", "/console/claims/\(heldUser)/3/approve", cookie: cookie, form: ["note": "checked the fills <ok>", "csrf": csrf])
        #expect(approved.status == 303 && approved.header("Location") == "/console/claims/\(heldUser)/3")
        let claim = try #require(try ClaimLedger(database: Database(path: fixture.database.path)).claim(user: Address(hex: heldUser), orderID: 3))
        #expect(claim.review == .approved && claim.reviewBy == "alice" && claim.reviewNote == "checked the fills <ok>")
        let audit = try Database(path: fixture.database.path).fetchOne("SELECT detail FROM audit_log WHERE kind = 'claim.review'", as: String.self)
        #expect(audit == #"{"by":"alice","decision":"approved","note":"checked the fills <ok>"}"#)

        let shown = try request("GET", "/console/claims/\(heldUser)/3", cookie: cookie)
        #expect(shown.body.contains("approved by alice: checked the fills &lt;ok&gt;"))
        let again = try request("POST", "/console/claims/\(heldUser)/3/reject", cookie: cookie, form: ["csrf": csrf])
        #expect(again.status == 409 && again.body.contains("already approved by alice"))
    }

    @Test func theVerifierShowsTheVerdictAndNeverTheCredentials() throws {
        let (cookie, csrf) = try session()
        let form = try request("GET", "/console/verify", cookie: cookie)
        for field in ["instId", "ordId", "apiKey", "secretKey", "passphrase", "alias"] { #expect(form.body.contains("name=\"\(field)\""), "\(field)") }
        #expect(form.body.contains("data-action=\"verify\""))
        let secrets = ["apiKey": "api-\(UUID().uuidString)", "secretKey": "SECRET\(UUID().uuidString)", "passphrase": "Pass phrase 123!"]
        let answer = try request("POST", "/console/verify", cookie: cookie,
                                 form: secrets.merging(["instId": "BTC-USDT-SWAP", "ordId": "680800019749904384", "csrf": csrf]) { a, _ in a })
        #expect(answer.status == 200)
        #expect(answer.body.contains("data-field=\"liquidated\">true<"))
        #expect(answer.body.contains("data-field=\"reason\">forced-liquidation<"))
        #expect(answer.body.contains("data-field=\"amount\" data-base-units=\"5000000\">5<"), "in pool units")
        #expect(answer.body.contains("data-field=\"root\">0x" + String(repeating: "ab", count: 32)))
        #expect(answer.body.contains("href=\"/console/evidence/evi_20260301_0123456789abcdef\""))
        let seenKey = try #require(seen.value.withLock { $0.last }?.key)
        guard case .inline(let credentials) = seenKey else { Issue.record("inline key expected"); return }
        #expect(credentials.secrets.contains(secrets["secretKey"]!), "the verifier got the key")
        let log = lines.value.withLock { $0.joined(separator: "\n") }
        for secret in secrets.values {
            #expect(!answer.body.contains(secret), "not echoed")
            #expect(!log.contains(secret), "not logged")
        }
        let stored = try Data(contentsOf: URL(fileURLWithPath: fixture.database.path))
        for secret in secrets.values { #expect(stored.range(of: Data(secret.utf8)) == nil, "not stored") }
    }

    @Test func healthShowsThePauseAndResumeLiftsItAsTheOperator() throws {
        try KeeperControl.pause(fixture.database, reason: "reconcile mismatch <x>")
        let (cookie, csrf) = try session()
        let health = try request("GET", "/console/health", cookie: cookie)
        #expect(health.status == 200)
        #expect(health.body.contains("data-check=\"paused\" data-ok=\"false\"") && health.body.contains("data-action=\"resume\""))
        #expect(health.body.contains("reconcile mismatch &lt;x&gt;"))
        #expect(try request("POST", "/console/health/resume", cookie: cookie, form: ["csrf": "bad"]).status == 403)
        let resumed = try request("POST", "/console/health/resume", cookie: cookie, form: ["csrf": csrf])
        #expect(resumed.status == 303 && resumed.header("Location") == "/console/health")
        let db = try Database(path: fixture.database.path)
        #expect(try !KeeperControl.state(db).paused)
        #expect(try db.fetchOne("SELECT detail FROM audit_log WHERE kind = 'control.resume'", as: String.self) == #"{"by":"alice"}"#)
        #expect(try !request("GET", "/console/health", cookie: cookie).body.contains("data-action=\"resume\""))
    }

    @Test func payoutsShowTheChartAndThirtyDays() throws {
        let (cookie, _) = try session()
        let page = try request("GET", "/console/payouts", cookie: cookie)
        #expect(page.status == 200)
        #expect(page.body.contains("<svg") && page.body.contains("data-field=\"dailyLimit\">100 USDT"))
        #expect(page.body.components(separatedBy: " data-day=\"").count - 1 == 30)
    }

    @Test func logoutEndsTheSession() throws {
        let (cookie, csrf) = try session()
        let out = try request("POST", "/console/logout", cookie: cookie, form: ["csrf": csrf])
        #expect(out.status == 303 && out.header("Location") == "/console/login")
        #expect(try request("GET", "/console/claims", cookie: cookie).status == 303)
    }
}

/// A value the server's threads and the test share.
final class Shared<T: Sendable>: Sendable {
    let value: Mutex<T>
    init(_ initial: T) { value = Mutex(initial) }
}
