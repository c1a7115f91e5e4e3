import Foundation
import Synchronization

/// A TCP listener on 127.0.0.1 that accepts connections and never answers, never closes them: a
/// webhook receiver that swallows requests.
public final class SilentListener: Sendable {
    public let port: Int
    private let fd: Int32
    private let accepted = Mutex<[Int32]>([])

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { close(fd); throw POSIXError(.EADDRINUSE) }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            while true {
                let fd = self.fd
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }  // closed by `stop`
                accepted.withLock { $0.append(client) }
            }
        }
    }

    /// Connections accepted so far.
    public var connections: Int { accepted.withLock { $0.count } }

    public func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        accepted.withLock { clients in
            for client in clients { close(client) }
            clients.removeAll()
        }
    }
}
