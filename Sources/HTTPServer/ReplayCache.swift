import Synchronization

/// Signatures already accepted, each remembered until its timestamp leaves the window (after
/// which the timestamp alone refuses it). Bounded: when full of live entries it refuses new
/// ones rather than forget one that could be replayed.
final class ReplayCache: Sendable {
    enum Outcome: Equatable { case fresh, replayed, full }

    private struct Entries {
        var expiry: [[UInt8]: Int64] = [:]
        var insertsSincePrune = 0
    }

    let capacity: Int
    private let entries = Mutex(Entries())

    init(capacity: Int) { self.capacity = capacity }

    /// Records `signature` until `expiresAt` (unix seconds) unless it is already there.
    func insert(_ signature: [UInt8], expiresAt: Int64, now: Int64) -> Outcome {
        entries.withLock { e in
            if let expiry = e.expiry[signature], expiry >= now { return .replayed }
            e.insertsSincePrune += 1
            if e.expiry.count >= capacity || e.insertsSincePrune >= 1_024 {
                e.expiry = e.expiry.filter { $0.value >= now }
                e.insertsSincePrune = 0
            }
            guard e.expiry.count < capacity else { return .full }
            e.expiry[signature] = expiresAt
            return .fresh
        }
    }

    var count: Int { entries.withLock { $0.expiry.count } }
}
