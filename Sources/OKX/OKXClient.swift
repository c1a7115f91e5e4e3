import Foundation
import Wire

/// An OKX v5 REST client for one trader's key: signed requests [overview-rest-authentication],
/// OKX's rate limits per (user, endpoint) awaited rather than failed, bounded retries with
/// jittered backoff on transient failures, and errors mapped to the seed's classes.
///
/// Cheap to create per trader: share one `HTTPClient` (connection pool) and the process-wide
/// `OKXRateLimiter.shared` between clients.
public final class OKXClient: Sendable {
    /// Where and how to reach OKX.
    public struct Configuration: Sendable {
        /// Scheme and host only, e.g. `https://www.okx.com` (demo trading uses the same host).
        public var baseURL: String
        /// Demo trading: sends `x-simulated-trading: 1`.
        public var simulated: Bool
        public var connectTimeoutMilliseconds: Int
        /// The whole exchange, per attempt.
        public var requestTimeoutMilliseconds: Int
        public var retry: OKXRetryPolicy

        public init(baseURL: String = "https://www.okx.com", simulated: Bool = false,
                    connectTimeoutMilliseconds: Int = 3_000, requestTimeoutMilliseconds: Int = 10_000,
                    retry: OKXRetryPolicy = OKXRetryPolicy()) {
            self.baseURL = baseURL
            self.simulated = simulated
            self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
            self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
            self.retry = retry
        }

        /// Options for an `HTTPClient` shared by clients with this configuration.
        public var httpOptions: HTTPClient.Options {
            HTTPClient.Options(connectTimeoutMilliseconds: connectTimeoutMilliseconds,
                               totalTimeoutMilliseconds: requestTimeoutMilliseconds,
                               maximumResponseBytes: 16 << 20)
        }
    }

    public let configuration: Configuration
    /// Identifies the key in logs and metrics without revealing it.
    public let keyFingerprint: String
    let credentials: OKXCredentials
    private let signer: OKXSigner
    private let http: HTTPClient
    private let rateLimiter: OKXRateLimiter
    let clock: @Sendable () -> Date
    private let clockOffset: OKXClockOffset
    private let observer: (@Sendable (OKXRequestRecord) -> Void)?
    /// Where public reference data is kept between clients; nil reads it afresh every time.
    let publicCache: OKXPublicCache?

    /// - Parameters:
    ///   - http: defaults to a new client with `configuration.httpOptions`.
    ///   - clock: this host's time, for `OK-ACCESS-TIMESTAMP` and `fetchedAt` (injectable for tests).
    ///   - clockOffset: OKX's time minus this host's per host, measured after a 50102 and shared.
    ///   - observer: told about every HTTP attempt, for metrics (and the clock skew measured after a 50102).
    public init(credentials: OKXCredentials, configuration: Configuration = Configuration(),
                http: HTTPClient? = nil, rateLimiter: OKXRateLimiter = .shared,
                clock: @escaping @Sendable () -> Date = { Date() }, clockOffset: OKXClockOffset = .shared,
                observer: (@Sendable (OKXRequestRecord) -> Void)? = nil, publicCache: OKXPublicCache? = nil) {
        var configuration = configuration
        while configuration.baseURL.hasSuffix("/") { configuration.baseURL.removeLast() }
        self.configuration = configuration
        self.credentials = credentials
        self.keyFingerprint = credentials.fingerprint
        self.signer = OKXSigner(secretKey: credentials.secretKey)
        self.http = http ?? HTTPClient(options: configuration.httpOptions)
        self.rateLimiter = rateLimiter
        self.clock = clock
        self.clockOffset = clockOffset
        self.observer = observer
        self.publicCache = publicCache
    }

    /// Performs one GET with limits and retries; returns the successful answer as received.
    /// `query` is sent (and signed) in the given order.
    func get(_ endpoint: OKXEndpoint, _ query: [(name: String, value: String)]) async throws(OKXError) -> RawExchangeResponse {
        let requestPath = endpoint.path + Self.queryString(query)
        let parameters = Dictionary(query.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        if endpoint.isPrivate, !credentials.isWellFormed {
            throw OKXError(code: .authError, okxCode: nil, httpStatus: nil,
                           msg: "the API key, secret key or passphrase is empty or contains control characters",
                           hint: "Register the key again: copy the API key, secret key and passphrase exactly as OKX shows them.",
                           endpoint: endpoint.path, attempts: 0)
        }
        let key = limiterKey(endpoint, parameters)
        var waited = Duration.zero
        var attempt = 0
        while true {
            attempt += 1
            do { waited += try await rateLimiter.acquire(key, limit: endpoint.limit) } catch {
                throw OKXError.cancelled(endpoint: endpoint.path).after(attempts: attempt - 1)
            }
            switch await exchange(endpoint, requestPath: requestPath, parameters: parameters) {
            case .answered(let status, let body, let json, let fetchedAt, let rtt):
                return RawExchangeResponse(endpoint: endpoint.path, requestPath: requestPath, status: status, body: body,
                                           json: json, fetchedAt: fetchedAt, rttMs: Self.milliseconds(rtt),
                                           attempts: attempt, waitedMs: Self.milliseconds(waited))
            case .failed(var error, let retryAfterSeconds):
                // 50102 is this host's clock, not the key: measure OKX's, and retry at once corrected.
                var corrected = false
                if error.isClockProblem {
                    if let failure = await correctClock() { error = error.noting(failure) } else { corrected = true }
                }
                guard error.isRetryable, attempt < configuration.retry.maximumAttempts else {
                    throw error.after(attempts: attempt)
                }
                // OKX counts a limit over its window as requests arrive: requests sent apart but delayed on the
                // way arrive bunched, and a retry within the same window meets the same count. A rate-limited
                // attempt therefore waits the endpoint's window out before the next (and the limiter again).
                let floor = error.code == .rateLimit ? Self.milliseconds(endpoint.limit.window) : 0
                let delay = corrected ? 0
                    : max(floor, configuration.retry.delayMilliseconds(afterAttempt: attempt, retryAfterSeconds: retryAfterSeconds))
                do { try await Task.sleep(for: .milliseconds(delay)) } catch {
                    throw OKXError.cancelled(endpoint: endpoint.path).after(attempts: attempt)
                }
                waited += .milliseconds(delay)
            }
        }
    }

    private enum Attempt {
        case answered(status: Int, body: [UInt8], json: JSON, fetchedAt: Date, rtt: Duration)
        case failed(OKXError, retryAfterSeconds: Int?)
    }

    /// One signed HTTP exchange, classified.
    private func exchange(_ endpoint: OKXEndpoint, requestPath: String, parameters: [String: String]) async -> Attempt {
        var headers: [(name: String, value: String)] = [("Accept", "application/json"), ("Content-Type", "application/json")]
        if endpoint.isPrivate {
            let offset = clockOffset.milliseconds(for: configuration.baseURL)
            let timestamp = OKXSigner.timestamp(for: clock().addingTimeInterval(Double(offset) / 1000))
            headers += [("OK-ACCESS-KEY", credentials.apiKey),
                        ("OK-ACCESS-SIGN", signer.signature(timestamp: timestamp, method: "GET", requestPath: requestPath)),
                        ("OK-ACCESS-TIMESTAMP", timestamp),
                        ("OK-ACCESS-PASSPHRASE", credentials.passphrase)]
        }
        if configuration.simulated { headers.append(("x-simulated-trading", "1")) }

        let started = ContinuousClock.now
        let response: HTTPResponse
        do {
            response = try await http.send(HTTPRequest(method: .get, url: configuration.baseURL + requestPath, headers: headers))
        } catch {
            observe(endpoint, outcome: error.code == .timeout ? "timeout" : "transport", status: nil, since: started)
            return .failed(.transport(error, endpoint: endpoint.path), retryAfterSeconds: nil)
        }
        let rtt = ContinuousClock.now - started
        let json = try? JSON(parsing: response.body)
        let okxCode: String? = switch json?["code"] {
        case .string(let code)?: code
        case .number(let code)?: code
        default: nil
        }
        observe(endpoint, outcome: okxCode ?? "http_\(response.status)", status: response.status, since: started)

        if response.status == 200, okxCode == "0", let json {
            guard json["data"]?.arrayValue != nil else {
                return .failed(.malformed("the envelope has no data array", status: 200, endpoint: endpoint.path), retryAfterSeconds: nil)
            }
            return .answered(status: 200, body: response.body, json: json, fetchedAt: clock(), rtt: rtt)
        }
        if response.status == 200, okxCode == nil {
            let reason = json == nil ? "the body is not JSON" : "the body has no OKX code"
            return .failed(.malformed(reason, status: 200, endpoint: endpoint.path), retryAfterSeconds: nil)
        }
        let message = scrubbed(json?["msg"]?.stringValue ?? "")
        let error = OKXError.answer(status: response.status, okxCode: okxCode, msg: message,
                                    endpoint: endpoint.path, request: parameters)
        return .failed(error, retryAfterSeconds: response.headers["retry-after"].flatMap { Int($0) })
    }

    /// This host's time corrected by the measured offset to OKX's: "now" for OKX's retention windows.
    func clockNow() -> Date {
        clock().addingTimeInterval(Double(clockOffset.milliseconds(for: configuration.baseURL)) / 1000)
    }

    /// Measures OKX's clock against this host's with `GET /api/v5/public/time` (at the midpoint of
    /// the round trip), stores the offset for this host and reports it to the observer. Returns why
    /// the measurement failed, or nil.
    private func correctClock() async -> String? {
        let endpoint = OKXEndpoint.time
        do { _ = try await rateLimiter.acquire(limiterKey(endpoint, [:]), limit: endpoint.limit) } catch {
            return "cancelled before OKX's clock could be measured"
        }
        let before = clock()
        let started = ContinuousClock.now
        let response: HTTPResponse
        do {
            response = try await http.send(HTTPRequest(method: .get, url: configuration.baseURL + endpoint.path,
                                                       headers: [("Accept", "application/json")]))
        } catch {
            observe(endpoint, outcome: error.code == .timeout ? "timeout" : "transport", status: nil, since: started)
            return "measuring OKX's clock failed: \(error.message)"
        }
        let after = clock()
        let serverTime: Int64?
        do {
            serverTime = try JSON(parsing: response.body)["data"]?[0]?["ts"]?.stringValue.flatMap { Int64($0) }
        } catch {
            serverTime = nil
        }
        // A time outside 1970…5138 is no answer (and would overflow the arithmetic below).
        guard response.status == 200, let serverTime, (0..<100_000_000_000_000).contains(serverTime) else {
            observe(endpoint, outcome: "http_\(response.status)", status: response.status, since: started)
            return "measuring OKX's clock failed: public/time answered HTTP \(response.status) without a time"
        }
        let midpoint = (before.timeIntervalSince1970 + after.timeIntervalSince1970) * 500
        let skew = serverTime - Int64(midpoint.rounded())
        clockOffset.set(skew, for: configuration.baseURL)
        observe(endpoint, outcome: "0", status: 200, since: started, clockSkew: skew)
        return nil
    }

    /// The rate limiter's key for a request, per OKX's scope for the endpoint.
    private func limiterKey(_ endpoint: OKXEndpoint, _ parameters: [String: String]) -> OKXRateLimiter.Key {
        let user = credentials.uid.map { "uid:\($0)" } ?? "key:\(keyFingerprint)"
        let subject = switch endpoint.limit.scope {
        case .ip: "ip"
        case .ipAndInstrumentType: "ip|\(parameters["instType"] ?? "")"
        case .user: user
        case .userAndInstrument: "\(user)|\(parameters["instId"] ?? "")"
        }
        return OKXRateLimiter.Key(subject: subject, endpoint: endpoint.path)
    }

    /// An exchange's message with any of this key's credential strings removed.
    private func scrubbed(_ message: String) -> String {
        credentials.secrets.filter { $0.count >= 4 }.reduce(message) { $0.replacingOccurrences(of: $1, with: "[redacted]") }
    }

    private func observe(_ endpoint: OKXEndpoint, outcome: String, status: Int?, since started: ContinuousClock.Instant,
                         clockSkew: Int64? = nil) {
        observer?(OKXRequestRecord(endpoint: endpoint.path, outcome: outcome, httpStatus: status,
                                   duration: ContinuousClock.now - started, baseURL: configuration.baseURL,
                                   clockSkewMilliseconds: clockSkew))
    }

    /// `?a=1&b=2` with values percent-encoded (RFC 3986 unreserved characters kept), or "".
    static func queryString(_ query: [(name: String, value: String)]) -> String {
        guard !query.isEmpty else { return "" }
        return "?" + query.map { "\(percentEncoded($0.name))=\(percentEncoded($0.value))" }.joined(separator: "&")
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}

/// What the client observed about one HTTP attempt, for metrics (no credentials, no query).
public struct OKXRequestRecord: Sendable {
    /// The endpoint's path.
    public let endpoint: String
    /// OKX's code (`"0"`, `"50011"`), `http_503` for an answer without one, `timeout` or `transport`.
    public let outcome: String
    public let httpStatus: Int?
    public let duration: Duration
    /// The host asked, e.g. `https://www.okx.com`.
    public let baseURL: String
    /// Set on the `public/time` request the client made after a 50102: OKX's clock minus this
    /// host's in milliseconds (positive: this host is behind), for the `okx_clock_skew` alert.
    public let clockSkewMilliseconds: Int64?

    public init(endpoint: String, outcome: String, httpStatus: Int?, duration: Duration, baseURL: String = "",
                clockSkewMilliseconds: Int64? = nil) {
        self.endpoint = endpoint
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.duration = duration
        self.baseURL = baseURL
        self.clockSkewMilliseconds = clockSkewMilliseconds
    }
}
