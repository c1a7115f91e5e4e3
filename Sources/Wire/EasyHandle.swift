import CCurl
import Foundation

/// One libcurl easy handle. Used by one transfer at a time (the client's pool hands it out exclusively).
final class EasyHandle: @unchecked Sendable {
    let curl: UnsafeMutableRawPointer
    /// Its client's connections; held so that the share outlives every handle attached to it.
    let connections: ConnectionCache

    init?(connections: ConnectionCache) {
        guard let curl = curl_easy_init() else { return nil }
        self.curl = curl
        self.connections = connections
    }

    deinit { curl_easy_cleanup(curl) }
}

/// One request set up on an easy handle for the multi driver. It owns what libcurl reads and writes
/// while the transfer runs — the body, the header list, the response sink — so they live as long as
/// this value, which the driver keeps until libcurl has reported the transfer done.
///
/// Unchecked `Sendable`: it is set up by the submitting thread, then used only by the thread that runs
/// the transfer (the driver receives it through a mutex), never by two threads at once.
final class CurlTransfer: @unchecked Sendable {
    let handle: EasyHandle
    private let url: String
    private let limit: Int
    private let sink: ResponseSink
    private let headerList: UnsafeMutablePointer<curl_slist>?
    /// A copy of the request body at a stable address (an `Array`'s is only promised inside
    /// `withUnsafeBytes`); never empty, so that POSTFIELDS is never NULL, which would read stdin.
    private let body: UnsafeMutableRawBufferPointer

    init(_ request: HTTPRequest, options: HTTPClient.Options, on handle: EasyHandle) {
        self.handle = handle
        url = request.url
        limit = options.maximumResponseBytes
        sink = ResponseSink(limit: options.maximumResponseBytes)

        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        for header in request.headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        // libcurl adds "Expect: 100-continue" to larger POSTs; JSON-RPC servers gain nothing from it.
        headerList = curl_slist_append(headerList, "Expect:")
        self.headerList = headerList

        body = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, request.body.count), alignment: 1)
        body.copyBytes(from: request.body)

        let curl = handle.curl
        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        curl_easy_reset(curl)
        CCurl_setopt_pointer(curl, CURLOPT_SHARE, handle.connections.share)
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
            CCurl_setopt_off_t(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            CCurl_setopt_pointer(curl, CURLOPT_POSTFIELDS, body.baseAddress)
        }
    }

    deinit {
        curl_slist_free_all(headerList)
        body.deallocate()
    }

    /// The response, or the error `code` stands for, once libcurl has finished the transfer with `code`.
    func outcome(_ code: CURLcode) -> Result<HTTPResponse, HTTPError> {
        guard code == CURLE_OK else {
            return .failure(Self.error(for: code, url: url, overLimit: sink.overLimit, limit: limit))
        }
        var status = 0
        CCurl_getinfo_long(handle.curl, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, headers: sink.headers, body: sink.body))
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
