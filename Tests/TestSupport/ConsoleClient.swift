#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One HTTP/1.1 request per connection to the console on 127.0.0.1, with no redirect following and no
/// cookie jar: the tests see each 303 and `Set-Cookie` as sent.
public struct ConsoleClient: Sendable {
    public let port: Int

    public init(port: Int) { self.port = port }

    /// `http://127.0.0.1:PORT` → a client for it.
    public init?(base: String) {
        guard let port = base.split(separator: ":").last.flatMap({ Int($0) }) else { return nil }
        self.port = port
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public struct Response: Sendable {
        public let status: Int
        public let headers: [(String, String)]
        public let body: String
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        public var cookies: [String] { headers.filter { $0.0.lowercased() == "set-cookie" }.map(\.1) }
        /// The value `Set-Cookie` gives `name`.
        public func cookie(_ name: String) -> String? {
            cookies.compactMap { c -> String? in
                let pair = c.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
                return pair.count == 2 && pair[0] == name ? String(pair[1]) : nil
            }.first
        }
    }

    /// The CSRF token of the first form of a page.
    public static func csrf(in body: String) -> String? {
        body.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/).map { String($0.1) }
    }

    /// `method path`, with a `Cookie` header and a url-encoded `form` body when given.
    public func request(_ method: String, _ path: String, cookie: String? = nil, form: [String: String]? = nil,
                        headers extra: [String: String] = [:]) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "cannot connect to 127.0.0.1:\(port)") }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = form.map { fields in
            fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
        } ?? ""
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        if let cookie { head += "Cookie: \(cookie)\r\n" }
        for (name, value) in extra.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        if form != nil { head += "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n" }
        let bytes = Array((head + "\r\n" + body).utf8)
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw Failure(description: "send failed") }
            offset += sent
        }
        var out = [UInt8](), chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            out += chunk[..<count]
        }
        let text = String(decoding: out, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "no complete response: \(text.prefix(200))") }
        let headLines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusWords = headLines[0].split(separator: " ")
        guard statusWords.count >= 2, let status = Int(statusWords[1]) else { throw Failure(description: "bad status line \(headLines[0])") }
        let headers = headLines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Response(status: status, headers: headers, body: String(text[split.upperBound...]))
    }
}
