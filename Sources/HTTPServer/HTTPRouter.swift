/// Routes requests by exact path and method, else by the longest registered path prefix (`add(_:prefix:_:)`,
/// e.g. `/console/claims/` for `/console/claims/USER/ORDER`). A path with no route is 404; a path whose routes
/// take other methods is 405 with `Allow`. HEAD is served by the GET handler (the server drops the body).
public struct HTTPRouter: Sendable {
    public typealias Handler = @Sendable (HTTPServerRequest) async -> HTTPServerResponse

    private var routes: [String: [HTTPMethod: Handler]] = [:]
    /// Routes by path prefix, for paths with no exact route; the longest prefix wins.
    private var prefixRoutes: [String: [HTTPMethod: Handler]] = [:]
    /// The answer for a path with no route (nil: 404 `NOT_FOUND` without a hint).
    public var notFound: Handler?

    public init() {}

    /// Registers `handler` for `method` on `path` (exact match, query ignored). A second
    /// registration of the same pair replaces the first.
    public mutating func add(_ method: HTTPMethod, _ path: String, _ handler: @escaping Handler) {
        routes[path, default: [:]][method] = handler
    }

    /// Registers `handler` for `method` on every path under `prefix` (e.g. `/console/claims/`) that has
    /// no exact route of its own.
    public mutating func add(_ method: HTTPMethod, prefix: String, _ handler: @escaping Handler) {
        prefixRoutes[prefix, default: [:]][method] = handler
    }

    /// The paths and methods registered, sorted (for logs and tests).
    var registered: [(method: HTTPMethod, path: String)] {
        routes.flatMap { path, handlers in handlers.keys.map { (method: $0, path: path) } }
            .sorted { ($0.path, $0.method.rawValue) < ($1.path, $1.method.rawValue) }
    }

    /// The handler's answer, or 404/405.
    public func respond(to request: HTTPServerRequest) async -> HTTPServerResponse {
        let path = String(request.path)
        let byPrefix = prefixRoutes.filter { path.hasPrefix($0.key) && path.count > $0.key.count }.max { $0.key.count < $1.key.count }?.value
        guard let handlers = routes[path] ?? byPrefix else {
            if let notFound { return await notFound(request) }
            return .error(404, code: "NOT_FOUND", "no such path")
        }
        if let handler = handlers[request.method] { return await handler(request) }
        if request.method == .head, let handler = handlers[.get] { return await handler(request) }
        var allowed = Set(handlers.keys.map(\.rawValue))
        if allowed.contains("GET") { allowed.insert("HEAD") }
        let allow = allowed.sorted().joined(separator: ", ")
        return .error(405, code: "METHOD_NOT_ALLOWED", "\(request.method.rawValue.prefix(32)) is not allowed here",
                      hint: "use \(allow)", headers: HTTPHeaders([("Allow", allow)]))
    }
}
