import Testing
import TestSupport
@testable import HTTPServer

@Suite struct HTTPRequestParserTests {
    let parser = HTTPRequestParser()

    func parse(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> HTTPRequestParser.Result {
        HTTPRequestParser(limits: limits).parse(Array(text.utf8))
    }

    func rejection(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> HTTPRequestParser.Rejection? {
        if case .rejected(let rejection) = parse(text, limits: limits) { return rejection }
        return nil
    }

    func isIncomplete(_ text: String) -> Bool {
        if case .incomplete = parse(text) { return true }
        return false
    }

    @Test func parsesAGetRequest() throws {
        let text = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept:  text/plain \r\n\r\n"
        guard case .request(let request, let consumed) = parse(text) else {
            Issue.record("not parsed"); return
        }
        #expect(request.method == .get)
        #expect(request.target == "/metrics?x=1")
        #expect(request.path == "/metrics")
        #expect(request.query == "x=1")
        #expect(request.version == .http1_1)
        #expect(request.headers["accept"] == "text/plain")
        #expect(request.headers["HOST"] == "a")
        #expect(request.body.isEmpty)
        #expect(consumed == text.utf8.count)
        #expect(request.keepAlive)
    }

    @Test func parsesABodyByContentLengthAndLeavesTheRest() {
        let text = "POST /api/verify HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET"
        guard case .request(let request, let consumed) = parse(text) else { Issue.record("not parsed"); return }
        #expect(request.body == Array("hello".utf8))
        #expect(consumed == text.utf8.count - 3)
    }

    @Test func waitsForTheRestOfTheHeadAndBody() {
        #expect(isIncomplete(""))
        #expect(isIncomplete("GE"))
        #expect(isIncomplete("GET /ok HTTP/1.1\r"))
        #expect(isIncomplete("GET /ok HTTP/1.1\r\nHost: a\r\n"))
        #expect(isIncomplete("GET /ok HTTP/1.1\r\nHost: a\r\n\r"))
        #expect(isIncomplete("POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12345"))
    }

    /// Every prefix of a valid request is incomplete, never an error: bytes may arrive one at a time.
    @Test func everyPrefixOfAValidRequestIsIncomplete() {
        let text = Array("\r\nPOST /api/verify?a=b HTTP/1.0\r\nHost: h\r\nX-Long:  v a l u e \t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc".utf8)
        for end in 0..<text.count {
            guard case .incomplete = parser.parse(Array(text[..<end])) else {
                Issue.record("prefix of \(end) bytes was not incomplete"); return
            }
        }
        guard case .request(let request, let consumed) = parser.parse(text) else { Issue.record("not parsed"); return }
        #expect(consumed == text.count)
        #expect(request.version == .http1_0)
        #expect(request.headers["x-long"] == "v a l u e")
        #expect(!request.keepAlive)
    }

    @Test func garbageRequestLinesAre400AtTheFirstBadByte() {
        #expect(rejection("\u{16}\u{03}\u{01}\u{02}")?.status == 400)  // a TLS ClientHello
        #expect(rejection("hello world\r\n\r\n")?.status == 400)
        #expect(rejection("GET\r\n\r\n")?.status == 400)
        #expect(rejection(" GET / HTTP/1.1\r\n")?.status == 400)
        #expect(rejection("GET  / HTTP/1.1\r\n")?.status == 400)
        #expect(rejection("GET / HTTP/1.1 extra\r\n")?.status == 400)
        #expect(rejection("GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n")?.status == 400)
        #expect(rejection("GET / HTTP/1.1\nHost: a\n\n")?.status == 400)       // bare LF
        #expect(rejection("GET / HTTP/1.1\rHost: a\r\n\r\n")?.status == 400)   // bare CR
        #expect(rejection("GET /a\u{7F} HTTP/1.1\r\n")?.status == 400)
        #expect(rejection("GET / HTTQ/1.1\r\n")?.status == 400)
        #expect(rejection(String(repeating: "A", count: 40) + " / HTTP/1.1\r\n")?.status == 400)
        #expect(rejection("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n")?.status == 400)
    }

    @Test func otherVersionsAre505() {
        #expect(rejection("GET / HTTP/2.0\r\nHost: a\r\n\r\n")?.status == 505)
        #expect(rejection("GET / HTTP/0.9\r\n\r\n")?.status == 505)
    }

    @Test func malformedHeadersAre400() {
        #expect(rejection("GET / HTTP/1.1\r\nHost: a\r\nNoColonHere\r\n\r\n")?.status == 400)
        #expect(rejection("GET / HTTP/1.1\r\nHost: a\r\nName : v\r\n\r\n")?.status == 400)
        #expect(rejection("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n folded\r\n\r\n")?.status == 400)
        #expect(rejection("GET / HTTP/1.1\r\nHost: a\r\n: empty-name\r\n\r\n")?.status == 400)
        #expect(rejection("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{00}b\r\n\r\n")?.status == 400)
        #expect(rejection("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n")?.status == 400)
    }

    @Test func http11NeedsExactlyOneHost() {
        #expect(rejection("GET / HTTP/1.1\r\n\r\n")?.status == 400)
        #expect(rejection("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")?.status == 400)
        guard case .request = parse("GET / HTTP/1.0\r\n\r\n") else { Issue.record("HTTP/1.0 without Host refused"); return }
    }

    @Test func contentLengthMustBeOneDecimalNumber() {
        let head = "POST /e HTTP/1.1\r\nHost: a\r\n"
        #expect(rejection(head + "Content-Length: -1\r\n\r\n")?.status == 400)
        #expect(rejection(head + "Content-Length: +5\r\n\r\n")?.status == 400)
        #expect(rejection(head + "Content-Length: 0x10\r\n\r\n")?.status == 400)
        #expect(rejection(head + "Content-Length: 5, 5\r\n\r\n")?.status == 400)
        #expect(rejection(head + "Content-Length:\r\n\r\n")?.status == 400)
        #expect(rejection(head + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello")?.status == 400)
        #expect(rejection(head + "Content-Length: 5\r\ncontent-length: 6\r\n\r\nhello")?.status == 400)
    }

    @Test func aBodyOverTheLimitIs413BeforeItIsRead() {
        let limits = HTTPRequestParser.Limits(maxBodyBytes: 100)
        let head = "POST /e HTTP/1.1\r\nHost: a\r\n"
        #expect(rejection(head + "Content-Length: 101\r\n\r\n", limits: limits)?.status == 413)
        #expect(rejection(head + "Content-Length: 99999999999999999999999999999\r\n\r\n")?.status == 413)
        #expect(rejection(head + "Content-Length: 9223372036854775808\r\n\r\n")?.status == 413)
        guard case .request(let request, _) = parse(head + "Content-Length: 100\r\n\r\n" + String(repeating: "x", count: 100), limits: limits) else {
            Issue.record("a body at the limit was refused"); return
        }
        #expect(request.body.count == 100)
    }

    @Test func transferEncodingIs411AndWithContentLength400() {
        let head = "POST /e HTTP/1.1\r\nHost: a\r\n"
        #expect(rejection(head + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")?.status == 411)
        #expect(rejection(head + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n")?.status == 400)
    }

    @Test func expectOther100ContinueIs417() {
        #expect(rejection("POST /e HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n")?.status == 417)
        guard case .head(let head) = parser.parseHead(Array("POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n".utf8)) else {
            Issue.record("not parsed"); return
        }
        #expect(head.expectsContinue)
        #expect(head.contentLength == 3)
    }

    @Test func oversizedHeadsAre431AndLongRequestLines414() {
        let limits = HTTPRequestParser.Limits(maxRequestLineBytes: 64, maxHeaderBytes: 256, maxHeaderCount: 4)
        #expect(rejection("GET /" + String(repeating: "a", count: 100), limits: limits)?.status == 414)
        #expect(rejection("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 300), limits: limits)?.status == 431)
        #expect(rejection("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "v", count: 300) + "\r\n\r\n", limits: limits)?.status == 431)
        let many = (0..<5).map { "H\($0): v\r\n" }.joined()
        #expect(rejection("GET / HTTP/1.1\r\nHost: a\r\n" + many + "\r\n", limits: limits)?.status == 431)
        // An endless header line without CRLF is refused once it passes the limit, not buffered forever.
        #expect(rejection("GET / HTTP/1.1\r\nHost: a\r\nX-" + String(repeating: "n", count: 300), limits: limits)?.status == 431)
    }

    @Test func pipelinedGarbageAfterAValidRequestIsRefusedOnItsOwn() {
        let bytes = Array("GET /ok HTTP/1.1\r\nHost: a\r\n\r\n\u{01}\u{02}garbage\r\n\r\n".utf8)
        guard case .request(let first, let consumed) = parser.parse(bytes) else { Issue.record("first request not parsed"); return }
        #expect(first.path == "/ok")
        guard case .rejected(let rejection) = parser.parse(Array(bytes[consumed...])) else { Issue.record("garbage accepted"); return }
        #expect(rejection.status == 400)
    }

    @Test func pipelinedRequestsParseOneAfterAnother() {
        var bytes = Array("GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\nHost: h\r\n\r\n".utf8)
        var paths = [String]()
        while case .request(let request, let consumed) = parser.parse(bytes) {
            paths.append(String(request.path))
            bytes.removeFirst(consumed)
        }
        #expect(paths == ["/a", "/b", "/c"])
        #expect(bytes.isEmpty)
    }

    @Test func headerValuesKeepObsTextAsLatin1() {
        var bytes = Array("GET / HTTP/1.1\r\nHost: a\r\nX: caf".utf8)
        bytes += [0xE9]
        bytes += Array("\r\n\r\n".utf8)
        guard case .request(let request, _) = parser.parse(bytes) else { Issue.record("not parsed"); return }
        #expect(request.headers["x"] == "café")
    }

    @Test func connectionHeaderDecidesKeepAlive() {
        func keepAlive(_ text: String) -> Bool? {
            if case .request(let request, _) = parse(text) { return request.keepAlive }
            return nil
        }
        #expect(keepAlive("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") == false)
        #expect(keepAlive("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, Close\r\n\r\n") == false)
        #expect(keepAlive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") == true)
        #expect(keepAlive("GET / HTTP/1.0\r\n\r\n") == false)
    }

    /// A cheap stand-in for fuzzing until libFuzzer is wired: random and mutated inputs never trap,
    /// and whatever is accepted consumed no more than was given.
    @Test func randomInputsNeverTrap() {
        var generator = SeededRandom(seed: 0x5EED_0002)
        let seeds = [
            "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n",
            "POST /api/verify HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\nbody",
        ].map { Array($0.utf8) }
        let limits = HTTPRequestParser.Limits(maxRequestLineBytes: 128, maxHeaderBytes: 256, maxHeaderCount: 8, maxBodyBytes: 64)
        let parser = HTTPRequestParser(limits: limits)
        for round in 0..<20_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let position = Int(generator.next() % UInt64(bytes.count + 1))
                switch generator.next() % 3 {
                case 0: if position < bytes.count { bytes[position] = UInt8(truncatingIfNeeded: generator.next()) }
                case 1: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                default: if position < bytes.count { bytes.remove(at: position) }
                }
            }
            if case .request(let request, let consumed) = parser.parse(bytes) {
                #expect(consumed <= bytes.count)
                #expect(request.body.count <= limits.maxBodyBytes)
            }
        }
    }

    /// A head that arrives one byte at a time is examined once, not once per read: the scanner
    /// resumes where it stopped (a full rescan on each read examines ~n²/2 bytes).
    @Test func aHeadArrivingByteByByteIsScannedOnce() {
        let text = Array(("GET /metrics HTTP/1.1\r\nHost: a\r\n" + (0..<60).map { "X-H\($0): \(String(repeating: "v", count: 100))\r\n" }.joined() + "\r\n").utf8)
        let limits = HTTPRequestParser.Limits(maxHeaderBytes: 16_384, maxHeaderCount: 64)
        var scanner = HTTPRequestParser.HeadScanner(limits: limits)
        for end in 1..<text.count {
            guard case .incomplete = scanner.parseHead(Array(text[..<end])) else { Issue.record("incomplete at \(end) bytes"); return }
        }
        guard case .head(let head) = scanner.parseHead(text) else { Issue.record("no head"); return }
        #expect(head.length == text.count)
        #expect(head.headers.fields.count == 61)
        #expect(scanner.bytesExamined < 2 * text.count, "examined \(scanner.bytesExamined) bytes for a head of \(text.count)")
    }

    /// The scanner fed growing prefixes answers what the one-shot parser answers for the whole.
    @Test func theScannerAgreesWithTheOneShotParser() {
        for text in ["GET /ok HTTP/1.1\r\nHost: a\r\nAccept: x\r\n\r\n", "\u{16}\u{03}\u{01}\u{00}\u{a5}\u{01}", "GET / HTTP/1.1\r\nHost: a\r\nbroken header\r\n\r\n",
                     "GET /ok HTTP/2.0\r\nHost: a\r\n\r\n", "\r\n\r\nGET x HTTP/1.1\r\n"] {
            let bytes = Array(text.utf8)
            var scanner = HTTPRequestParser.HeadScanner()
            var result = HTTPRequestParser.HeadResult.incomplete
            for end in 1...bytes.count {
                result = scanner.parseHead(Array(bytes[..<end]))
                if case .incomplete = result { continue }
                break
            }
            switch (result, parser.parseHead(bytes)) {
            case (.incomplete, .incomplete): break
            case (.rejected(let a), .rejected(let b)): #expect(a == b, "\(text.debugDescription)")
            case (.head(let a), .head(let b)): #expect(a.length == b.length && a.headers.fields.count == b.headers.fields.count)
            default: Issue.record("\(text.debugDescription): the scanner and the parser disagree")
            }
        }
    }
}
