import Dispatch
import Logging
import Synchronization

/// One client connection, served on its own thread: read a request within the deadlines, route
/// it, write the answer, and repeat while the client keeps the connection alive.
struct HTTPConnection: Sendable {
    let fd: Int32
    let peer: String
    let server: HTTPServer

    private var options: HTTPServer.Options { server.options }

    private enum Read { case more, timedOut, gone }

    func run() {
        guard let transport = HTTPTransport(fd: fd, identity: options.tls) else {
            server.log.warn("http refused", ["remote": "\(peer)", "reason": "cannot start a TLS session"])
            return
        }
        // The handshake counts against the request deadline: a client that connects and stays silent,
        // or speaks plain HTTP to a TLS port, is closed without an answer.
        guard transport.handshake(deadline: HTTPSocket.monotonicMilliseconds() + Int64(options.requestTimeoutMs), stopping: { server.isStopping }) else {
            server.log.debug("http refused", ["remote": "\(peer)", "reason": "no TLS handshake"])
            transport.halfCloseAndDrain(graceMs: 0)
            return
        }
        serve(transport)
    }

    private func serve(_ transport: HTTPTransport) {
        // Room for the largest head and body the limits allow, plus one read of slack.
        let capacity = options.limits.maxHeaderBytes + options.limits.maxBodyBytes + 4_096
        var buffer = [UInt8]()
        var served = 0
        while true {
            if buffer.isEmpty {
                guard awaitRequest(transport, &buffer, capacity: capacity) else {
                    transport.halfCloseAndDrain(graceMs: 0)
                    return
                }
            }
            let started = HTTPSocket.monotonicMilliseconds()
            let deadline = started + Int64(options.requestTimeoutMs)

            // One scanner per request: it resumes where the last read's scan stopped.
            var scanner = HTTPRequestParser.HeadScanner(limits: options.limits)
            var parsedHead: HTTPRequestParser.Head?
            while parsedHead == nil {
                switch scanner.parseHead(buffer) {
                case .head(let head):
                    parsedHead = head
                case .rejected(let rejection):
                    return refuse(transport, rejection)
                case .incomplete:
                    switch readMore(transport, &buffer, capacity: capacity, deadline: deadline) {
                    case .more: continue
                    case .timedOut: return refuse(transport, .init(408, "the request was not received in time"))
                    case .gone: return
                    }
                }
            }
            guard let head = parsedHead else { return }
            let end = head.length + head.contentLength
            if buffer.count < end, head.expectsContinue {
                guard transport.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8), deadline: deadline) else { return }
            }
            while buffer.count < end {
                switch readMore(transport, &buffer, capacity: capacity, deadline: deadline) {
                case .more: continue
                case .timedOut: return refuse(transport, .init(408, "the request body was not received in time"))
                case .gone: return
                }
            }
            let request = HTTPServerRequest(method: head.method, target: head.target, version: head.version,
                                            headers: head.headers, body: Array(buffer[head.length..<end]), remoteAddress: peer)
            buffer.removeFirst(end)
            served += 1

            let response = respond(to: request)
            let keepAlive = request.keepAlive && served < options.maxRequestsPerConnection && !server.isStopping
            let bytes = response.serialized(keepAlive: keepAlive, omitBody: request.method == .head)
            let written = transport.write(bytes, deadline: HTTPSocket.monotonicMilliseconds() + Int64(options.writeTimeoutMs))
            let elapsed = HTTPSocket.monotonicMilliseconds() - started
            server.log.debug("http request", ["method": "\(request.method.rawValue)", "path": "\(request.path.prefix(128))", "status": .int(response.status), "ms": .int(elapsed), "remote": "\(peer)"])
            guard written else { return }
            guard keepAlive else {
                transport.halfCloseAndDrain(graceMs: 200)
                return
            }
        }
    }

    /// Waits for the first byte of the next request; false when the client is idle too long,
    /// leaves, or the server is stopping.
    private func awaitRequest(_ transport: HTTPTransport, _ buffer: inout [UInt8], capacity: Int) -> Bool {
        let deadline = HTTPSocket.monotonicMilliseconds() + Int64(options.idleTimeoutMs)
        while !server.isStopping {
            let left = deadline - HTTPSocket.monotonicMilliseconds()
            guard left > 0 else { return false }
            switch transport.read(into: &buffer, maximum: min(4_096, capacity), timeoutMs: Int32(min(left, 100))) {
            case .bytes: if !buffer.isEmpty { return true }
            case .timedOut: continue
            case .closed, .failed: return false
            }
        }
        return false
    }

    private func readMore(_ transport: HTTPTransport, _ buffer: inout [UInt8], capacity: Int, deadline: Int64) -> Read {
        let room = capacity - buffer.count
        guard room > 0 else { return .gone }  // cannot happen: the parser refuses first
        let left = deadline - HTTPSocket.monotonicMilliseconds()
        guard left > 0 else { return .timedOut }
        switch transport.read(into: &buffer, maximum: min(4_096, room), timeoutMs: Int32(min(left, 1_000))) {
        case .bytes, .timedOut: return .more
        case .closed, .failed: return .gone
        }
    }

    /// Answers a request the server will not read further, then closes.
    private func refuse(_ transport: HTTPTransport, _ rejection: HTTPRequestParser.Rejection) {
        let response = HTTPServerResponse.error(rejection.status, code: Self.code(rejection.status), rejection.reason)
        _ = transport.write(response.serialized(keepAlive: false), deadline: HTTPSocket.monotonicMilliseconds() + 1_000)
        server.log.debug("http refused", ["status": .int(rejection.status), "remote": "\(peer)", "reason": "\(rejection.reason)"])
        transport.halfCloseAndDrain(graceMs: 1_000)
    }

    /// Runs the router in a task and waits for it on this (non-cooperative) thread. The task runs on
    /// the handlers' own executor: a cooperative pool kept busy elsewhere in the process (a service's
    /// loop; blocking work) cannot starve the server's answers, nor they the loop.
    private func respond(to request: HTTPServerRequest) -> HTTPServerResponse {
        if let limiter = server.rateLimiter, let wait = limiter.take(HTTPRateLimiter.client(of: peer)) {
            server.log.debug("http refused", ["status": 429, "remote": "\(peer)", "reason": "rate limit"])
            let response = HTTPServerResponse.error(429, code: "RATE_LIMITED", "more than \(limiter.perMinute) requests a minute from this address",
                                                    hint: "retry after \(wait) s", headers: HTTPHeaders([("Retry-After", String(wait))]))
            return options.cors.map { $0.decorate(response, for: request) } ?? response
        }
        guard let cors = options.cors else { return route(request) }
        return cors.preflight(request) ?? cors.decorate(route(request), for: request)
    }

    private func route(_ request: HTTPServerRequest) -> HTTPServerResponse {
        let slot = ResponseSlot()
        let router = server.router
        let task = Task(executorPreference: HandlerExecutor.shared) {
            slot.fill(await router.respond(to: request))
        }
        let deadline = HTTPSocket.monotonicMilliseconds() + Int64(options.handlerTimeoutMs)
        while !slot.wait(milliseconds: 50) {
            if server.isCutOff || HTTPSocket.monotonicMilliseconds() >= deadline {
                task.cancel()
                return .error(503, code: "TIMEOUT", "the handler did not answer in time", hint: "retry later")
            }
        }
        return slot.response ?? .error(500, code: "INTERNAL", "the handler gave no answer")
    }

    static func code(_ status: Int) -> String {
        switch status {
        case 400: "BAD_REQUEST"
        case 408: "REQUEST_TIMEOUT"
        case 411: "LENGTH_REQUIRED"
        case 413: "BODY_TOO_LARGE"
        case 414: "URI_TOO_LONG"
        case 417: "EXPECTATION_FAILED"
        case 431: "HEADERS_TOO_LARGE"
        case 505: "VERSION_NOT_SUPPORTED"
        default: "HTTP_\(status)"
        }
    }
}

/// Where request handlers run: a concurrent dispatch queue, whose threads are not the cooperative
/// pool's (that pool has one thread per core, so two blocked threads stall it on a 2-core machine).
final class HandlerExecutor: TaskExecutor {
    static let shared = HandlerExecutor()
    private let queue = DispatchQueue(label: "lg-keeper.http.handlers", attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}

/// Hands a handler's response from its task to the connection thread.
private final class ResponseSlot: Sendable {
    private let value = Mutex<HTTPServerResponse?>(nil)
    private let done = DispatchSemaphore(value: 0)

    func fill(_ response: HTTPServerResponse) {
        value.withLock { $0 = response }
        done.signal()
    }

    func wait(milliseconds: Int) -> Bool { done.wait(timeout: .now() + .milliseconds(milliseconds)) == .success }

    var response: HTTPServerResponse? { value.withLock { $0 } }
}
