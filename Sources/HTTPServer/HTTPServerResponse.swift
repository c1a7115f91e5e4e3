import Wire

/// A response a handler returns. The server adds `Content-Length` and `Connection`.
public struct HTTPServerResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON body with `Content-Type: application/json`.
    public static func json(_ status: Int, _ value: JSON, headers: HTTPHeaders = HTTPHeaders()) -> HTTPServerResponse {
        var headers = headers
        headers.set("Content-Type", "application/json")
        return HTTPServerResponse(status: status, headers: headers, body: value.serialized())
    }

    /// A plain-text body (`text/plain; charset=utf-8`).
    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> HTTPServerResponse {
        HTTPServerResponse(status: status, headers: HTTPHeaders([("Content-Type", contentType)]), body: Array(text.utf8))
    }

    /// The error shape every server-made answer uses, seed 002's `{code, msg, hint}`:
    /// `{"error": {"code": "NOT_FOUND", "msg": "...", "hint": "..."}}`.
    public static func error(_ status: Int, code: String, _ message: String, hint: String = "",
                             headers: HTTPHeaders = HTTPHeaders()) -> HTTPServerResponse {
        .json(status, ["error": ["code": .string(code), "msg": .string(message), "hint": .string(hint)]], headers: headers)
    }

    /// The reason phrase for the status line.
    static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 411: "Length Required"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }

    /// The bytes on the wire: status line, headers (with `Content-Length` and `Connection` set by
    /// the server), blank line, body — the body left out for HEAD requests.
    func serialized(keepAlive: Bool, omitBody: Bool = false) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        var headers = headers
        headers.set("Content-Length", String(body.count))
        headers.set("Connection", keepAlive ? "keep-alive" : "close")
        for field in headers where Self.isSafe(field.name) && Self.isSafe(field.value) {
            head += "\(field.name): \(field.value)\r\n"
        }
        head += "\r\n"
        var out = Array(head.utf8)
        if !omitBody { out += body }
        return out
    }

    /// No CR or LF: a handler's header can never split the response.
    private static func isSafe(_ text: String) -> Bool { !text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 } }
}
