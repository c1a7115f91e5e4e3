import Testing
@testable import HTTPServer

/// Prefix routes (`add(_:prefix:_:)`): for paths under a prefix with no exact route; the longest prefix wins.
@Suite struct HTTPRouterPrefixTests {
    static func router() -> HTTPRouter {
        var router = HTTPRouter()
        router.add(.get, "/console/claims") { _ in .text(200, "list") }
        router.add(.get, prefix: "/console/") { _ in .text(200, "any") }
        router.add(.get, prefix: "/console/claims/") { request in .text(200, "claim \(request.path.dropFirst("/console/claims/".count))") }
        return router
    }

    func body(_ target: String, _ method: HTTPMethod = .get) async -> (Int, String) {
        let response = await Self.router().respond(to: HTTPServerRequest(method: method, target: target))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    @Test func theExactRouteThenTheLongestPrefixAnswer() async {
        #expect(await body("/console/claims") == (200, "list"))
        #expect(await body("/console/claims/0xab/12?x=1") == (200, "claim 0xab/12"))
        #expect(await body("/console/payouts") == (200, "any"))
        #expect(await body("/console/claims/") == (200, "any"), "the bare prefix belongs to the shorter one")
        #expect(await body("/elsewhere").0 == 404)
        #expect(await body("/console").0 == 404, "a prefix matches only paths longer than itself")
        #expect(await body("/console/claims/0xab/12", .post).0 == 405)
    }
}
