import Crypto
import Ethereum
import Foundation
import HTTPServer
import Logging
import Settlement
import Store
import Wire

/// The operator console (`/console/`, served by `lg-keeper run` when `console.enabled`): server-rendered
/// pages over the keeper's database, behind a login (`ConsoleOperators`, `ConsoleSessions`). A page
/// without a session redirects to `/console/login` (303); a POST without one, or with a wrong CSRF
/// token, is refused (403). Decisions go through the same code as the command line and are audited
/// with the operator's name.
public struct Console: Sendable {
    /// What the pages read and act on.
    public struct Context: Sendable {
        public var readers: DatabaseReaderPool
        public var databasePath: String
        public var evidenceDirectory: String
        public var pool: PoolConfig
        public var dailyLimit: UInt256
        public var health: KeeperHealth
        public var metrics: MetricsRegistry
        public var readiness: OperationsEndpoints.Settings
        /// `/console/verify`: what `POST /api/verify` runs.
        public var verify: @Sendable (VerifyRequest) async -> (status: Int, body: JSON)
        public var log: Logger

        public init(readers: DatabaseReaderPool, databasePath: String, evidenceDirectory: String, pool: PoolConfig, dailyLimit: UInt256,
                    health: KeeperHealth, metrics: MetricsRegistry, readiness: OperationsEndpoints.Settings,
                    verify: @escaping @Sendable (VerifyRequest) async -> (status: Int, body: JSON), log: Logger) {
            self.readers = readers
            self.databasePath = databasePath
            self.evidenceDirectory = evidenceDirectory
            self.pool = pool
            self.dailyLimit = dailyLimit
            self.health = health
            self.metrics = metrics
            self.readiness = readiness
            self.verify = verify
            self.log = log
        }
    }

    let context: Context
    let sessions: ConsoleSessions
    let limiter: LoginRateLimiter

    public init(context: Context, sessions: ConsoleSessions, limiter: LoginRateLimiter = LoginRateLimiter()) {
        self.context = context
        self.sessions = sessions
        self.limiter = limiter
    }

    /// What a page handler gets: the operator's session, its CSRF token, the query or form fields.
    struct Visit {
        let session: ConsoleSessions.Session
        let csrf: String
        let fields: [String: String]
        let request: HTTPServerRequest
        var name: String { session.name }
    }

    /// Registers every console path on `router`.
    public func register(in router: inout HTTPRouter) {
        router.add(.get, "/console/console.css") { _ in
            var response = HTTPServerResponse.text(200, ConsoleHTML.css, contentType: "text/css; charset=utf-8")
            response.headers.set("Cache-Control", "max-age=3600")
            response.headers.set("X-Content-Type-Options", "nosniff")
            return response
        }
        router.add(.get, "/console") { _ in Self.redirect("/console/") }
        router.add(.get, "/console/login") { request in loginForm(request) }
        router.add(.post, "/console/login") { request in await login(request) }
        router.add(.post, "/console/logout") { request in
            await authenticated(request) { visit in
                sessions.revoke(visit.session)
                context.log.info("console logout", ["operator": .string(visit.name)])
                return Self.redirect("/console/login", cookies: [Self.cookie(ConsoleSessions.cookieName, "", maxAge: 0)])
            }
        }
        // Every other console path, whatever the method: the session first (a GET without one goes to the
        // login, a POST is refused), then the console's own dispatch — so no 404 or 405 answers before it.
        for method in [HTTPMethod.get, .post] {
            router.add(method, "/console/") { request in await authenticated(request) { visit in await page(visit) } }
            router.add(method, prefix: "/console/") { request in await authenticated(request) { visit in await page(visit) } }
        }
    }

    /// The page a logged-in operator asked for (HEAD as GET): 405 for a method the path does not take, 404 for no such path.
    func page(_ visit: Visit) async -> HTTPServerResponse {
        let path = String(visit.request.path)
        let post = visit.request.method == .post
        switch path {
        case "/console/": return post ? notAllowed(visit, allow: "GET, HEAD") : Self.redirect("/console/claims")
        case "/console/claims": return post ? notAllowed(visit, allow: "GET, HEAD") : await claimsPage(visit)
        case "/console/payouts": return post ? notAllowed(visit, allow: "GET, HEAD") : await payoutsPage(visit)
        case "/console/health": return post ? notAllowed(visit, allow: "GET, HEAD") : await healthPage(visit)
        case "/console/health/resume": return post ? await resume(visit) : notAllowed(visit, allow: "POST")
        case "/console/verify": return post ? await verifyPage(visit) : verifyForm(visit)
        case _ where path.hasPrefix("/console/claims/"): return await claimRoute(visit)
        case _ where path.hasPrefix("/console/evidence/"): return post ? notAllowed(visit, allow: "GET, HEAD") : await evidenceFile(visit)
        default: return Self.html(404, ConsoleHTML.page("Not found", operatorName: visit.name, csrf: visit.csrf, "<p>No such console page.</p>"))
        }
    }

    func notAllowed(_ visit: Visit, allow: String) -> HTTPServerResponse {
        var response = Self.html(405, ConsoleHTML.page("Not allowed", operatorName: visit.name, csrf: visit.csrf,
                                                       allow == "POST" ? "<p>This address only takes a form.</p>" : "<p>This page only shows; nothing is sent to it.</p>"))
        response.headers.set("Allow", allow)
        return response
    }

    // MARK: Sessions

    /// Runs `body` for a logged-in operator (whose name still exists) with a checked CSRF token on POST;
    /// otherwise a GET is sent to the login page (303) and a POST refused (403).
    func authenticated(_ request: HTTPServerRequest, _ body: (Visit) async -> HTTPServerResponse) async -> HTTPServerResponse {
        let cookies = Self.cookies(request)
        var session = cookies[ConsoleSessions.cookieName].flatMap(sessions.session(cookie:))
        if let found = session {
            do {
                if try await !context.readers.read({ db in try ConsoleOperators.exists(db, name: found.name) }) { session = nil }
            } catch {
                context.log.error("console: cannot read the operators", ["error": "\(error)"])
                return Self.html(503, ConsoleHTML.page("Unavailable", operatorName: nil, csrf: nil, "<p class=\"error\">The keeper's database cannot be read now.</p>"))
            }
        }
        let isPost = request.method == .post
        guard let session else {
            if isPost { return Self.forbidden("You are not logged in (or your session ended): log in again.") }
            return Self.redirect("/console/login")
        }
        let csrf = sessions.csrfToken(for: session)
        var fields = request.query.map(ConsoleHTML.form) ?? [:]
        if isPost {
            guard Self.sameOrigin(request) else {
                context.log.warn("console: POST refused, from another origin", ["operator": .string(session.name)])
                return Self.forbidden("The form was sent from another site.")
            }
            let form = ConsoleHTML.form(request.body)
            guard sessions.checkCSRF(form["csrf"], expected: csrf) else {
                context.log.warn("console: POST refused, wrong CSRF token", ["operator": .string(session.name), "path": .string(String(request.path.prefix(120)))])
                return Self.forbidden("The form's security token is missing or wrong: reload the page and try again.")
            }
            fields.merge(form) { _, posted in posted }
        }
        var response = await body(Visit(session: session, csrf: csrf, fields: fields, request: request))
        Self.secure(&response)
        return response
    }

    func loginForm(_ request: HTTPServerRequest, status: Int = 200, message: String? = nil, name: String = "") -> HTTPServerResponse {
        let token: String
        do { token = Hex.encode(try SecureRandom.bytes(16)) } catch {
            return Self.html(500, ConsoleHTML.page("Log in", operatorName: nil, csrf: nil, "<p class=\"error\">No randomness for a login token.</p>"))
        }
        let body = (message.map { "<p class=\"error\" data-field=\"error\">\(ConsoleHTML.escape($0))</p>" } ?? "") + """
            <form method="post" action="/console/login" class="card">\(ConsoleHTML.hidden(sessions.loginCSRFToken(for: token)))
            <label for="name">Operator</label><input type="text" id="name" name="name" value="\(ConsoleHTML.escape(name))" autocomplete="username" required autofocus>
            <label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
            <button type="submit" data-action="login">Log in</button>
            </form>
            """
        return Self.html(status, ConsoleHTML.page("Log in", operatorName: nil, csrf: nil, body),
                         cookies: [Self.cookie(ConsoleSessions.loginCookieName, token, path: "/console/login", maxAge: 3_600)])
    }

    func login(_ request: HTTPServerRequest) async -> HTTPServerResponse {
        guard Self.sameOrigin(request) else { return Self.forbidden("The login form was sent from another site.") }
        let form = ConsoleHTML.form(request.body)
        guard let token = Self.cookies(request)[ConsoleSessions.loginCookieName],
              sessions.checkCSRF(form["csrf"], expected: sessions.loginCSRFToken(for: token)) else {
            return Self.forbidden("The login form's security token is missing or wrong: reload the login page.")
        }
        let name = form["name"] ?? "", password = Array((form["password"] ?? "").utf8)
        let client = Self.clientAddress(request)
        let keys = ["client:" + client, "name:" + name.lowercased()]
        if let wait = limiter.retryAfter(keys) {
            context.log.warn("console login refused: too many failures", ["client": .string(client)])
            var response = loginForm(request, status: 429, message: "Too many failed logins: try again in \(wait) s.", name: String(name.prefix(64)))
            response.headers.set("Retry-After", String(wait))
            return response
        }
        // A name is logged only when it is an operator's: a password typed into the name field stays out of the log.
        let (valid, known): (Bool, Bool)
        do {
            (valid, known) = try await context.readers.read { db in
                guard (try? ConsoleOperators.checkName(name)) != nil else { return (false, false) }
                return (try ConsoleOperators.check(db, name: name, password: password), try ConsoleOperators.exists(db, name: name))
            }
        } catch {
            context.log.error("console login: cannot check the password", ["error": "\(error)"])
            return Self.html(503, ConsoleHTML.page("Unavailable", operatorName: nil, csrf: nil, "<p class=\"error\">The keeper's database cannot be read now.</p>"))
        }
        guard valid else {
            limiter.recordFailure(keys)
            context.log.warn("console login refused", ["client": .string(client), "operator": .string(known ? name : "(not an operator)")])
            return loginForm(request, status: 401, message: "Wrong operator name or password.", name: String(name.prefix(64)))
        }
        let issued: (session: ConsoleSessions.Session, cookie: String)
        do { issued = try sessions.issue(name: name) } catch {
            return Self.html(500, ConsoleHTML.page("Log in", operatorName: nil, csrf: nil, "<p class=\"error\">No randomness for a session.</p>"))
        }
        context.log.info("console login", ["operator": .string(name), "client": .string(client)])
        return Self.redirect("/console/claims", cookies: [
            Self.cookie(ConsoleSessions.cookieName, issued.cookie, maxAge: Int(sessions.lifetimeSeconds)),
            Self.cookie(ConsoleSessions.loginCookieName, "", path: "/console/login", maxAge: 0),
        ])
    }

    // MARK: Responses

    static func cookies(_ request: HTTPServerRequest) -> [String: String] {
        var found = [String: String]()
        for header in request.headers.values("Cookie") {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                let name = parts[0].trimmingCharacters(in: .whitespaces)
                if found[name] == nil { found[name] = parts[1].trimmingCharacters(in: .whitespaces) }
            }
        }
        return found
    }

    /// `Set-Cookie` for the console: HttpOnly, SameSite=Strict, scoped to `/console` (no `Secure`: the
    /// console is served over plain HTTP on loopback).
    static func cookie(_ name: String, _ value: String, path: String = "/console", maxAge: Int) -> String {
        "\(name)=\(value); Path=\(path); Max-Age=\(maxAge); HttpOnly; SameSite=Strict"
    }

    /// False when the browser names an `Origin` other than the host it sent the request to (a second
    /// line of defence behind SameSite cookies and CSRF tokens); requests without `Origin` pass. Pages
    /// are sent with `Referrer-Policy: same-origin`: under `no-referrer` a browser's own forms say `Origin: null`.
    static func sameOrigin(_ request: HTTPServerRequest) -> Bool {
        guard let origin = request.headers["Origin"] else { return true }
        guard let host = request.headers["Host"] else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    /// The client's address without its port.
    static func clientAddress(_ request: HTTPServerRequest) -> String {
        guard let peer = request.remoteAddress else { return "unknown" }
        if peer.hasPrefix("["), let end = peer.firstIndex(of: "]") { return String(peer[peer.index(after: peer.startIndex)..<end]) }
        return peer.lastIndex(of: ":").map { String(peer[..<$0]) } ?? peer
    }

    static func html(_ status: Int, _ page: String, cookies: [String] = []) -> HTTPServerResponse {
        var response = HTTPServerResponse.text(status, page, contentType: "text/html; charset=utf-8")
        for cookie in cookies { response.headers.add("Set-Cookie", cookie) }
        secure(&response)
        return response
    }

    static func redirect(_ location: String, cookies: [String] = []) -> HTTPServerResponse {
        var response = HTTPServerResponse(status: 303, headers: HTTPHeaders([("Location", location)]))
        for cookie in cookies { response.headers.add("Set-Cookie", cookie) }
        secure(&response)
        return response
    }

    static func forbidden(_ message: String) -> HTTPServerResponse {
        html(403, ConsoleHTML.page("Forbidden", operatorName: nil, csrf: nil,
                                   "<p class=\"error\" data-field=\"error\">\(ConsoleHTML.escape(message))</p><p><a href=\"/console/login\">Log in</a></p>"))
    }

    /// Nothing cached, nothing framed, nothing loaded from elsewhere.
    static func secure(_ response: inout HTTPServerResponse) {
        response.headers.set("Cache-Control", "no-store")
        response.headers.set("X-Content-Type-Options", "nosniff")
        response.headers.set("X-Frame-Options", "DENY")
        response.headers.set("Referrer-Policy", "same-origin")
        response.headers.set("Content-Security-Policy",
                             "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    }
}
