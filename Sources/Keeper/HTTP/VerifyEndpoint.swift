import HTTPServer
import Wire

/// `POST /api/verify` (seed 002, DESIGN.md §7–§8): authentication, then a typed `VerifyRequest`
/// for the verifier the service injects, whose `(status, body)` is sent back as JSON.
public enum VerifyEndpoint {
    public static let path = "/api/verify"

    /// The verifier: a validated request in, the seed-002 response (or an error body) out.
    public typealias Verifier = @Sendable (VerifyRequest) async -> (status: Int, body: JSON)

    /// Registers `POST /api/verify` on `router`. `inlineCredentials` false (the listener is plain HTTP
    /// beyond this machine) refuses requests that carry an OKX key; aliases still work.
    public static func register(in router: inout HTTPRouter, authenticator: APIAuthenticator, inlineCredentials: Bool = true,
                                verify: @escaping Verifier) {
        router.add(.post, path) { request in
            await handle(request, authenticator: authenticator, inlineCredentials: inlineCredentials, verify: verify)
        }
    }

    static func handle(_ request: HTTPServerRequest, authenticator: APIAuthenticator, inlineCredentials: Bool = true,
                       verify: Verifier) async -> HTTPServerResponse {
        let noStore = HTTPHeaders([("Cache-Control", "no-store")])
        switch authenticator.check(timestamp: request.headers["X-Timestamp"], signature: request.headers["X-Signature"], body: request.body) {
        case .accepted:
            break
        case .refused(.busy):
            return .error(503, code: "BUSY", APIAuthenticator.Refusal.busy.message, hint: APIAuthenticator.Refusal.busy.hint, headers: noStore)
        case .refused(let refusal):
            var headers = noStore
            headers.add("WWW-Authenticate", "LGK-HMAC-SHA256")
            return .error(401, code: "UNAUTHORIZED", refusal.message, hint: refusal.hint, headers: headers)
        }
        if let type = request.mediaType, type != "application/json" {
            return .error(415, code: "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json", headers: noStore)
        }
        let verifyRequest: VerifyRequest
        do { verifyRequest = try VerifyRequest.parse(request.body) } catch {
            return .error(400, code: "BAD_REQUEST", error.message, hint: "the fields are listed in the README under POST /api/verify", headers: noStore)
        }
        if !inlineCredentials, case .inline = verifyRequest.key {
            return .error(403, code: "INLINE_KEY_REFUSED", "inline OKX credentials are refused: http.listen is not loopback and serves plain HTTP",
                          hint: "send keyMode \"alias\" with a key added by `lg-keeper keys add`, or bind http.listen to 127.0.0.1", headers: noStore)
        }
        let (status, body) = await verify(verifyRequest)
        let response = HTTPServerResponse.json(status, body, headers: noStore)
        // Defence in depth: a verifier bug must not send the caller's secrets back to the wire.
        let secrets = verifyRequest.secrets.filter { $0.utf8.count >= 8 }
        if containsAny(response.body, secrets + secrets.map { String(JSON.string($0).serializedString.dropFirst().dropLast()) }) {
            return .error(500, code: "INTERNAL", "the response was withheld because it carried a credential", headers: noStore)
        }
        return response
    }

    private static func containsAny(_ haystack: [UInt8], _ needles: [String]) -> Bool {
        needles.contains { needle in
            let n = Array(needle.utf8)
            guard n.count <= haystack.count else { return false }
            return (0...(haystack.count - n.count)).contains { start in haystack[start..<(start + n.count)].elementsEqual(n) }
        }
    }
}
