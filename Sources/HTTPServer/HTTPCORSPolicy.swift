/// Cross-origin access for browsers (the Fetch standard's CORS protocol): only the origins listed
/// are answered with `Access-Control-Allow-Origin` (exact match, never `*`, never credentials);
/// a preflight from a listed origin is answered 204 for GET, POST and DELETE with `Content-Type`,
/// one from any other origin 403. Every answer carries `Vary: Origin`, so a cache keeps them apart.
public struct HTTPCORSPolicy: Sendable {
    /// Origins as a browser sends them: scheme, host and port if not the default (`https://app.example`).
    public let allowedOrigins: Set<String>
    public static let allowedMethods = "GET, POST, DELETE"
    public static let allowedHeaders = "Content-Type"

    public init(allowedOrigins: [String]) { self.allowedOrigins = Set(allowedOrigins) }

    /// A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) answered here, or
    /// nil for a request the router should see.
    func preflight(_ request: HTTPServerRequest) -> HTTPServerResponse? {
        guard request.method == .options, let origin = request.headers["Origin"],
              request.headers.contains("Access-Control-Request-Method") else { return nil }
        guard allowedOrigins.contains(origin) else {
            return .error(403, code: "CORS_ORIGIN_REFUSED", "this origin may not call the API from a browser",
                          hint: "ask the keeper's operator to list the origin in http.publicOrigins",
                          headers: HTTPHeaders([("Vary", "Origin")]))
        }
        return HTTPServerResponse(status: 204, headers: HTTPHeaders([
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Allow-Methods", Self.allowedMethods),
            ("Access-Control-Allow-Headers", Self.allowedHeaders),
            ("Access-Control-Max-Age", "600"),
            ("Vary", "Origin"),
        ]))
    }

    /// The router's answer with the CORS headers its request's origin earns.
    func decorate(_ response: HTTPServerResponse, for request: HTTPServerRequest) -> HTTPServerResponse {
        var response = response
        response.headers.add("Vary", "Origin")
        if let origin = request.headers["Origin"], allowedOrigins.contains(origin) {
            response.headers.set("Access-Control-Allow-Origin", origin)
        }
        return response
    }
}
