import Foundation
import Indexer
import Synchronization
import Wire

/// What the keeper's loop last saw, for `/readyz`: written by the loop after every round, read by
/// the HTTP server's threads.
public final class KeeperHealth: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var startedAt: Date
        /// When the last round completed (the node answered, every step committed).
        public var lastRoundAt: Date?
        public var lastError: String?
        public var failedRoundsInARow = 0
        public var head: UInt64?
        public var indexed: UInt64?
        /// Claim processing halted after a reorg below the confirmed point.
        public var halted = false
        /// The contract's `paused()` as last read; nil until the first round read it.
        public var contractPaused: Bool?

        public init(startedAt: Date) { self.startedAt = startedAt }
    }

    private let state: Mutex<Snapshot>

    public init(startedAt: Date = Date()) { state = Mutex(Snapshot(startedAt: startedAt)) }

    public var snapshot: Snapshot { state.withLock { $0 } }

    func roundSucceeded(_ report: LogFollower.RoundReport, at date: Date = Date()) {
        state.withLock { s in
            s.lastRoundAt = date
            s.lastError = nil
            s.failedRoundsInARow = 0
            s.head = report.head
            s.indexed = report.indexedThrough
            s.halted = report.halted
        }
    }

    /// Records the contract's `paused()` as read this round.
    func contractPaused(_ paused: Bool) {
        state.withLock { $0.contractPaused = paused }
    }

    /// Records a failed round; returns how many failed in a row.
    func roundFailed(_ message: String) -> Int {
        state.withLock { s in
            s.lastError = message
            s.failedRoundsInARow += 1
            return s.failedRoundsInARow
        }
    }
}

/// `/readyz`'s judgement: ready only when every check passes. Pure, so that each rule is tested alone.
public struct Readiness: Sendable, Equatable {
    public struct Check: Sendable, Equatable {
        public let name: String
        public let ok: Bool
        public let detail: String
    }

    public let checks: [Check]
    public var ready: Bool { checks.allSatisfy(\.ok) }

    /// What the database probe found: why the keeper could not write it (nil: it could), the pause
    /// switch (nil: unreadable) and the space left on its file system (nil: unknown).
    public struct DatabaseState: Sendable, Equatable {
        public let writeError: String?
        public let paused: Bool?
        public let freeBytes: UInt64?
        public init(writeError: String?, paused: Bool?, freeBytes: UInt64? = nil) {
            self.writeError = writeError
            self.paused = paused
            self.freeBytes = freeBytes
        }
    }

    /// - Parameters:
    ///   - staleAfter: seconds without a completed round after which the node counts as not answering.
    ///   - maxLag: blocks the index may trail the head.
    public init(health: KeeperHealth.Snapshot, database: DatabaseState, maxLag: UInt64, staleAfter: TimeInterval, now: Date = Date()) {
        var checks = [Check]()
        checks.append(Check(name: "database", ok: database.writeError == nil,
                            detail: database.writeError.map { "not writable: \($0)" }
                                ?? "writable" + (database.freeBytes.map { ", \($0 >> 20) MiB free" } ?? "")))
        if let last = health.lastRoundAt {
            let age = now.timeIntervalSince(last)
            let ok = age <= staleAfter
            checks.append(Check(name: "rpc", ok: ok, detail: ok ? String(format: "last round %.1f s ago", age)
                : String(format: "no round has reached the node for %.0f s", age) + (health.lastError.map { ": \($0)" } ?? "")))
        } else {
            checks.append(Check(name: "rpc", ok: false, detail: "no round has completed yet" + (health.lastError.map { ": \($0)" } ?? "")))
        }
        if let head = health.head, let indexed = health.indexed {
            let lag = head > indexed ? head - indexed : 0
            checks.append(Check(name: "lag", ok: lag <= maxLag, detail: "\(lag) blocks behind the head (at most \(maxLag))"))
        } else {
            checks.append(Check(name: "lag", ok: false, detail: "nothing indexed yet"))
        }
        switch database.paused {
        case .some(false): checks.append(Check(name: "paused", ok: true, detail: "the keeper has not paused payouts"))
        case .some(true): checks.append(Check(name: "paused", ok: false, detail: "the keeper paused payouts: see `lg-keeper reconcile`, then `lg-keeper resume`"))
        case .none: checks.append(Check(name: "paused", ok: false, detail: "the pause switch could not be read"))
        }
        switch health.contractPaused {
        case .some(false): checks.append(Check(name: "contract", ok: true, detail: "the contract is not paused"))
        case .some(true): checks.append(Check(name: "contract", ok: false, detail: "the contract is paused by its owner (paused()): payouts wait until it is unpaused"))
        case .none: checks.append(Check(name: "contract", ok: false, detail: "the contract's paused() has not been read yet"))
        }
        checks.append(Check(name: "reorg", ok: !health.halted,
                            detail: health.halted ? "claim processing halted after a reorg below the confirmed block: see `lg-keeper status`" : "no deep reorg"))
        self.checks = checks
    }

    public var json: JSON {
        var members = [String: JSON]()
        for check in checks { members[check.name] = ["ok": .bool(check.ok), "detail": .string(check.detail)] }
        return ["ready": .bool(ready), "checks": .object(members)]
    }
}
