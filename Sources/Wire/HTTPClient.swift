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

/// An HTTP/1.1 client over libcurl. Easy handles are pooled, so connections to the same host are
/// kept alive and reused between requests; blocking transfers run on a private dispatch queue,
/// never on Swift's cooperative thread pool.
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
    private let queue = DispatchQueue(label: "lg-keeper.http", attributes: .concurrent)

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(options: Options = Options()) {
        _ = Self.globalInit
        self.options = options
    }

    /// Performs the request without blocking the caller's executor.
    public func send(_ request: HTTPRequest) async throws(HTTPError) -> HTTPResponse {
        let result: Result<HTTPResponse, HTTPError> = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result { () throws(HTTPError) in try self.sendBlocking(request) })
            }
        }
        return try result.get()
    }

    /// Performs the request on the calling thread.
    public func sendBlocking(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let handle = try checkOutHandle()
        defer { checkIn(handle) }
        return try handle.perform(request, options: options)
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

/// One libcurl easy handle. Used by one transfer at a time (the pool hands it out exclusively).
private final class EasyHandle: @unchecked Sendable {
    let curl: UnsafeMutableRawPointer

    init?() {
        guard let curl = curl_easy_init() else { return nil }
        self.curl = curl
    }

    deinit { curl_easy_cleanup(curl) }

    func perform(_ request: HTTPRequest, options: HTTPClient.Options) throws(HTTPError) -> HTTPResponse {
        curl_easy_reset(curl)
        let sink = ResponseSink(limit: options.maximumResponseBytes)
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        for header in request.headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        // libcurl adds "Expect: 100-continue" to larger POSTs; JSON-RPC servers gain nothing from it.
        headerList = curl_slist_append(headerList, "Expect:")

        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        var body = request.body
        let code: CURLcode = body.withUnsafeMutableBytes { bodyBytes in
            CCurl_setopt_string(curl, CURLOPT_URL, request.url)
            CCurl_setopt_string(curl, CURLOPT_PROTOCOLS_STR, "http,https")
            CCurl_setopt_long(curl, CURLOPT_NOSIGNAL, 1)
            CCurl_setopt_long(curl, CURLOPT_CONNECTTIMEOUT_MS, options.connectTimeoutMilliseconds)
            CCurl_setopt_long(curl, CURLOPT_TIMEOUT_MS, options.totalTimeoutMilliseconds)
            CCurl_setopt_long(curl, CURLOPT_TCP_KEEPALIVE, 1)
            if let caFile = options.caFile { CCurl_setopt_string(curl, CURLOPT_CAINFO, caFile) }
            CCurl_setopt_slist(curl, CURLOPT_HTTPHEADER, headerList)
            CCurl_setopt_write_callback(curl, CURLOPT_WRITEFUNCTION, { data, size, count, context in
                guard let data, let context else { return 0 }
                return Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue().appendBody(data, size * count)
            })
            CCurl_setopt_pointer(curl, CURLOPT_WRITEDATA, sinkPointer)
            CCurl_setopt_write_callback(curl, CURLOPT_HEADERFUNCTION, { data, size, count, context in
                guard let data, let context else { return 0 }
                return Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue().appendHeader(data, size * count)
            })
            CCurl_setopt_pointer(curl, CURLOPT_HEADERDATA, sinkPointer)
            switch request.method {
            case .get:
                CCurl_setopt_long(curl, CURLOPT_HTTPGET, 1)
            case .post, .put, .delete:
                if request.method != .post { CCurl_setopt_string(curl, CURLOPT_CUSTOMREQUEST, request.method.rawValue) }
                CCurl_setopt_long(curl, CURLOPT_POST, 1)
                CCurl_setopt_off_t(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyBytes.count))
                CCurl_setopt_pointer(curl, CURLOPT_POSTFIELDS, bodyBytes.baseAddress ?? UnsafeMutableRawPointer(mutating: sinkPointer))
            }
            return curl_easy_perform(curl)
        }
        withExtendedLifetime(sink) {}
        guard code == CURLE_OK else {
            throw Self.error(for: code, url: request.url, overLimit: sink.overLimit, limit: options.maximumResponseBytes)
        }
        var status = 0
        CCurl_getinfo_long(curl, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
    }

    static func error(for code: CURLcode, url: String, overLimit: Bool, limit: Int) -> HTTPError {
        let host = HTTPClient.redactedHost(url)
        let reason = String(cString: curl_easy_strerror(code))
        let raw = Int(code.rawValue)
        switch code {
        case CURLE_WRITE_ERROR where overLimit:
            return HTTPError(.responseTooLarge, "answer from \(host) is larger than \(limit) bytes", curlCode: raw)
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT:
            return HTTPError(.invalidRequest, "cannot use URL for \(host): \(reason)", curlCode: raw)
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return HTTPError(.unresolvedHost, "cannot resolve \(host): check the host name", curlCode: raw)
        case CURLE_COULDNT_CONNECT:
            return HTTPError(.connectFailed, "cannot connect to \(host): \(reason)", curlCode: raw)
        case CURLE_OPERATION_TIMEDOUT:
            return HTTPError(.timeout, "request to \(host) timed out", curlCode: raw)
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
            return HTTPError(.connectionLost, "connection to \(host) broke: \(reason)", curlCode: raw)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM:
            return HTTPError(.tls, "TLS with \(host) failed: \(reason)", curlCode: raw)
        default:
            return HTTPError(.transport, "request to \(host) failed: \(reason)", curlCode: raw)
        }
    }
}

/// Collects a response's body and headers from libcurl's callbacks.
private final class ResponseSink {
    let limit: Int
    var body = [UInt8]()
    var headers = [String: String]()
    var overLimit = false

    init(limit: Int) { self.limit = limit }

    func appendBody(_ data: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        guard body.count + count <= limit else { overLimit = true; return 0 }
        data.withMemoryRebound(to: UInt8.self, capacity: count) {
            body.append(contentsOf: UnsafeBufferPointer(start: $0, count: count))
        }
        return count
    }

    func appendHeader(_ data: UnsafeMutablePointer<CChar>, _ count: Int) -> Int {
        let line = data.withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
        if line.hasPrefix("HTTP/") {
            headers.removeAll()  // a new response (after a redirect or 100-continue)
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            headers[name] = value
            // One allocation of the announced size: growing by doubling holds the old and the new
            // buffer at once (48 MB for a 25 MB eth_getLogs answer) and leaves up to twice the size reserved.
            if name == "content-length", let length = Int(value), length > body.capacity, length <= limit {
                body.reserveCapacity(length)
            }
        }
        return count
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
