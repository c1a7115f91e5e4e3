import CCurl
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

/// An HTTP/1.1 client over libcurl, never blocking Swift's cooperative thread pool: `send` hands the
/// transfer to the process's one `curl_multi` thread (`CurlMultiDriver`), where any number run side by
/// side and idle connections are kept alive for reuse; `sendBlocking` runs it on the caller's thread.
/// Easy handles are pooled, and keep their own idle connections for `sendBlocking`.
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

    static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(options: Options = Options()) {
        _ = Self.globalInit
        self.options = options
    }

    /// Performs the request without blocking the caller's executor: the process's libcurl thread runs it.
    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        guard let driver = CurlMultiDriver.shared else { throw HTTPError(.transport, "libcurl could not create a multi handle") }
        let transfer = CurlTransfer(request, options: options, on: try checkOutHandle())
        let result: Result<HTTPResponse, HTTPError> = await withCheckedContinuation { continuation in
            driver.start(transfer) { code in
                let outcome = transfer.outcome(code)
                self.checkIn(transfer.handle)
                continuation.resume(returning: outcome)
            }
        }
        return try result.get()
    }

    /// Performs the request on the calling thread.
    public func sendBlocking(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let transfer = CurlTransfer(request, options: options, on: try checkOutHandle())
        defer { checkIn(transfer.handle) }
        return try transfer.outcome(curl_easy_perform(transfer.handle.curl)).get()
    }

    private func checkOutHandle() throws(HTTPError) -> EasyHandle {
        if let handle = idleHandles.withLock({ $0.popLast() }) { return handle }
        guard let handle = EasyHandle() else { throw HTTPError(.transport, "libcurl could not create a handle") }
        return handle
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
