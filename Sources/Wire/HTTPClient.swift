import CCurl
import Dispatch
import Foundation
import Synchronization

public struct HTTPRequest: Sendable {
    public enum Method: String, Sendable { case get = "GET", post = "POST", put = "PUT", delete = "DELETE" }

    public var method: Method
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: Method, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

public struct HTTPResponse: Sendable {
    public let status: Int
    /// Header names in lowercase; a repeated header keeps its last value.
    public let headers: [String: String]
    public let body: [UInt8]
}

/// An HTTP/1.1 client over libcurl, never blocking Swift's cooperative thread pool: transfers run on
/// the process's one `curl_multi` thread (`CurlMultiDriver`), any number side by side. Easy handles
/// are pooled, and each client keeps its own idle connections alive for reuse (`ConnectionCache`).
public final class HTTPClient: Sendable {
    public struct Options: Sendable {
        /// Time allowed to establish the TCP (and TLS) connection.
        public var connectTimeoutMilliseconds: Int
        /// Time allowed for the whole exchange, connect included.
        public var totalTimeoutMilliseconds: Int
        /// Answers larger than this are abandoned with `.responseTooLarge`.
        public var maximumResponseBytes: Int
        /// Idle handles kept for reuse.
        public var poolSize: Int
        /// A PEM file of the certificates to trust for HTTPS instead of the system's (nil: the system's).
        public var caFile: String?

        public init(connectTimeoutMilliseconds: Int = 3_000, totalTimeoutMilliseconds: Int = 15_000,
                    maximumResponseBytes: Int = 64 << 20, poolSize: Int = 8, caFile: String? = nil) {
            self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
            self.totalTimeoutMilliseconds = totalTimeoutMilliseconds
            self.maximumResponseBytes = maximumResponseBytes
            self.poolSize = poolSize
            self.caFile = caFile
        }
    }

    public let options: Options
    private let idleHandles = Mutex<[EasyHandle]>([])
    /// Nil only if libcurl could not create the share (out of memory); every request then fails.
    private let connections = ConnectionCache()

    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(options: Options = Options()) {
        _ = Self.globalInit
        self.options = options
    }

    /// Performs the request without blocking the caller's executor.
    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let transfer = try prepare(request)
        let result: Result<HTTPResponse, HTTPError> = await withCheckedContinuation { continuation in
            start(transfer) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Performs the request and waits for it on the calling thread, which must not be Swift's
    /// cooperative pool. The transfer itself runs on the driver's thread like any other: a client's
    /// connections may be used by one thread only (see `ConnectionCache`).
    public func sendBlocking(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let transfer = try prepare(request)
        let finished = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<HTTPResponse, HTTPError>>(.failure(HTTPError(.transport, "the transfer never ended")))
        start(transfer) { result in
            outcome.withLock { $0 = result }
            finished.signal()
        }
        finished.wait()
        return try outcome.withLock { $0 }.get()
    }

    private func prepare(_ request: HTTPRequest) throws(HTTPError) -> CurlTransfer {
        guard let connections else { throw HTTPError(.transport, "libcurl could not create a connection cache") }
        let handle: EasyHandle
        if let idle = idleHandles.withLock({ $0.popLast() }) {
            handle = idle
        } else if let new = EasyHandle(connections: connections) {
            handle = new
        } else {
            throw HTTPError(.transport, "libcurl could not create a handle")
        }
        return CurlTransfer(request, options: options, on: handle)
    }

    /// Hands `transfer` to the driver; `completion` runs on the driver's thread once its handle is free.
    private func start(_ transfer: CurlTransfer, completion: @escaping @Sendable (Result<HTTPResponse, HTTPError>) -> Void) {
        guard let driver = CurlMultiDriver.shared else {
            checkIn(transfer.handle)
            return completion(.failure(HTTPError(.transport, "libcurl could not create a multi handle")))
        }
        driver.start(transfer) { code in
            let outcome = transfer.outcome(code)
            self.checkIn(transfer.handle)
            completion(outcome)
        }
    }

    private func checkIn(_ handle: EasyHandle) {
        idleHandles.withLock { pool in
            if pool.count < options.poolSize { pool.append(handle) }
        }
    }
}

extension HTTPClient {
    /// Scheme, host and port only: URLs can carry API keys in their path or query.
    public static func redactedHost(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return "the endpoint" }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@").last.map(String.init) ?? String(authority)
        return String(url[..<schemeEnd.upperBound]) + hostPort
    }
}
