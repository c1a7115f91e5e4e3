import Synchronization
import Wire

/// What the endpoints accept: calls per JSON-RPC batch (Erigon takes 100 by default, geth 1,000;
/// metered providers bill each call of a batch) and calls per second. See docs/PROVIDERS.md.
public struct RPCLimits: Sendable, Hashable {
    /// Calls per batch; a larger batch is sent in parts, and narrowed further when a node refuses one.
    public var maxBatchSize: Int
    /// Calls per second, counted per call (a batch of 50 counts 50); nil for no limit.
    public var maxRequestsPerSecond: Double?

    public init(maxBatchSize: Int = 50, maxRequestsPerSecond: Double? = nil) {
        self.maxBatchSize = max(1, maxBatchSize)
        self.maxRequestsPerSecond = maxRequestsPerSecond.flatMap { $0 > 0 ? $0 : nil }
    }
}

/// Spaces calls out to at most a rate, and holds every caller back after a server asked for a pause
/// (Retry-After). Reservations are made in arrival order, so a burst is spread, not dropped.
final class RequestPacer: Sendable {
    private let interval: Duration?
    private let next = Mutex(ContinuousClock.now)

    init(callsPerSecond: Double?) {
        interval = callsPerSecond.map { .nanoseconds(Int64((1_000_000_000 / $0).rounded(.up))) }
    }

    /// Waits for the turn of `calls` calls.
    func admit(calls: Int) async throws(RPCError) {
        let now = ContinuousClock.now
        let start = next.withLock { next in
            let start = max(next, now)
            next = start + (interval.map { $0 * calls } ?? .zero)
            return start
        }
        guard start > now else { return }
        do { try await Task.sleep(until: start, tolerance: .zero, clock: .continuous) } catch { throw .transport(HTTPError(.transport, "cancelled")) }
    }

    /// Holds every later call back until `duration` from now.
    func hold(for duration: Duration) {
        let until = ContinuousClock.now + duration
        next.withLock { $0 = max($0, until) }
    }
}
