import CCurl
import Foundation

/// The connections one `HTTPClient` keeps alive for reuse: a libcurl share of the connection cache,
/// used by all the client's easy handles. A new client starts with none of its own and a released
/// client's close with it, as when each easy handle kept its own; without it, every client would
/// reuse the connections of the process's one multi handle (a fresh client's first request could
/// land on a connection another left, and libcurl quietly retries a request whose reused connection
/// turned out dead, which hides one failure from the caller's own retry count).
///
/// libcurl documents sharing connections between concurrent threads as unsafe (a known bug): only
/// the driver's thread runs transfers, and the locks cover what other threads do (attaching a
/// handle, and the cleanup when the last handle is gone).
final class ConnectionCache: @unchecked Sendable {
    let share: UnsafeMutableRawPointer
    /// One per kind of shared data: libcurl takes them nested (cleanup holds the share's while it
    /// closes connections under the connection cache's).
    private let locks: [NSLock]

    init?() {
        _ = HTTPClient.globalInit
        guard let share = curl_share_init() else { return nil }
        self.share = share
        locks = (0..<Int(CURL_LOCK_DATA_LAST.rawValue)).map { _ in NSLock() }
        CCurl_share_setopt_pointer(share, CURLSHOPT_USERDATA, Unmanaged.passUnretained(self).toOpaque())
        CCurl_share_setopt_lockfunc(share) { _, data, _, context in
            guard let context else { return }
            Unmanaged<ConnectionCache>.fromOpaque(context).takeUnretainedValue().locks[Int(data.rawValue)].lock()
        }
        CCurl_share_setopt_unlockfunc(share) { _, data, context in
            guard let context else { return }
            Unmanaged<ConnectionCache>.fromOpaque(context).takeUnretainedValue().locks[Int(data.rawValue)].unlock()
        }
        CCurl_share_setopt_data(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT)
    }

    /// Runs after the last easy handle using the share is gone (each holds this cache): closes its connections.
    deinit { curl_share_cleanup(share) }
}
