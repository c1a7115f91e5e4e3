#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// An HTTP/1.1 server (DESIGN.md §8): POSIX sockets, one accept thread, one thread per
/// connection up to `maxConnections` (more are answered 503 and closed at once), the parser's
/// size limits, deadlines against slow clients, handlers run as Swift tasks.
///
/// Memory is bounded by `maxConnections × (maxHeaderBytes + maxBodyBytes + 4 KiB + a 512 KiB
/// thread stack)`, whatever the clients do.
public final class HTTPServer: Sendable {
    public struct Options: Sendable {
        public var listen: HTTPListenAddress
        public var limits: HTTPRequestParser.Limits
        /// Connections served at once; one more is answered 503 and closed.
        public var maxConnections: Int
        /// Time allowed for one request, head and body, from its first byte (408 after).
        public var requestTimeoutMs: Int
        /// Time a connection may sit without starting a request (closed silently after).
        public var idleTimeoutMs: Int
        /// Time allowed to write a response to a slow reader.
        public var writeTimeoutMs: Int
        /// Time a handler may take before the client gets 503.
        public var handlerTimeoutMs: Int
        /// Requests on one kept-alive connection before the server closes it.
        public var maxRequestsPerConnection: Int
        /// One line per request (at debug) or refusal; never headers or bodies.
        public var log: Logger
        /// Serve HTTPS with this certificate and key (nil: plain HTTP). The handshake must finish
        /// within `requestTimeoutMs`.
        public var tls: TLSIdentity?
        /// Requests per minute one client address may make (nil: no limit); over it, 429 with `Retry-After`.
        public var rateLimitPerMinute: Int?
        /// Cross-origin access for the listed origins (nil: no CORS headers, preflights reach the router).
        public var cors: HTTPCORSPolicy?
        /// How logs name this listener ("operations", "public").
        public var name: String

        public init(listen: HTTPListenAddress = .default, limits: HTTPRequestParser.Limits = .init(), maxConnections: Int = 64,
                    requestTimeoutMs: Int = 10_000, idleTimeoutMs: Int = 5_000, writeTimeoutMs: Int = 10_000,
                    handlerTimeoutMs: Int = 30_000, maxRequestsPerConnection: Int = 100,
                    log: Logger = .discarding, tls: TLSIdentity? = nil, rateLimitPerMinute: Int? = nil,
                    cors: HTTPCORSPolicy? = nil, name: String = "operations") {
            self.listen = listen
            self.limits = limits
            self.maxConnections = maxConnections
            self.requestTimeoutMs = requestTimeoutMs
            self.idleTimeoutMs = idleTimeoutMs
            self.writeTimeoutMs = writeTimeoutMs
            self.handlerTimeoutMs = handlerTimeoutMs
            self.maxRequestsPerConnection = maxRequestsPerConnection
            self.log = log
            self.tls = tls
            self.rateLimitPerMinute = rateLimitPerMinute
            self.cors = cors
            self.name = name
        }
    }

    enum Phase { case idle, running, stopping, stopped }

    struct State {
        var phase = Phase.idle
        var listener: Int32 = -1
        var port = 0
        var acceptorRunning = false
        /// The stop's grace period is over: handlers still running are abandoned.
        var cutOff = false
        var connections: [UInt64: Int32] = [:]
        var nextID: UInt64 = 0
    }

    public let options: Options
    let router: HTTPRouter
    let rateLimiter: HTTPRateLimiter?
    let state = Mutex(State())

    public init(router: HTTPRouter, options: Options = Options()) {
        self.router = router
        self.options = options
        self.rateLimiter = options.rateLimitPerMinute.map { HTTPRateLimiter(perMinute: $0) }
    }

    /// A server whose rate limiter reads `rateLimitClock` (milliseconds) instead of the monotonic clock.
    init(router: HTTPRouter, options: Options, rateLimitClock: @escaping @Sendable () -> Int64) {
        self.router = router
        self.options = options
        self.rateLimiter = options.rateLimitPerMinute.map { HTTPRateLimiter(perMinute: $0, clock: rateLimitClock) }
    }

    /// The bound port (the system's choice when `listen` asked for port 0); 0 before `start`.
    public var port: Int { state.withLock { $0.port } }

    /// Connections open now (served or lingering).
    var activeConnections: Int { state.withLock { $0.connections.count } }

    var isStopping: Bool { state.withLock { $0.phase != .running } }
    var isCutOff: Bool { state.withLock { $0.cutOff } }

    /// Binds, listens and starts accepting. Throws `.unavailable` if the address cannot be bound.
    public func start() throws(HTTPServerError) {
        guard state.withLock({ $0.phase == .idle }) else { throw HTTPServerError(.alreadyStarted, "the HTTP server was already started") }
        // A deep accept queue absorbs bursts while the accept thread hands out or refuses connections.
        let (fd, port) = try HTTPSocket.listen(options.listen, backlog: 1_024)
        state.withLock {
            $0.listener = fd
            $0.port = port
            $0.phase = .running
            $0.acceptorRunning = true
        }
        guard HTTPThread.start(stackSize: 256 << 10, { [self] in acceptLoop(fd) }) else {
            state.withLock { $0.phase = .stopped; $0.acceptorRunning = false }
            close(fd)
            throw HTTPServerError(.unavailable, "cannot start the HTTP accept thread")
        }
        log.info("http listening", ["listener": "\(options.name)", "address": "\(options.listen.family == .ipv6 ? "[\(options.listen.host)]" : options.listen.host):\(port)",
                                   "tls": .bool(options.tls != nil), "max_connections": .int(options.maxConnections)])
    }

    /// Graceful stop: stops accepting at once, lets requests in flight finish and idle
    /// connections close, and after `grace` cuts off whatever is left. Returns when all is closed.
    public func stop(grace: Duration = .seconds(5)) async {
        let wasRunning = state.withLock { s -> Bool in
            guard s.phase == .running else { return false }
            s.phase = .stopping
            return true
        }
        guard wasRunning else {
            while state.withLock({ $0.phase == .stopping }) { try? await Task.sleep(for: .milliseconds(10)) }
            return
        }
        let clock = ContinuousClock()
        let deadline = clock.now + grace
        while clock.now < deadline, state.withLock({ $0.acceptorRunning || !$0.connections.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let cutOff = state.withLock { s -> Int in
            s.cutOff = true
            for fd in s.connections.values { shutdown(fd, Int32(SHUT_RDWR)) }
            return s.connections.count
        }
        if cutOff > 0 { log.warn("http stop: connections cut off", ["cut_off": .int(cutOff)]) }
        let hardDeadline = clock.now + .seconds(2)
        while clock.now < hardDeadline, state.withLock({ $0.acceptorRunning || !$0.connections.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
        state.withLock { $0.phase = .stopped }
        log.info("http stopped")
    }

    /// The service-lifecycle shape: starts, serves until the task is cancelled, then stops gracefully.
    public func run(grace: Duration = .seconds(5)) async throws(HTTPServerError) {
        try start()
        while !Task.isCancelled, !isStopping {
            try? await Task.sleep(for: .milliseconds(100))
        }
        await stop(grace: grace)
    }

    // MARK: accepting

    private func acceptLoop(_ listener: Int32) {
        while !isStopping {
            guard let (fd, peer) = HTTPSocket.accept(listener, timeoutMs: 100) else { continue }
            let id = state.withLock { s -> UInt64? in
                guard s.phase == .running, s.connections.count < options.maxConnections else { return nil }
                s.nextID += 1
                s.connections[s.nextID] = fd
                return s.nextID
            }
            guard let id else { refuse(fd, peer: peer); continue }
            let connection = HTTPConnection(fd: fd, peer: peer, server: self)
            if !HTTPThread.start(stackSize: 512 << 10, { [self] in
                connection.run()
                finish(id)
            }) {
                state.withLock { $0.connections[id] = nil }
                refuse(fd, peer: peer)
            }
        }
        state.withLock { s in
            close(s.listener)
            s.listener = -1
            s.acceptorRunning = false
        }
    }

    /// Over the limit: a 503 if the socket takes it now, then close.
    private func refuse(_ fd: Int32, peer: String) {
        // A TLS client cannot read a plain answer: it only sees the connection close.
        if options.tls == nil {
            let response = HTTPServerResponse.error(503, code: "BUSY", "too many connections", hint: "retry shortly")
            HTTPSocket.writeNow(fd, response.serialized(keepAlive: false))
        }
        HTTPSocket.halfCloseAndDrain(fd, graceMs: 0)
        close(fd)
        log.warn("http refused", ["status": 503, "remote": "\(peer)", "reason": "connection limit"])
    }

    private func finish(_ id: UInt64) {
        state.withLock { s in
            if let fd = s.connections.removeValue(forKey: id) { close(fd) }
        }
    }

    var log: Logger { options.log }
}
