import Logging
import Synchronization
import Testing
import Wire
@testable import Ethereum
@testable import Indexer
@testable import Store

/// A chain in memory: block n's hash names its fork, so a reorg is a change of fork from some block
/// on; the blocks in `logBlocks` each hold one `FundsDeposited` log of the contract.
final class ScriptedChain: ChainLogSource {
    struct State {
        var forks: [UInt8]
        var logBlocks: Set<UInt64>
    }
    let state: Mutex<State>
    let id: UInt64

    init(blocks: Int, logBlocks: Set<UInt64>, chainID: UInt64 = 1) {
        state = Mutex(State(forks: Array(repeating: 0, count: blocks), logBlocks: logBlocks))
        id = chainID
    }

    /// Replaces every block from `block` on with fork `fork`'s.
    func reorg(from block: UInt64, fork: UInt8) {
        state.withLock { for n in Int(block)..<$0.forks.count { $0.forks[n] = fork } }
    }

    private static func header(_ n: UInt64, _ state: State) -> BlockHeader {
        let parent = n == 0 ? "0x" + String(repeating: "0", count: 64) : RangeValidatorTests.hash(n - 1, fork: state.forks[Int(n - 1)])
        return try! BlockHeader(json: ["number": .string("0x" + String(n, radix: 16)), "hash": .string(RangeValidatorTests.hash(n, fork: state.forks[Int(n)])),
                                       "parentHash": .string(parent), "timestamp": "0x1", "gasLimit": "0x1", "gasUsed": "0x0"])
    }

    func chainID() async throws(RPCError) -> UInt64 { id }

    func tip(finalized: Bool) async throws(RPCError) -> ChainTip {
        ChainTip(head: UInt64(state.withLock { $0.forks.count } - 1), finalized: nil)
    }

    func headers(_ numbers: [UInt64]) async throws(RPCError) -> [UInt64: BlockHeader] {
        state.withLock { state in
            Dictionary(uniqueKeysWithValues: numbers.filter { $0 < state.forks.count }.map { ($0, Self.header($0, state)) })
        }
    }

    func logsWithHeaders(from: UInt64, to: UInt64, addresses: [Address], headerNumbers: [UInt64]) async throws(RPCError) -> LogRangeAnswer {
        let (logBlocks, forks) = state.withLock { ($0.logBlocks, $0.forks) }
        let logs = logBlocks.filter { (from...to).contains($0) }.sorted().map { n in
            try! RangeValidatorTests.log(block: n, index: 0, blockHash: RangeValidatorTests.hash(n, fork: forks[Int(n)]))
        }
        return LogRangeAnswer(headers: try await headers(headerNumbers), logs: logs)
    }
}

@Suite struct LogFollowerTests {
    static func options(chainID: UInt64 = 1) -> LogFollower.Options {
        var options = LogFollower.Options(chainID: chainID, contract: RangeValidatorTests.contract, startBlock: 1, confirmations: 2,
                                          useFinalizedTag: false, maxBlockRange: 5, pollInterval: .zero, rescanInterval: .seconds(3_600),
                                          hashWindow: 64)
        options.maxAttempts = 3
        options.retryBaseDelay = .milliseconds(1)
        return options
    }

    final class Halts { var reasons = [String]() }

    static func follower(_ chain: ScriptedChain, halts: Halts = Halts(), chainID: UInt64 = 1) throws -> LogFollower {
        let store = try IndexStore(database: try Database(path: ":memory:")) { _, reason in halts.reasons.append(reason) }
        return LogFollower(rpc: chain, store: store, options: options(chainID: chainID))
    }

    static func eventBlocks(_ store: IndexStore) throws -> [String] {
        try store.database.fetchAll("SELECT block_number, block_hash FROM events ORDER BY block_number").map {
            "\(try $0.get("block_number", as: UInt64.self)):\(try $0.get("block_hash", as: String.self).suffix(18).prefix(2))"
        }
    }

    @Test func backfillsInRangesAndUndoesAReorgAboveTheConfirmedPoint() async throws {
        let chain = ScriptedChain(blocks: 20, logBlocks: [3, 7, 12, 18, 19])
        let halts = Halts()
        let follower = try Self.follower(chain, halts: halts)
        try await follower.start()
        let first = try await follower.round()
        #expect(first.head == 19 && first.confirmed == 17 && first.indexedThrough == 19 && first.newEvents == 5 && !first.halted)
        #expect(follower.statistics.rangesIndexed == 4, "19 blocks from block 1 in ranges of at most 5")
        #expect(try Self.eventBlocks(follower.store) == ["3:00", "7:00", "12:00", "18:00", "19:00"])

        chain.reorg(from: 18, fork: 1)
        let second = try await follower.round()
        #expect(second.reorgs == 1 && !second.halted)
        #expect(follower.statistics.deepestReorg == 2 && follower.statistics.finalityViolations == 0)
        #expect(try Self.eventBlocks(follower.store) == ["3:00", "7:00", "12:00", "18:01", "19:01"])
        #expect(halts.reasons.isEmpty)
    }

    @Test func aReorgBelowTheConfirmedPointHaltsAndIsReported() async throws {
        let chain = ScriptedChain(blocks: 20, logBlocks: [3, 12, 18])
        let halts = Halts()
        let follower = try Self.follower(chain, halts: halts)
        try await follower.start()
        _ = try await follower.round()

        chain.reorg(from: 10, fork: 2)
        let report = try await follower.round()
        #expect(report.reorgs == 1 && report.halted)
        // Below the confirmed point only range ends and blocks with logs keep their hashes: the common
        // ancestor found is block 6, the end of the range 6…10 nearest below the fork.
        #expect(try follower.store.database.fetchOne("SELECT ancestor_block FROM reorgs", as: Int.self) == 6)
        #expect(follower.statistics.finalityViolations == 1 && follower.statistics.deepestReorg == 13)
        #expect(halts.reasons == ["reorg of depth 13 rewrote block 7, at or below the confirmed block 17"])
        #expect(try Self.eventBlocks(follower.store) == ["3:00", "12:02", "18:02"], "re-indexed from the new fork")
        #expect(try follower.store.database.fetchOne("SELECT count(*) FROM actionable_claims", as: Int.self) == 0)
    }

    @Test func aNodeOnAnotherChainIsRefused() async throws {
        let follower = try Self.follower(ScriptedChain(blocks: 3, logBlocks: []), chainID: 5)
        let error = await #expect(throws: KeeperError.self) { try await follower.start() }
        #expect(error?.code == .config)
    }

    /// Where indexing stands is told from the node's first answer (head known, nothing indexed yet) and
    /// after every range; a catch-up logs its start, its progress at most once per interval, and its end.
    @Test func aCatchUpReportsItsProgressFromTheFirstAnswer() async throws {
        let chain = ScriptedChain(blocks: 200, logBlocks: [3, 50, 51, 190])
        let follower = try Self.follower(chain)
        let lines = Mutex<[String]>([]), progress = Mutex<[IndexProgress]>([])
        let logger = Logger(level: .info, sink: LogSink { line in lines.withLock { $0.append(line) } })
        let logged = LogFollower(rpc: chain, store: follower.store, options: Self.options(), log: logger)
        logged.onProgress = { report in progress.withLock { $0.append(report) } }
        logged.progressInterval = .zero
        try await logged.start()
        _ = try await logged.round()
        let reports = progress.withLock { $0 }
        #expect(reports.first == IndexProgress(head: 199, confirmed: 197, indexed: nil, lag: 199), "before any range is indexed")
        #expect(reports.count == 1 + 40, "then one per range of 5 blocks")
        #expect(reports.last == IndexProgress(head: 199, confirmed: 197, indexed: 199, lag: 0))
        let text = lines.withLock { $0 }
        #expect(text.first?.contains(#"msg="catching up" from=1 head=199 blocks=199"#) == true, "\(text)")
        let indexing = text.filter { $0.contains("msg=indexing ") }
        #expect(indexing.count == 39, "each range after the first, with a zero interval")
        #expect(indexing.allSatisfy { $0.contains("blocks_total=199 ") && $0.contains(" blocks_per_s=") && $0.contains(" logs_per_s=") && $0.contains(" eta_s=") })
        #expect(indexing.last?.contains("blocks_done=195 ") == true)
        #expect(text.last?.contains(#"msg="caught up" blocks=199 logs=4"#) == true, "\(text)")

        // At the default interval (10 s) a quick catch-up writes no progress line between its start and end.
        let quiet = Mutex<[String]>([])
        let second = LogFollower(rpc: chain, store: try IndexStore(database: try Database(path: ":memory:")) { _, _ in }, options: Self.options(),
                                 log: Logger(level: .info, sink: LogSink { line in quiet.withLock { $0.append(line) } }))
        try await second.start()
        _ = try await second.round()
        #expect(quiet.withLock { $0 }.map { $0.split(separator: " ")[2] } == [#"msg="catching"#, #"msg="caught"#])
    }
}
