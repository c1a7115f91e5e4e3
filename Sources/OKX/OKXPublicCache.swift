import Foundation
import Synchronization

/// Answers of OKX's public reference data (`public/instruments`) kept for a while, shared by every
/// client of the process. OKX limits that endpoint per IP (20 / 2 s per instrument type), so a
/// cascade of claims on one instrument would otherwise be spaced to ten verifications a second by
/// it alone; an instrument's settlement currency does not change while it is listed.
///
/// A cached answer keeps its bytes and `fetchedAt` (evidence shows when OKX said it) and reports no
/// request, round trip or wait of its own, so a verification's `perf` counts only what it asked.
public final class OKXPublicCache: Sendable {
    /// The cache `OKXConfig` clients share in `lg-keeper`.
    public static let shared = OKXPublicCache(lifetime: 300)

    /// How long an answer is served, in seconds.
    public let lifetime: TimeInterval
    private let entries = Mutex<[String: RawExchangeResponse]>([:])

    public init(lifetime: TimeInterval) {
        self.lifetime = lifetime
    }

    /// The answer for `key` if it is younger than `lifetime` at `now`, marked as served from here.
    func answer(_ key: String, now: Date) -> RawExchangeResponse? {
        entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard now.timeIntervalSince(entry.fetchedAt) < lifetime else {
                entries[key] = nil
                return nil
            }
            return entry
        }
    }

    func store(_ answer: RawExchangeResponse, as key: String) {
        let served = RawExchangeResponse(endpoint: answer.endpoint, requestPath: answer.requestPath, status: answer.status, body: answer.body,
                                         json: answer.json, fetchedAt: answer.fetchedAt, rttMs: 0, attempts: 0, waitedMs: 0)
        entries.withLock { $0[key] = served }
    }
}
