/// A request as the server received it. Named apart from Wire's client-side `HTTPRequest`, which
/// a caller may import too.
public struct HTTPServerRequest: Sendable {
    public var method: HTTPMethod
    /// The request target as sent (origin form: path and optional query).
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The peer, as "address:port", filled in by the server (nil in parser output).
    public var remoteAddress: String?

    public init(method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = HTTPHeaders(),
                body: [UInt8] = [], remoteAddress: String? = nil) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// The target without its query.
    public var path: Substring {
        target.firstIndex(of: "?").map { target[..<$0] } ?? target[...]
    }

    /// The query after `?`, if any.
    public var query: Substring? {
        target.firstIndex(of: "?").map { target[target.index(after: $0)...] }
    }

    /// The media type of `Content-Type`, lowercased and without parameters (`application/json`
    /// for `Application/JSON; charset=utf-8`); nil when the header is absent.
    public var mediaType: String? {
        headers["Content-Type"].map { String(($0.split(separator: ";", omittingEmptySubsequences: false).first ?? "")[...].trimmingWhitespace()).lowercased() }
    }

    /// True when the client asked to keep the connection open: HTTP/1.1 unless `Connection: close`,
    /// HTTP/1.0 only with `Connection: keep-alive` (RFC 9112 §9.3).
    var keepAlive: Bool {
        let tokens = headers.values("Connection").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingWhitespace().lowercased() }
        if tokens.contains("close") { return false }
        return version == .http1_1 || tokens.contains("keep-alive")
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return s
    }
}
