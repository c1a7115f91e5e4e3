import Synchronization

/// Keeps requests within OKX's published limits per (subject, endpoint): a sliding window that
/// hands out time slots, so a caller over the limit waits for its slot instead of failing.
///
/// A request gets the earliest instant at which the window before it (plus `safetyMargin`, for
/// network jitter between here and OKX) holds fewer than `limit.requests` requests. Slots are
/// reserved under a lock, so concurrent callers are spaced too. Share one limiter per process
/// (`shared`): OKX counts a user's requests across all of that user's clients.
public final class OKXRateLimiter: Sendable {
    /// Whose budget a request spends: a user (or IP) and an endpoint, plus the instrument or
    /// instrument type where OKX's limit is per instrument.
    public struct Key: Sendable, Hashable {
        public let subject: String
        public let endpoint: String

        public init(subject: String, endpoint: String) {
            self.subject = subject
            self.endpoint = endpoint
        }
    }

    /// The limiter the clients use unless given another.
    public static let shared = OKXRateLimiter()

    /// Added to every window: requests spaced exactly one window apart here may arrive closer
    /// together at OKX.
    public let safetyMargin: Duration
    private let slots = Mutex<[Key: [ContinuousClock.Instant]]>([:])
    private static let pruneThreshold = 1024

    public init(safetyMargin: Duration = .milliseconds(100)) {
        self.safetyMargin = safetyMargin
    }

    /// Waits until a request for `key` fits `limit`; returns how long it waited.
    public func acquire(_ key: Key, limit: OKXRateLimit) async throws(CancellationError) -> Duration {
        let now = ContinuousClock.now
        let slot = reserve(key, limit: limit, now: now)
        guard slot > now else { return .zero }
        do { try await Task.sleep(until: slot, clock: .continuous) } catch { throw CancellationError() }
        return slot - now
    }

    /// Reserves the earliest slot at or after `now` for `key` and returns it.
    func reserve(_ key: Key, limit: OKXRateLimit, now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let window = limit.window + safetyMargin
        return slots.withLock { all in
            if all.count > Self.pruneThreshold {
                all = all.filter { _, times in times.last.map { $0 > now - window } ?? false }
            }
            var times = all[key] ?? []
            times.removeAll { $0 <= now - window }
            // Times are non-decreasing; the new slot must leave the window before it with fewer
            // than `requests` entries, i.e. come a window after the `requests`-th latest one.
            var slot = now
            if times.count >= limit.requests {
                slot = max(now, times[times.count - limit.requests] + window)
            }
            times.append(slot)
            all[key] = times
            return slot
        }
    }
}
