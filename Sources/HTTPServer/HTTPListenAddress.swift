/// Where the server listens: `HOST:PORT`, the host an IPv4 or bracketed IPv6
/// literal or `localhost`. Port 0 asks the system for a free port (tests read `HTTPServer.port`).
public struct HTTPListenAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Family: Sendable, Equatable { case ipv4, ipv6 }

    public let host: String
    public let port: Int
    public let family: Family

    /// The default of DESIGN.md §8: loopback only.
    public static let `default` = HTTPListenAddress(host: "127.0.0.1", port: 9464, family: .ipv4)

    init(host: String, port: Int, family: Family) {
        self.host = host
        self.port = port
        self.family = family
    }

    public init(parsing text: String) throws(HTTPServerError) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            throw HTTPServerError(.badAddress, "must be HOST:PORT, not \"\(text)\"")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
            guard host.contains(":") else { throw HTTPServerError(.badAddress, "[\(host)] is not an IPv6 address") }
            self.init(host: host, port: port, family: .ipv6)
        } else {
            if host == "localhost" { host = "127.0.0.1" }
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) else {
                throw HTTPServerError(.badAddress, "\"\(host)\" is not an IPv4 address (write IPv6 as [::1]:PORT)")
            }
            self.init(host: host, port: port, family: .ipv4)
        }
    }

    /// True for 127.0.0.0/8 and ::1.
    public var isLoopback: Bool { family == .ipv4 ? host.hasPrefix("127.") : host == "::1" }

    public var description: String { family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
