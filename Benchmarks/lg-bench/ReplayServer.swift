import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback HTTP/1.1 server (keep-alive, Content-Length bodies, one thread per connection)
/// answering POSTed JSON-RPC with a `RPCRenderer`.
struct ReplayServer {
    struct Failure: Error, CustomStringConvertible { let description: String }

    let renderer: RPCRenderer

    /// Binds 127.0.0.1:`port` (0 picks a free one), prints `listening on http://127.0.0.1:PORT`,
    /// then serves until the process ends.
    func run(port: UInt16) throws -> Never {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw Failure(description: "bind/listen: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        print("lg-bench replay server: \(renderer.corpus.totalLogs) logs in blocks 1…\(renderer.corpus.head), "
            + "contract \(renderer.corpus.contract.hex), chain id \(renderer.corpus.chainID)")
        print("listening on http://127.0.0.1:\(UInt16(bigEndian: address.sin_port))")
        fflush(nil)
        // A test runner may start children with SIGTERM ignored or blocked (exec keeps both): end on it explicitly.
        signal(SIGTERM) { _ in _exit(0) }
        signal(SIGINT) { _ in _exit(0) }
        var ending = sigset_t()
        sigemptyset(&ending)
        sigaddset(&ending, SIGTERM)
        sigaddset(&ending, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &ending, nil)
        let renderer = self.renderer
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            var one: Int32 = 1
            setsockopt(connection, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            Thread.detachNewThread { Self.serve(connection, renderer) }
        }
    }

    /// Serves requests on one connection until the peer closes it.
    static func serve(_ connection: Int32, _ renderer: RPCRenderer) {
        defer { close(connection) }
        var pending = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var out = ByteWriter(capacity: 1 << 20)
        var head = ByteWriter(capacity: 256)
        while true {
            // Read the header block, then Content-Length bytes of body.
            var headerEnd: Int? = nil
            while headerEnd == nil {
                headerEnd = find(pending, [13, 10, 13, 10])
                if headerEnd != nil { break }
                guard receive(connection, &chunk, into: &pending) else { return }
            }
            let headerText = String(decoding: pending[..<headerEnd!], as: UTF8.self)
            let bodyStart = headerEnd! + 4
            var contentLength = 0
            var closeAfter = false
            for line in headerText.split(separator: "\r\n").dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if name == "content-length" { contentLength = Int(value) ?? 0 }
                if name == "connection", value.lowercased() == "close" { closeAfter = true }
            }
            while pending.count < bodyStart + contentLength {
                guard receive(connection, &chunk, into: &pending) else { return }
            }
            let body = Array(pending[bodyStart..<bodyStart + contentLength])
            pending.removeFirst(bodyStart + contentLength)

            out.removeAll()
            renderer.answer(body, into: &out)
            head.removeAll()
            head.literal("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ")
            head.decimal(UInt64(out.count))
            head.literal(closeAfter ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n")
            guard sendAll(connection, head.bytes), sendAll(connection, out.bytes), !closeAfter else { return }
        }
    }

    private static func receive(_ connection: Int32, _ chunk: inout [UInt8], into pending: inout [UInt8]) -> Bool {
        let received = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
        guard received > 0 else { return false }
        pending.append(contentsOf: chunk[0..<received])
        return true
    }

    private static func sendAll(_ connection: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = send(connection, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    private static func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return start }
        }
        return nil
    }
}
