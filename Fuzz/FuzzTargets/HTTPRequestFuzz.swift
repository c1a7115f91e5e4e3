import HTTPServer

/// `HTTPRequestParser`, a pure function over the bytes received so far, and the connection's
/// resumable `HeadScanner`, which must agree with it whatever pieces the bytes arrive in. The first byte picks
/// the limits (the server's defaults, or small ones the fuzzer can reach); the rest is what a
/// client sent. A parsed request stays within the limits and within the bytes given, and the
/// parser is consistent with itself as bytes arrive: a request found in a prefix is the same
/// request in the whole, and a prefix refused means the whole is refused.
enum HTTPRequestFuzz {
    static let small = HTTPRequestParser.Limits(maxRequestLineBytes: 64, maxHeaderBytes: 256, maxHeaderCount: 6, maxBodyBytes: 32)

    static func run(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        guard let first = input.first else { return false }
        let parser = HTTPRequestParser(limits: first & 1 == 0 ? small : HTTPRequestParser.Limits())
        let bytes = Array(input.dropFirst())
        let whole = parser.parse(bytes)
        let limits = parser.limits
        switch whole {
        case .request(let request, let consumed):
            try require(consumed <= bytes.count, "consumed \(consumed) of \(bytes.count) bytes")
            try require(request.body.count <= limits.maxBodyBytes, "a body of \(request.body.count) bytes passed a limit of \(limits.maxBodyBytes)")
            try require(request.body[...] == bytes[(consumed - request.body.count)..<consumed], "the body is not the bytes before the end of the request")
            try require(request.target.hasPrefix("/"), "target \(request.target) is not origin-form")
            guard case .head(let head) = parser.parseHead(bytes) else { throw InvariantViolation("parse found a request, parseHead no head") }
            try require(head.length <= limits.maxHeaderBytes, "a head of \(head.length) bytes passed a limit of \(limits.maxHeaderBytes)")
            try require(head.headers.fields.count <= limits.maxHeaderCount, "\(head.headers.fields.count) header fields passed a limit of \(limits.maxHeaderCount)")
            try require(head.length + head.contentLength == consumed, "head \(head.length) + body \(head.contentLength) != consumed \(consumed)")
            guard case .request(_, let again) = parser.parse(Array(bytes[..<consumed])), again == consumed else {
                throw InvariantViolation("the request's own bytes do not parse to the same request")
            }
            if consumed > 0, case .request = parser.parse(Array(bytes[..<(consumed - 1)])) {
                throw InvariantViolation("a request was found one byte before its end")
            }
        case .rejected(let rejection):
            try require([400, 408, 411, 413, 414, 417, 431, 505].contains(rejection.status), "unexpected status \(rejection.status)")
        case .incomplete:
            try require(bytes.count <= limits.maxHeaderBytes + limits.maxBodyBytes, "\(bytes.count) bytes buffered and still incomplete")
        }
        // Bytes arrive in pieces: a refusal seen early stands once more bytes come.
        for cut in [bytes.count / 2, bytes.count * 3 / 4] where cut < bytes.count {
            guard case .rejected(let early) = parser.parse(Array(bytes[..<cut])) else { continue }
            guard case .rejected = whole else {
                throw InvariantViolation("\(cut) bytes were refused (\(early)), all \(bytes.count) were not")
            }
        }
        // A connection's scanner, fed the bytes in growing pieces, answers what one parse of the whole does.
        var scanner = HTTPRequestParser.HeadScanner(limits: limits)
        var scanned = HTTPRequestParser.HeadResult.incomplete
        for end in Set([bytes.count / 3, bytes.count / 2, bytes.count - 1, bytes.count]).sorted() where end >= 0 {
            scanned = scanner.parseHead(Array(bytes[..<end]))
        }
        switch (scanned, parser.parseHead(bytes)) {
        case (.incomplete, .incomplete): break
        case (.rejected(let a), .rejected(let b)): try require(a == b, "the scanner refused with \(a), one parse with \(b)")
        case (.head(let a), .head(let b)): try require(a.length == b.length && a.contentLength == b.contentLength, "the scanner's head differs")
        default: throw InvariantViolation("the scanner fed in pieces and one parse of the whole disagree")
        }
        try require(scanner.bytesExamined <= 2 * bytes.count + 8, "the scanner examined \(scanner.bytesExamined) bytes of \(bytes.count)")
        if case .request = whole { return true }
        return false
    }
}
