import Synchronization

/// Requests per client per minute, a token bucket per peer address (the port left out): a client
/// may burst up to the whole minute's allowance, then gets one request per `60 / perMinute` seconds.
/// Over the limit the server answers 429 with `Retry-After` without calling the router.
final class HTTPRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedMs: Int64
    }

    let perMinute: Int
    /// Buckets kept at most; past this, full buckets (idle clients) are dropped first.
    private let maximumClients = 10_000
    private let buckets = Mutex<[String: Bucket]>([:])
    /// Milliseconds on a monotonic clock.
    private let clock: @Sendable () -> Int64

    init(perMinute: Int, clock: @escaping @Sendable () -> Int64 = { HTTPSocket.monotonicMilliseconds() }) {
        self.perMinute = max(1, perMinute)
        self.clock = clock
    }

    /// Takes one request from `client`'s allowance: nil when allowed, else the seconds to wait.
    func take(_ client: String) -> Int? { take(client, nowMs: clock()) }

    func take(_ client: String, nowMs: Int64) -> Int? {
        let capacity = Double(perMinute)
        let perMs = capacity / 60_000
        return buckets.withLock { buckets -> Int? in
            var bucket = buckets[client] ?? Bucket(tokens: capacity, updatedMs: nowMs)
            bucket.tokens = min(capacity, bucket.tokens + Double(max(0, nowMs - bucket.updatedMs)) * perMs)
            bucket.updatedMs = nowMs
            defer {
                buckets[client] = bucket
                if buckets.count > maximumClients { Self.prune(&buckets, capacity: capacity, perMs: perMs, nowMs: nowMs) }
            }
            guard bucket.tokens >= 1 else {
                return max(1, Int(((1 - bucket.tokens) / perMs / 1_000).rounded(.up)))
            }
            bucket.tokens -= 1
            return nil
        }
    }

    private static func prune(_ buckets: inout [String: Bucket], capacity: Double, perMs: Double, nowMs: Int64) {
        buckets = buckets.filter { $0.value.tokens + Double(nowMs - $0.value.updatedMs) * perMs < capacity }
    }

    /// The address part of "host:port" / "[v6]:port": every connection of one client shares a bucket.
    static func client(of peer: String) -> String {
        if peer.hasPrefix("["), let close = peer.firstIndex(of: "]") { return String(peer[...close]) }
        guard let colon = peer.lastIndex(of: ":") else { return peer }
        return String(peer[..<colon])
    }
}
