import Foundation
import Indexer
import Logging
import Synchronization

/// Named seams of the settlement path where a crash test or a chaos run makes the keeper kill
/// itself with SIGKILL — no cleanup, no flush, as a power cut would — to show that a restart loses
/// nothing and sends nothing twice (DESIGN.md §6).
///
/// Armed by `LGK_CRASH_AT=point` or `LGK_CRASH_AT=point:n` (the n-th time this process reaches the
/// point; 1 when omitted), read once per process. For tests and chaos runs only, never in a
/// production environment. Unarmed, `reach` costs one load and a compare.
///
/// The names are stable: scripts and tests refer to them.
public enum CrashPoint: String, CaseIterable, Sendable {
    /// A transaction is simulated, priced and about to be signed; neither it nor the claim's new state is stored.
    case beforeCommit
    /// The signed transaction and the claim's new state are committed; nothing is broadcast.
    case afterCommit
    /// Stored bytes are about to go to `eth_sendRawTransaction` (first send, resync, rebroadcast or bump).
    case beforeBroadcast
    /// The node accepted the transaction; `txs.sent_at` is not written.
    case afterBroadcast
    /// A receipt of one of the job's attempts was read; the transaction is still stored as pending.
    case beforeReceipt
    /// The receipt is stored (`mined`); the transaction is not final yet.
    case afterReceipt
    /// The transaction's final state (confirmed or reverted) is stored; the claim has not acted on it.
    case afterFinal
    /// The verdict is confirmed (or adopted from the contract) and the claim moved; no `executePayout` is submitted.
    case afterVerdict

    /// The environment variable that arms a crash point.
    public static let environmentVariable = "LGK_CRASH_AT"

    /// Which point kills the process, and on which of its occurrences.
    public struct Trigger: Sendable, Equatable, CustomStringConvertible {
        public let point: CrashPoint
        public let occurrence: Int

        /// `point` or `point:n`, n ≥ 1.
        public init(parsing text: String) throws(KeeperError) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            let names = CrashPoint.allCases.map(\.rawValue).joined(separator: ", ")
            guard parts.count <= 2, let point = CrashPoint(rawValue: String(parts[0])) else {
                throw KeeperError(.config, "\(CrashPoint.environmentVariable)=\(text): expected POINT or POINT:N with POINT one of \(names)")
            }
            guard let occurrence = parts.count == 2 ? Int(parts[1]) : 1, occurrence >= 1 else {
                throw KeeperError(.config, "\(CrashPoint.environmentVariable)=\(text): N must be a whole number ≥ 1")
            }
            self.point = point
            self.occurrence = occurrence
        }

        public var description: String { "\(point.rawValue):\(occurrence)" }
    }

    private static let armed = Result { () throws(KeeperError) -> Trigger? in
        try ProcessInfo.processInfo.environment[environmentVariable].map { value throws(KeeperError) in try Trigger(parsing: value) }
    }
    private static let reachedCount = Atomic<Int>(0)

    /// The trigger this process was started with, if any. Throws `.config` for a malformed value, so
    /// that the keeper refuses to start rather than run a chaos test that never crashes.
    public static func trigger() throws(KeeperError) -> Trigger? { try armed.get() }

    /// Kills the process with SIGKILL when this is the armed point reached for the armed time.
    /// The one line logged first names the point, for whoever reads the crashed run's log.
    func reach(_ log: Logger) {
        guard case .success(let trigger?) = Self.armed, trigger.point == self else { return }
        guard Self.reachedCount.add(1, ordering: .relaxed).newValue == trigger.occurrence else { return }
        log.warn("crash point reached: SIGKILL", ["crash_at": "\(trigger)"])
        kill(getpid(), SIGKILL)
        _exit(128 + SIGKILL)  // unreachable: SIGKILL cannot be caught or blocked; still no cleanup if it were
    }
}
