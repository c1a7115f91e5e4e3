import Synchronization

/// The transaction manager's counters and gauges, readable from any task (the metrics layer).
public final class TxStatistics: Sendable {
    public struct Snapshot: Sendable, Hashable {
        /// Broadcasts the node accepted (first sends, rebroadcasts and bumps).
        public var sent = 0
        /// Re-signed replacements at the same nonce.
        public var bumped = 0
        /// Stored raw bytes sent again because the node did not know them.
        public var rebroadcast = 0
        public var confirmed = 0
        public var reverted = 0
        public var dropped = 0
        /// Mined transactions whose block a reorg removed.
        public var reorgedOut = 0
        public var feeCapReached = 0
        /// Refusals the node named a reason for (underpriced, insufficient funds, intrinsic gas…), once per attempt and reason.
        public var refused = 0
        /// Age in seconds of the oldest pending or mined (unconfirmed) transaction, 0 when none.
        public var oldestPendingAgeSeconds: Double = 0
        /// Stored nonces the node does not count: stored next nonce − the node's pending nonce, when positive.
        public var nonceGap: UInt64 = 0
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ body: (inout Snapshot) -> Void) { state.withLock { body(&$0) } }
}
