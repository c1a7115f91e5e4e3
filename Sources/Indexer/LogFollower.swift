import Ethereum
import Logging
import Store

/// Follows the contract's logs into the `events` and `claims` tables (DESIGN.md §5): backfill and
/// live following through one adaptive path, validated answers, reorgs undone, confirmed ranges
/// re-scanned. Use it from one task at a time; it owns its store's connection.
public final class LogFollower {
    /// How the follower behaves: which chain and contract, and how it fetches. The keeper builds it
    /// from its `ChainConfig`; tests adjust it.
    public struct Options: Sendable {
        /// The chain id the node must report.
        public var chainID: UInt64
        public var contract: Address
        /// The first block indexed in a new database.
        public var startBlock: UInt64
        public var confirmations: UInt64
        public var useFinalizedTag: Bool
        public var maxBlockRange: Int
        public var pollInterval: Duration
        /// Zero re-scans every round.
        public var rescanInterval: Duration
        public var hashWindow: Int
        /// Failed attempts at one range (transient errors, inconsistent answers) before a round gives up.
        public var maxAttempts: Int = 10
        public var retryBaseDelay: Duration = .milliseconds(50)

        public init(chainID: UInt64, contract: Address, startBlock: UInt64, confirmations: UInt64, useFinalizedTag: Bool,
                    maxBlockRange: Int, pollInterval: Duration, rescanInterval: Duration, hashWindow: Int) {
            self.chainID = chainID
            self.contract = contract
            self.startBlock = startBlock
            self.confirmations = confirmations
            self.useFinalizedTag = useFinalizedTag
            self.maxBlockRange = maxBlockRange
            self.pollInterval = pollInterval
            self.rescanInterval = rescanInterval
            self.hashWindow = hashWindow
        }
    }

    /// What happened in one round.
    public struct RoundReport: Sendable, Hashable {
        public let head: UInt64
        public let confirmed: UInt64
        /// The newest indexed block (nil before the first).
        public let indexedThrough: UInt64?
        public let newEvents: Int
        public let reorgs: Int
        public let recoveredLogs: Int
        public let halted: Bool
    }

    let rpc: any ChainLogSource
    public let store: IndexStore
    public var options: Options
    var sizer: BlockRangeSizer
    public internal(set) var statistics = FollowerStatistics()
    var lastRescan: ContinuousClock.Instant
    let log: Logger
    /// Called after each committed range; a test throws from it to stop mid-backfill.
    public var onCommit: ((ClosedRange<UInt64>) throws -> Void)?
    /// Told where indexing stands from the node's first answer of each round and after every committed
    /// range (the keeper's head, indexed and lag gauges), not only when a round ends.
    public var onProgress: (@Sendable (IndexProgress) -> Void)?
    /// How often a long catch-up logs its progress.
    public var progressInterval: Duration = .seconds(10)

    public init(rpc: any ChainLogSource, store: IndexStore, options: Options, log: Logger = .discarding) {
        self.rpc = rpc
        self.store = store
        self.options = options
        self.sizer = BlockRangeSizer(maximum: options.maxBlockRange)
        self.lastRescan = ContinuousClock.now
        self.log = log
    }

    /// Checks the node's chain id against the configuration and opens (or checks) the cursor.
    public func start() async throws(KeeperError) {
        let nodeChainID: UInt64
        do { nodeChainID = try await rpc.chainID() } catch {
            throw KeeperError(.unavailable, "cannot read eth_chainId: \(error.description)")
        }
        guard nodeChainID == options.chainID else {
            throw KeeperError(.config, "chain.chainId is \(options.chainID) but the node reports \(nodeChainID): wrong node or wrong configuration")
        }
        try store.openCursor(chainID: options.chainID, contract: options.contract, startBlock: options.startBlock)
        sizer = BlockRangeSizer(maximum: options.maxBlockRange)
    }

    /// Follows until cancelled: one round, then a pause of `pollInterval`. A failed round is
    /// logged and retried; only cancellation ends it.
    public func run() async throws(KeeperError) {
        while !Task.isCancelled {
            do {
                let report = try await round()
                if report.newEvents > 0 || report.reorgs > 0 {
                    log.info("indexed", ["head": .int(report.head), "confirmed": .int(report.confirmed),
                                         "indexed": report.indexedThrough.map { .int($0) } ?? "none", "new_events": .int(report.newEvents),
                                         "reorgs": .int(report.reorgs), "halted": .bool(report.halted)])
                }
            } catch {
                log.error("round failed", ["error": "\(error.message)"])
            }
            do { try await Task.sleep(for: options.pollInterval) } catch { return }
        }
    }

    /// One round: the chain's tip, a reorg check, indexing up to the head, and a re-scan when due.
    public func round() async throws(KeeperError) -> RoundReport {
        let before = statistics
        let tip = try await retrying("eth_blockNumber") { () async throws(RPCError) in try await rpc.tip(finalized: options.useFinalizedTag) }
        let confirmed = options.useFinalizedTag ? min(tip.finalized ?? 0, tip.head) : (tip.head >= options.confirmations ? tip.head - options.confirmations : 0)
        statistics.head = tip.head
        if let onProgress, let cursor = try store.cursor() { onProgress(IndexProgress(head: tip.head, confirmed: confirmed, cursor: cursor)) }
        _ = try await detectReorg(head: tip.head)
        try await catchUp(head: tip.head, confirmed: confirmed)
        if ContinuousClock.now - lastRescan >= options.rescanInterval {
            try await rescan()
            lastRescan = ContinuousClock.now
        }
        guard let cursor = try store.cursor() else { throw KeeperError(.store, "no cursor") }
        return RoundReport(head: tip.head, confirmed: cursor.confirmedBlock,
                           indexedThrough: cursor.nextBlock > cursor.startBlock ? cursor.nextBlock - 1 : nil,
                           newEvents: statistics.eventsIndexed - before.eventsIndexed, reorgs: statistics.reorgs - before.reorgs,
                           recoveredLogs: statistics.missedLogsRecovered - before.missedLogsRecovered, halted: cursor.halted)
    }

    /// Indexes from the cursor up to `head`, range by range, each committed with the cursor.
    func catchUp(head: UInt64, confirmed: UInt64) async throws(KeeperError) {
        var parentMismatches = 0
        var progress: CatchUpProgress?
        while let cursor = try store.cursor(), cursor.nextBlock <= head {
            if progress == nil {
                progress = CatchUpProgress(from: cursor.nextBlock, head: head, events: statistics.eventsIndexed)
                if head - cursor.nextBlock + 1 > UInt64(options.maxBlockRange) {
                    progress?.logged = true
                    log.info("catching up", ["from": .int(cursor.nextBlock), "head": .int(head), "blocks": .int(head - cursor.nextBlock + 1)])
                }
            }
            progress?.report(log, statistics, next: cursor.nextBlock, every: progressInterval)
            let from = cursor.nextBlock
            let valid = try await fetchRange(from: from, limit: head, denseFrom: confirmed)
            if from > 0, let parent = try store.storedBlock(from - 1), let first = valid.headers.first,
               parent.hash != first.parentHash.description {
                // The chain changed under the stored tip: a reorg, or a node answering from another fork.
                if try await detectReorg(head: head) { continue }
                statistics.inconsistentAnswers += 1
                parentMismatches += 1
                guard parentMismatches < options.maxAttempts else {
                    throw KeeperError(.unavailable, "block \(from)'s parent differs from the stored block \(from - 1), yet the node's block \(from - 1) matches: the node answers inconsistently")
                }
                try await pause(parentMismatches)
                continue
            }
            let inserted = try store.commit(range: valid.range, headers: valid.headers, events: valid.events, head: head,
                                            confirmed: confirmed, hashWindow: options.hashWindow)
            statistics.rangesIndexed += 1
            statistics.eventsIndexed += inserted
            statistics.indexedBlock = valid.range.upperBound
            onProgress?(IndexProgress(head: head, confirmed: confirmed, indexed: valid.range.upperBound))
            if let onCommit {
                do { try onCommit(valid.range) } catch { throw KeeperError(.unavailable, "stopped after range \(valid.range): \(error)") }
            }
        }
        if let progress, progress.logged { progress.finish(log, statistics) }
    }

    func pause(_ failures: Int) async throws(KeeperError) {
        let exponent = min(failures, 6)
        let delay = options.retryBaseDelay * (1 << exponent)
        do { try await Task.sleep(for: min(delay, .seconds(2))) } catch { throw KeeperError(.unavailable, "cancelled") }
    }
}

/// Where indexing stands: the node's head, the confirmed point, the newest indexed block (nil
/// before the first) and the blocks still to index.
public struct IndexProgress: Sendable, Hashable {
    public let head: UInt64
    public let confirmed: UInt64
    public let indexed: UInt64?
    /// Blocks between the newest indexed block (or the start block) and the head.
    public let lag: UInt64

    init(head: UInt64, confirmed: UInt64, indexed: UInt64?, lag: UInt64) {
        self.head = head
        self.confirmed = confirmed
        self.indexed = indexed
        self.lag = lag
    }

    init(head: UInt64, confirmed: UInt64, indexed: UInt64) {
        self.head = head
        self.confirmed = confirmed
        self.indexed = indexed
        lag = head > indexed ? head - indexed : 0
    }

    init(head: UInt64, confirmed: UInt64, cursor: IndexCursor) {
        self.head = head
        self.confirmed = confirmed
        indexed = cursor.nextBlock > cursor.startBlock ? cursor.nextBlock - 1 : nil
        lag = head >= cursor.nextBlock ? head - cursor.nextBlock + 1 : 0
    }
}

/// A catch-up's progress line, at most once per interval: blocks done of the total, blocks and logs per
/// second, and the time left at that pace.
struct CatchUpProgress {
    let from: UInt64
    let head: UInt64
    let events: Int
    let started = ContinuousClock.now
    var lastLine = ContinuousClock.now
    var logged = false

    init(from: UInt64, head: UInt64, events: Int) {
        self.from = from
        self.head = head
        self.events = events
    }

    mutating func report(_ log: Logger, _ statistics: FollowerStatistics, next: UInt64, every interval: Duration) {
        let now = ContinuousClock.now
        guard now - lastLine >= interval, next > from else { return }
        lastLine = now
        logged = true
        let seconds = Self.seconds(now - started)
        let done = next - from, total = head - from + 1
        let blocksPerSecond = Double(done) / seconds
        let eta = blocksPerSecond > 0 ? Int((Double(total - done) / blocksPerSecond).rounded(.up)) : 0
        log.info("indexing", ["blocks_done": .int(done), "blocks_total": .int(total), "blocks_per_s": .int(Int(blocksPerSecond.rounded())),
                              "logs": .int(statistics.eventsIndexed - events), "logs_per_s": .int(Int((Double(statistics.eventsIndexed - events) / seconds).rounded())),
                              "eta_s": .int(eta), "at": .int(next), "head": .int(head)])
    }

    func finish(_ log: Logger, _ statistics: FollowerStatistics) {
        let seconds = Self.seconds(ContinuousClock.now - started)
        log.info("caught up", ["blocks": .int(head - from + 1), "logs": .int(statistics.eventsIndexed - events), "seconds": .int(Int(seconds.rounded()))])
    }

    static func seconds(_ duration: Duration) -> Double {
        max(0.001, Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}

/// Counters of one follower's life, for metrics and tests.
public struct FollowerStatistics: Sendable, Hashable {
    public var head: UInt64 = 0
    public var indexedBlock: UInt64 = 0
    public var rangesIndexed = 0
    public var eventsIndexed = 0
    /// Ranges a provider refused as too wide or too full.
    public var rangeRefusals = 0
    /// Answers refused by validation (and retried).
    public var inconsistentAnswers = 0
    /// Transport, HTTP and transient RPC failures retried.
    public var transientFailures = 0
    /// Rate-limit answers (HTTP 429, -32005) waited out; the range was kept.
    public var rateLimited = 0
    /// "block range extends beyond current head block" answers waited out (a backend behind the head).
    public var backendBehind = 0
    /// Headers fetched for validation: each range's ends, its provisional blocks and the blocks holding logs.
    public var headersFetched = 0
    public var reorgs = 0
    public var deepestReorg: UInt64 = 0
    public var finalityViolations = 0
    public var rescannedRanges = 0
    public var missedLogsRecovered = 0
}
