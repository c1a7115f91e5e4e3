/// HTTP/1.1 request parsing (RFC 9112) over the bytes received so far, with no I/O, so that it can be
/// unit-tested and fuzzed on its own. `parse` and `parseHead` keep no state between calls; a
/// connection reads a head with a `HeadScanner`, which resumes where its last call stopped.
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
        var scanner = HeadScanner(limits: limits)
        return scanner.parseHead(bytes)
    }

    /// The checks that need the whole head: Host, framing, Expect.
    fileprivate static func head(line: (HTTPMethod, String, HTTPVersion), headers: HTTPHeaders, length: Int, limits: Limits) throws(Rejection) -> Head {
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

extension HTTPRequestParser {
    /// The head parser for a connection whose buffer grows with each read: it resumes where the
    /// last call stopped, so every byte is examined once however the head arrives (one byte at a
    /// time included), instead of the whole buffer being scanned again on each read. Garbage is
    /// still refused as soon as a byte shows it. Use one per request, over a buffer that starts
    /// with that request and only grows.
    public struct HeadScanner: Sendable {
        public let limits: Limits
        /// Bytes looked at so far (a byte is looked at once, or twice where a line's first byte
        /// decides what comes next): the measure that the work is linear.
        public private(set) var bytesExamined = 0

        private enum Phase: Sendable {
            case leading(emptyLines: Int), leadingLF(emptyLines: Int)
            case method, target, version, requestLineLF(versionEnd: Int)
            case fieldStart, name, value(valueStart: Int), fieldLF(valueStart: Int, valueEnd: Int), blankLF
        }

        private var position = 0
        private var phase = Phase.leading(emptyLines: 0)
        private var lineStart = 0, partStart = 0
        private var method: HTTPMethod?, target = "", version = HTTPVersion.http1_1, name = ""
        private var headers = HTTPHeaders()
        private var finished: HeadResult?

        public init(limits: Limits = Limits()) { self.limits = limits }

        /// The head at the start of `bytes` (the same buffer as the last call, grown), or
        /// `.incomplete` until its blank line has arrived.
        public mutating func parseHead(_ bytes: [UInt8]) -> HeadResult {
            if let finished { return finished }
            do throws(Rejection) {
                if let head = try scan(bytes) {
                    finished = .head(head)
                    return .head(head)
                }
                // An unfinished head may not grow past the limit: everything buffered so far belongs to it.
                guard bytes.count <= limits.maxHeaderBytes else { throw Rejection(431, "the request head exceeds \(limits.maxHeaderBytes) bytes") }
                return .incomplete
            } catch {
                finished = .rejected(error)
                return .rejected(error)
            }
        }

        private mutating func scan(_ bytes: [UInt8]) throws(Rejection) -> Head? {
            while position < bytes.count {
                let c = bytes[position]
                bytesExamined += 1
                switch phase {
                // At most a few empty lines before the request line (RFC 9112 §2.2).
                case .leading(let emptyLines):
                    if c == 0x0D {
                        phase = .leadingLF(emptyLines: emptyLines)
                        position += 1
                    } else {
                        lineStart = position
                        partStart = position
                        phase = .method
                    }
                case .leadingLF(let emptyLines):
                    guard c == 0x0A else { throw Rejection(400, "a bare CR before the request line") }
                    guard emptyLines < 4 else { throw Rejection(400, "empty lines instead of a request line") }
                    phase = .leading(emptyLines: emptyLines + 1)
                    position += 1
                // `method SP target SP version CRLF`; the method is a token.
                case .method:
                    if c == 0x20 {
                        guard position > partStart else { throw Rejection(400, "malformed request line: no method") }
                        method = HTTPMethod(rawValue: Self.ascii(bytes[partStart..<position]))
                        position += 1
                        partStart = position
                        phase = .target
                    } else {
                        guard Self.isTokenByte(c) else { throw Rejection(400, "malformed request line") }
                        guard position - partStart < 32 else { throw Rejection(400, "malformed request line: method too long") }
                        position += 1
                    }
                // The target: visible ASCII, origin form.
                case .target:
                    if c == 0x20 {
                        guard position > partStart else { throw Rejection(400, "malformed request line: no target") }
                        target = Self.ascii(bytes[partStart..<position])
                        position += 1
                        partStart = position
                        phase = .version
                    } else {
                        guard (0x21...0x7E).contains(c) else { throw Rejection(400, "malformed request target") }
                        if position == partStart, c != 0x2F { throw Rejection(400, "the request target must be a path starting with /") }
                        position += 1
                        guard !requestLineTooLong else { throw Rejection(414, "the request line exceeds \(limits.maxRequestLineBytes) bytes") }
                    }
                case .version:
                    if c == 0x0D {
                        phase = .requestLineLF(versionEnd: position)
                        position += 1
                    } else {
                        guard c == 0x48 || c == 0x54 || c == 0x50 || c == 0x2F || c == 0x2E || (0x30...0x39).contains(c) else {
                            throw Rejection(400, "malformed HTTP version")
                        }
                        guard position - partStart < 8 else { throw Rejection(400, "malformed HTTP version") }
                        position += 1
                    }
                case .requestLineLF(let versionEnd):
                    guard c == 0x0A else { throw Rejection(400, "the request line must end in CRLF") }
                    position += 1
                    guard !requestLineTooLong else { throw Rejection(414, "the request line exceeds \(limits.maxRequestLineBytes) bytes") }
                    version = try Self.version(Self.ascii(bytes[partStart..<versionEnd]))
                    phase = .fieldStart
                // Header fields, up to the blank line.
                case .fieldStart:
                    if c == 0x0D {
                        phase = .blankLF
                        position += 1
                    } else {
                        if c == 0x20 || c == 0x09 { throw Rejection(400, "folded header lines are not accepted") }
                        partStart = position
                        phase = .name
                    }
                case .name:
                    if c == 0x3A {
                        guard position > partStart else { throw Rejection(400, "a header line without a name") }
                        name = Self.ascii(bytes[partStart..<position])
                        position += 1
                        phase = .value(valueStart: position)
                    } else {
                        if c == 0x0D || c == 0x0A { throw Rejection(400, "a header line without a colon") }
                        guard Self.isTokenByte(c) else { throw Rejection(400, "malformed header name") }
                        position += 1
                    }
                case .value(let valueStart):
                    if c == 0x0D {
                        phase = .fieldLF(valueStart: valueStart, valueEnd: position)
                    } else {
                        guard c == 0x09 || c >= 0x20, c != 0x7F else { throw Rejection(400, "a control character in a header value") }
                    }
                    position += 1
                case .fieldLF(let valueStart, let valueEnd):
                    guard c == 0x0A else { throw Rejection(400, "a bare CR in a header value") }
                    guard headers.fields.count < limits.maxHeaderCount else {
                        throw Rejection(431, "more than \(limits.maxHeaderCount) header fields")
                    }
                    var value = bytes[valueStart..<valueEnd]
                    while let c = value.first, c == 0x20 || c == 0x09 { value.removeFirst() }
                    while let c = value.last, c == 0x20 || c == 0x09 { value.removeLast() }
                    headers.add(name, Self.latin1(value))
                    position += 1
                    phase = .fieldStart
                case .blankLF:
                    guard c == 0x0A else { throw Rejection(400, "a bare CR in the head") }
                    position += 1
                    guard position <= limits.maxHeaderBytes else { throw Rejection(431, "the request head exceeds \(limits.maxHeaderBytes) bytes") }
                    guard let method else { throw Rejection(400, "malformed request line: no method") }
                    return try HTTPRequestParser.head(line: (method, target, version), headers: headers, length: position, limits: limits)
                }
            }
            return nil
        }

        private var requestLineTooLong: Bool { position - lineStart > limits.maxRequestLineBytes }

        private static func version(_ text: String) throws(Rejection) -> HTTPVersion {
            guard let version = HTTPVersion(rawValue: text) else {
                let u = Array(text.utf8)
                if u.count == 8, text.hasPrefix("HTTP/"), (0x30...0x39).contains(u[5]), u[6] == 0x2E, (0x30...0x39).contains(u[7]) {
                    throw Rejection(505, "only HTTP/1.0 and HTTP/1.1 are spoken")
                }
                throw Rejection(400, "malformed HTTP version")
            }
            return version
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
}
