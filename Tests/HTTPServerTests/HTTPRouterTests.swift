import Testing
@testable import HTTPServer

@Suite struct HTTPRouterTests {
    @Test func routesByPathAndMethod() async {
        let router = TestRoutes.router()
        let ok = await router.respond(to: HTTPServerRequest(method: .get, target: "/ok?x=1"))
        #expect(ok.status == 200)
        #expect(ok.body == Array("ok".utf8))
        let echo = await router.respond(to: HTTPServerRequest(method: .post, target: "/echo", body: [1, 2, 3]))
        #expect(echo.body == [1, 2, 3])
    }

    @Test func unknownPathIs404() async {
        let response = await TestRoutes.router().respond(to: HTTPServerRequest(method: .get, target: "/nope"))
        #expect(response.status == 404)
        #expect(response.headers["Content-Type"] == "application/json")
    }

    @Test func wrongMethodIs405WithAllow() async {
        let router = TestRoutes.router()
        let onGet = await router.respond(to: HTTPServerRequest(method: .post, target: "/ok"))
        #expect(onGet.status == 405)
        #expect(onGet.headers["Allow"] == "GET, HEAD")
        let onPost = await router.respond(to: HTTPServerRequest(method: HTTPMethod(rawValue: "BREW"), target: "/echo"))
        #expect(onPost.status == 405)
        #expect(onPost.headers["Allow"] == "POST")
    }

    @Test func headUsesTheGetHandler() async {
        let response = await TestRoutes.router().respond(to: HTTPServerRequest(method: .head, target: "/ok"))
        #expect(response.status == 200)
    }

    @Test func responsesNeverCarryInjectedHeaderLines() {
        let response = HTTPServerResponse(status: 200, headers: HTTPHeaders([("X-Evil", "a\r\nSet-Cookie: x"), ("X-Fine", "b")]), body: Array("hi".utf8))
        let text = String(decoding: response.serialized(keepAlive: false), as: UTF8.self)
        #expect(!text.contains("Set-Cookie"))
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.contains("X-Fine: b\r\n"))
        #expect(text.contains("Content-Length: 2\r\n"))
        #expect(text.contains("Connection: close\r\n"))
        #expect(text.hasSuffix("\r\n\r\nhi"))
    }

    @Test func listenAddressesParse() throws {
        #expect(try HTTPListenAddress(parsing: "127.0.0.1:9464") == .default)
        #expect(try HTTPListenAddress(parsing: "localhost:0").port == 0)
        #expect(try HTTPListenAddress(parsing: "[::1]:9464").family == .ipv6)
        #expect(try HTTPListenAddress(parsing: "0.0.0.0:80").isLoopback == false)
        for bad in ["example.com:80", "127.0.0.1:65536", "127.0.0.1", "[127.0.0.1]:80", "1.2.3:80"] {
            let error = #expect(throws: HTTPServerError.self) { try HTTPListenAddress(parsing: bad) }
            #expect(error?.code == .badAddress, "\(bad)")
        }
    }
}
