/// HTTP/1.1 request parsing (RFC 9112) as a pure function over the bytes received so far: no I/O,
/// no state between calls, so that it can be unit-tested and fuzzed on its own.
///
/// Strict by design: lines end in CRLF (a bare CR or LF is refused), no obs-fold, no whitespace
/// before a header's colon, origin-form targets only, exactly one `Host` on HTTP/1.1, at most one
/// `Content-Length` (digits only). Request bodies must carry `Content-Length`: any
/// `Transfer-Encoding` is answered 411 (with `Content-Length` as well, 400 — the smuggling case).
/// Garbage is refused as soon as a byte shows it, not when a line ends.
public struct HTTPRequestParser: Sendable {
    public struct Limits: Sendable, Equatable {
        /// The request line, CRLF included (414 beyond).
        public var maxRequestLineBytes: Int
        /// The whole head: request line, header fields and the blank line (431 beyond).
        public var maxHeaderBytes: Int
        /// Header fields (431 beyond).
        public var maxHeaderCount: Int
        /// The body, judged from `Content-Length` before any of it is read (413 beyond).
        public var maxBodyBytes: Int

        public init(maxRequestLineBytes: Int = 4_096, maxHeaderBytes: Int = 8_192, maxHeaderCount: Int = 64,
                    maxBodyBytes: Int = 64 << 10) {
            self.maxRequestLineBytes = maxRequestLineBytes
            self.maxHeaderBytes = maxHeaderBytes
            self.maxHeaderCount = maxHeaderCount
            self.maxBodyBytes = maxBodyBytes
        }
    }

    /// Why a request was refused: the status to answer with and a reason safe to show the client.
    public struct Rejection: Sendable, Equatable, CustomStringConvertible {
        public let status: Int
        public let reason: String
        public init(_ status: Int, _ reason: String) { self.status = status; self.reason = reason }
        public var description: String { "\(status) \(reason)" }
    }

    /// A complete request head.
    public struct Head: Sendable {
        public let method: HTTPMethod
        public let target: String
        public let version: HTTPVersion
        public let headers: HTTPHeaders
        /// The declared body length (0 when absent), already checked against the limit.
        public let contentLength: Int
        /// `Expect: 100-continue` was sent: the client waits for an interim 100 before the body.
        public let expectsContinue: Bool
        /// Bytes the head occupies, from the start of the buffer through the blank line.
        public let length: Int
    }

    public enum HeadResult: Sendable {
        case incomplete
        case head(Head)
        case rejected(Rejection)
    }

    public enum Result: Sendable {
        case incomplete
        /// A whole request and the number of bytes it used; bytes after it belong to the next one.
        case request(HTTPServerRequest, consumed: Int)
        case rejected(Rejection)
    }

    public let limits: Limits

    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Parses one request from the start of `bytes`.
    public func parse(_ bytes: [UInt8]) -> Result {
        switch parseHead(bytes) {
        case .incomplete: return .incomplete
        case .rejected(let rejection): return .rejected(rejection)
        case .head(let head):
            let end = head.length + head.contentLength
            guard bytes.count >= end else { return .incomplete }
            let request = HTTPServerRequest(method: head.method, target: head.target, version: head.version,
                                            headers: head.headers, body: Array(bytes[head.length..<end]))
            return .request(request, consumed: end)
        }
    }

    /// Parses the head of one request from the start of `bytes`, ignoring anything after it.
    public func parseHead(_ bytes: [UInt8]) -> HeadResult {
        var scanner = Scanner(bytes: bytes, limits: limits)
        do throws(Rejection) {
            guard let line = try scanner.requestLine() else { return incomplete(bytes) }
            var headers = HTTPHeaders()
            while true {
                guard let field = try scanner.headerField() else { return incomplete(bytes) }
                guard let field = field else { break }  // the blank line
                guard headers.fields.count < limits.maxHeaderCount else {
                    throw Rejection(431, "more than \(limits.maxHeaderCount) header fields")
                }
                headers.add(field.name, field.value)
            }
            guard scanner.position <= limits.maxHeaderBytes else { throw Rejection(431, "the request head exceeds \(limits.maxHeaderBytes) bytes") }
            return .head(try Self.head(line: line, headers: headers, length: scanner.position, limits: limits))
        } catch {
            return .rejected(error)
        }
    }

    /// An unfinished head may not grow past the limit: everything buffered so far belongs to it.
    private func incomplete(_ bytes: [UInt8]) -> HeadResult {
        bytes.count > limits.maxHeaderBytes ? .rejected(Rejection(431, "the request head exceeds \(limits.maxHeaderBytes) bytes")) : .incomplete
    }

    /// The checks that need the whole head: Host, framing, Expect.
    private static func head(line: (HTTPMethod, String, HTTPVersion), headers: HTTPHeaders, length: Int, limits: Limits) throws(Rejection) -> Head {
        let hosts = headers.values("Host")
        if hosts.count > 1 || (line.2 == .http1_1 && hosts.isEmpty) {
            throw Rejection(400, "HTTP/1.1 requests need exactly one Host header")
        }
        let lengths = headers.values("Content-Length")
        if headers.contains("Transfer-Encoding") {
            if !lengths.isEmpty { throw Rejection(400, "Transfer-Encoding and Content-Length together") }
            throw Rejection(411, "chunked or encoded request bodies are not accepted: send Content-Length")
        }
        guard lengths.count <= 1 else { throw Rejection(400, "more than one Content-Length") }
        var contentLength = 0
        if let text = lengths.first {
            guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                throw Rejection(400, "Content-Length must be a decimal number")
            }
            guard text.utf8.count <= 15, let value = Int(text), value <= limits.maxBodyBytes else {
                throw Rejection(413, "the body exceeds \(limits.maxBodyBytes) bytes")
            }
            contentLength = value
        }
        var expectsContinue = false
        if let expect = headers["Expect"] {
            guard expect.lowercased() == "100-continue" else { throw Rejection(417, "only Expect: 100-continue is understood") }
            expectsContinue = true
        }
        return Head(method: line.0, target: line.1, version: line.2, headers: headers, contentLength: contentLength,
                    expectsContinue: expectsContinue, length: length)
    }
}

extension HTTPRequestParser.Rejection: Error {}

/// Walks the buffer; each method returns nil when the bytes end before its element does.
private struct Scanner {
    let bytes: [UInt8]
    let limits: HTTPRequestParser.Limits
    var position = 0

    typealias Rejection = HTTPRequestParser.Rejection

    init(bytes: [UInt8], limits: HTTPRequestParser.Limits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// `method SP target SP version CRLF`, after at most a few empty lines (RFC 9112 §2.2).
    mutating func requestLine() throws(Rejection) -> (HTTPMethod, String, HTTPVersion)? {
        var emptyLines = 0
        while position < bytes.count, bytes[position] == 0x0D {
            guard position + 1 < bytes.count else { return nil }
            guard bytes[position + 1] == 0x0A else { throw Rejection(400, "a bare CR before the request line") }
            position += 2
            emptyLines += 1
            guard emptyLines <= 4 else { throw Rejection(400, "empty lines instead of a request line") }
        }
        let start = position
        func tooLong() -> Bool { position - start > limits.maxRequestLineBytes }

        // method: a token.
        let methodStart = position
        while position < bytes.count, bytes[position] != 0x20 {
            guard Self.isTokenByte(bytes[position]) else { throw Rejection(400, "malformed request line") }
            guard position - methodStart < 32 else { throw Rejection(400, "malformed request line: method too long") }
            position += 1
        }
        guard position < bytes.count else { return nil }
        guard position > methodStart else { throw Rejection(400, "malformed request line: no method") }
        let method = HTTPMethod(rawValue: Self.ascii(bytes[methodStart..<position]))
        position += 1

        // target: visible ASCII, origin form.
        let targetStart = position
        while position < bytes.count, bytes[position] != 0x20 {
            guard (0x21...0x7E).contains(bytes[position]) else { throw Rejection(400, "malformed request target") }
            position += 1
            guard !tooLong() else { throw Rejection(414, "the request line exceeds \(limits.maxRequestLineBytes) bytes") }
        }
        if position > targetStart, bytes[targetStart] != 0x2F { throw Rejection(400, "the request target must be a path starting with /") }
        guard position < bytes.count else { return nil }
        guard position > targetStart else { throw Rejection(400, "malformed request line: no target") }
        let target = Self.ascii(bytes[targetStart..<position])
        position += 1

        // version, then CRLF.
        let versionStart = position
        while position < bytes.count, bytes[position] != 0x0D {
            let c = bytes[position]
            guard c == 0x48 || c == 0x54 || c == 0x50 || c == 0x2F || c == 0x2E || (0x30...0x39).contains(c) else {
                throw Rejection(400, "malformed HTTP version")
            }
            guard position - versionStart < 8 else { throw Rejection(400, "malformed HTTP version") }
            position += 1
        }
        guard position + 1 < bytes.count else { return nil }
        guard bytes[position + 1] == 0x0A else { throw Rejection(400, "the request line must end in CRLF") }
        let versionText = Self.ascii(bytes[versionStart..<position])
        position += 2
        guard !tooLong() else { throw Rejection(414, "the request line exceeds \(limits.maxRequestLineBytes) bytes") }
        guard let version = HTTPVersion(rawValue: versionText) else {
            let u = Array(versionText.utf8)
            if u.count == 8, versionText.hasPrefix("HTTP/"), (0x30...0x39).contains(u[5]), u[6] == 0x2E, (0x30...0x39).contains(u[7]) {
                throw Rejection(505, "only HTTP/1.0 and HTTP/1.1 are spoken")
            }
            throw Rejection(400, "malformed HTTP version")
        }
        return (method, target, version)
    }

    /// One header field; `.some(nil)` for the blank line that ends the head; nil when incomplete.
    mutating func headerField() throws(Rejection) -> (name: String, value: String)?? {
        let start = position
        guard position < bytes.count else { return nil }
        if bytes[position] == 0x0D {
            guard position + 1 < bytes.count else { return nil }
            guard bytes[position + 1] == 0x0A else { throw Rejection(400, "a bare CR in the head") }
            position += 2
            return .some(nil)
        }
        if bytes[position] == 0x20 || bytes[position] == 0x09 { throw Rejection(400, "folded header lines are not accepted") }
        while position < bytes.count, bytes[position] != 0x3A {
            let c = bytes[position]
            if c == 0x0D || c == 0x0A { throw Rejection(400, "a header line without a colon") }
            guard Self.isTokenByte(c) else { throw Rejection(400, "malformed header name") }
            position += 1
        }
        guard position < bytes.count else { position = start; return nil }
        guard position > start else { throw Rejection(400, "a header line without a name") }
        let name = Self.ascii(bytes[start..<position])
        position += 1
        let valueStart = position
        while position < bytes.count, bytes[position] != 0x0D {
            let c = bytes[position]
            guard c == 0x09 || c >= 0x20, c != 0x7F else { throw Rejection(400, "a control character in a header value") }
            position += 1
        }
        guard position + 1 < bytes.count else { position = start; return nil }
        guard bytes[position + 1] == 0x0A else { throw Rejection(400, "a bare CR in a header value") }
        var value = bytes[valueStart..<position]
        while let c = value.first, c == 0x20 || c == 0x09 { value.removeFirst() }
        while let c = value.last, c == 0x20 || c == 0x09 { value.removeLast() }
        position += 2
        return .some((name, Self.latin1(value)))
    }

    /// tchar (RFC 9110 §5.6.2).
    static func isTokenByte(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: true
        default: false
        }
    }

    static func ascii(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Header values may carry obs-text (0x80–0xFF): read as ISO 8859-1, never as broken UTF-8.
    static func latin1(_ bytes: ArraySlice<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(scalars)
    }
}
