import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Store

/// The log follower against a devnode of its own that refuses eth_getLogs answers of more than
/// four logs (`--max-logs 4`, Infura-style -32005 with a suggested range), so every test also
/// exercises the adaptive range; its `finalized` tag lags the head by two blocks. Serialized: the tests mine, snapshot and revert.
@Suite(.serialized) struct LogFollowerTests {
    static let sharedDevnet = Result { try Devnet(arguments: ["--max-logs", "4", "--finality-depth", "2", "--pool-token"]) }
    let harness: IndexerHarness

    init() throws {
        harness = try IndexerHarness(devnet: try Self.sharedDevnet.get())
    }

    /// Makes sure the chain holds a good number of events from several users.
    func ensureEvents() async throws {
        if try await harness.canonical().count < 30 {
            try harness.makeEvents(claims: 24, deposits: 8, perBlock: 3, orderBase: 1_000)
        }
    }

    @Test func manyEventsFromSeveralUsersEqualGetLogsFieldByField() async throws {
        try await ensureEvents()
        let follower = try await harness.follower(maxBlockRange: 50)
        let report = try await follower.round()
        let expected = try harness.reference()
        expectSameRows(try IndexerHarness.rows(follower.store), expected, "after one round")
        #expect(Set(expected.compactMap(\.user)).count >= 4, "events from several users")
        #expect(Set(expected.map(\.name)).isSuperset(of: ["ClaimRequested", "FundsDeposited", "KeeperChanged"]))
        #expect(try IndexerHarness.claimKeys(follower.store) == IndexerHarness.claimKeys(expected))
        #expect(try follower.store.database.fetchOne("SELECT count(*) FROM claims WHERE state <> 'requested'", as: Int.self) == 0)
        #expect(report.indexedThrough == report.head)
        #expect(follower.statistics.rangeRefusals > 0, "--max-logs 4 must have refused a range")
        // Claims in blocks above head − confirmations are not actionable yet.
        let provisional = expected.filter { $0.name == "ClaimRequested" && $0.block_number > report.confirmed }.count
        #expect(try follower.store.database.fetchOne("SELECT count(*) FROM actionable_claims", as: Int.self)
                == IndexerHarness.claimKeys(expected).count - provisional)

        // A second round and a repeated commit add nothing.
        let again = try await follower.round()
        #expect(again.newEvents == 0)
        expectSameRows(try IndexerHarness.rows(follower.store), expected, "after a second round")
    }

    /// Headers only where validation needs them (issue 14): the blocks holding logs and each range's
    /// first and last block, not one per block — forty empty blocks cost no header each.
    @Test func headersAreFetchedOnlyForBlocksHoldingLogsAndRangeEnds() async throws {
        try await ensureEvents()
        _ = try await harness.rpc().call("evm_mine", [JSON(40)])
        let follower = try await harness.follower(confirmations: 0, maxBlockRange: 50)
        let report = try await follower.round()
        let expected = try harness.reference()
        expectSameRows(try IndexerHarness.rows(follower.store), expected, "with sparse headers")
        let logBlocks = Set(expected.map(\.block_number)).count
        let statistics = follower.statistics
        let stored = try #require(try follower.store.database.fetchOne("SELECT count(*) FROM blocks", as: Int.self))
        let cursor = try #require(try follower.store.cursor())
        let span = Int(report.head - cursor.startBlock + 1)
        #expect(stored <= logBlocks + 2 * statistics.rangesIndexed, "\(stored) headers stored for \(logBlocks) blocks with logs in \(statistics.rangesIndexed) ranges")
        #expect(stored <= span - 30, "forty empty blocks cost at most ten headers: \(stored) headers for \(span) blocks")
        #expect(try follower.store.storedBlock(report.head) != nil, "the newest block's header is kept for the reorg check")
        #expect(statistics.headersFetched < span, "\(statistics.headersFetched) headers fetched for \(span) blocks")
        // The next round's reorg check and a second round still work on the sparse window.
        #expect(try await follower.round().newEvents == 0)
    }

    /// Found by the chaos run: a catch-up over many empty blocks stores sparse hashes, and a shallow reorg
    /// above the confirmed point then walked back to the newest stored match far below it, was measured as
    /// deep and halted the keeper. Provisional blocks keep their hashes: the depth is exact, nothing halts.
    @Test func aShallowReorgAfterASparseCatchUpIsMeasuredExactly() async throws {
        let confirmations = 5
        try await ensureEvents()
        let follower = try await harness.follower(confirmations: confirmations, maxBlockRange: 50)
        _ = try await follower.round()
        let rpc = harness.rpc()
        // Twenty empty blocks, caught up in one range; the last three are rewritten afterwards, while
        // still above the confirmed point.
        _ = try await rpc.call("evm_mine", [JSON(17)])
        let snapshot = try await rpc.call("evm_snapshot")
        _ = try await rpc.call("evm_mine", [JSON(3)])
        _ = try await follower.round()
        #expect(try await rpc.call("evm_revert", [snapshot]) == .bool(true))
        _ = try await rpc.call("evm_mine", [JSON(4)])  // another history, one block longer
        let report = try await follower.round()
        #expect(report.reorgs == 1 && !report.halted)
        let last = try #require(try follower.store.database.fetchOne("SELECT depth, finality_violation FROM reorgs ORDER BY id DESC LIMIT 1"))
        #expect(try last.get("depth", as: Int.self) == 3)
        #expect(try last.get("finality_violation", as: Bool.self) == false)
        #expect(try follower.store.cursor()?.halted == false)
    }

    @Test func reorgsOfDepthOneToConfirmationsPlusThreeAreUndone() async throws {
        let confirmations = 3
        try await ensureEvents()
        let follower = try await harness.follower(confirmations: confirmations, maxBlockRange: 50)
        _ = try await follower.round()
        let rpc = harness.rpc()
        // Doomed histories from users 0 and 1 (always reverted, so their nonces never move); replacement
        // histories from users 2 and 3 for odd depths, one block longer, with other transactions.
        var plan = [(users: String, claims: Int, orderBase: Int, nonceOffset: Int)]()
        var replacementOffset = 0
        for depth in 1...(confirmations + 3) {
            plan.append(("0,1", depth, 50_000 + depth * 100, 0))
            if depth % 2 == 1 {
                plan.append(("2,3", depth + 1, 60_000 + depth * 100, replacementOffset))
                replacementOffset += (depth + 1) / 2
            }
        }
        var signed = try harness.signClaims(plan)[...]
        for depth in 1...(confirmations + 3) {
            let snapshot = try await rpc.call("evm_snapshot")
            try await harness.send(signed.removeFirst())  // `depth` blocks
            _ = try await follower.round()
            let doomed = try await harness.canonical()
            expectSameRows(try IndexerHarness.rows(follower.store), doomed, "depth \(depth) before the reorg")

            #expect(try await rpc.call("evm_revert", [snapshot]) == .bool(true))
            if depth % 2 == 1 {
                try await harness.send(signed.removeFirst())
            } else {
                _ = try await rpc.call("evm_mine", [JSON(depth + 1)])  // empty blocks: the claims vanish
            }
            let report = try await follower.round()
            let canonical = try await harness.canonical()
            #expect(report.reorgs == 1, "depth \(depth): one reorg detected")
            expectSameRows(try IndexerHarness.rows(follower.store), canonical, "depth \(depth) after the reorg")
            #expect(try IndexerHarness.claimKeys(follower.store) == IndexerHarness.claimKeys(canonical), "depth \(depth) claims")

            let last = try #require(try follower.store.database.fetchOne("SELECT depth, finality_violation FROM reorgs ORDER BY id DESC LIMIT 1"))
            #expect(try last.get("depth", as: Int.self) == depth)
            let deep = depth > confirmations
            #expect(try last.get("finality_violation", as: Bool.self) == deep, "depth \(depth)")
            let cursor = try #require(try follower.store.cursor())
            #expect(cursor.halted == deep, "depth \(depth): halted only when a confirmed block was rewritten")
            let alerts = try follower.store.database.fetchAll("SELECT body FROM alerts WHERE kind = 'deep_reorg'")
            #expect(alerts.count == max(0, depth - confirmations), "depth \(depth): one deep_reorg alert per finality violation")
            if deep {
                #expect(cursor.haltedReason?.contains("reorg of depth \(depth)") == true)
                #expect(try alerts.last?.get("body", as: String.self).contains("reorg of depth \(depth)") == true)
                #expect(try follower.store.database.fetchOne("SELECT count(*) FROM actionable_claims", as: Int.self) == 0)
                try follower.store.clearHalt()
                #expect(try follower.store.database.fetchOne("SELECT count(*) FROM actionable_claims", as: Int.self) ?? 0 > 0)
            }
        }
        #expect(follower.statistics.reorgs == confirmations + 3)
        #expect(follower.statistics.deepestReorg == UInt64(confirmations + 3))
        #expect(follower.statistics.finalityViolations == 3)
    }

    @Test func finalizedTagDecidesWhatIsConfirmed() async throws {
        try await ensureEvents()
        let follower = try await harness.follower(confirmations: 0, useFinalizedTag: true)
        let report = try await follower.round()
        #expect(report.confirmed + 2 == report.head, "the node's finalized block, not head − confirmations")
        let expected = try await harness.canonical()
        expectSameRows(try IndexerHarness.rows(follower.store), expected, "with the finalized tag")
        let unconfirmed = IndexerHarness.claimKeys(expected.filter { $0.block_number > report.confirmed }).count
        #expect(try follower.store.database.fetchOne("SELECT count(*) FROM actionable_claims", as: Int.self)
                == IndexerHarness.claimKeys(expected).count - unconfirmed)
    }

    @Test func wrongChainIDOrForeignDatabaseIsRefusedAtStart() async throws {
        let deployment = harness.devnet.deployment
        let path = harness.newDatabasePath()
        let wrong = try Config.parse(Array(harness.configJSON(databasePath: path).replacingOccurrences(
            of: "\"chainId\": \(deployment.chainId)", with: "\"chainId\": \(deployment.chainId + 1)").utf8))
        let follower = LogFollower(rpc: harness.rpc(), store: try IndexStore(keeperDatabase: try Database(path: path)), chain: wrong.chain)
        let error = await #expect(throws: KeeperError.self) { try await follower.start() }
        #expect(error?.code == .config)
        #expect(error?.message.contains("the node reports \(deployment.chainId)") == true)

        // A database written for one contract refuses another.
        let store = try IndexStore(keeperDatabase: try Database(path: harness.newDatabasePath()))
        try store.openCursor(chainID: deployment.chainId, contract: try Address(hex: deployment.contract), startBlock: 1)
        #expect(throws: KeeperError.self) { try store.openCursor(chainID: deployment.chainId, contract: Address.zero, startBlock: 1) }
    }

    @Test func stoppedMidBackfillResumesFromItsCursorWithoutGapsOrDuplicates() async throws {
        try await ensureEvents()
        let expected = try await harness.canonical()
        let path = harness.newDatabasePath()
        struct Stop: Error {}
        var first: LogFollower? = try await harness.follower(maxBlockRange: 2, path: path)
        var committed = 0
        first?.onCommit = { _ in
            committed += 1
            if committed == 3 { throw Stop() }
        }
        await #expect(throws: KeeperError.self) { _ = try await first?.round() }
        let cursor = try #require(try first?.store.cursor())
        let partial = try IndexerHarness.rows(try #require(first?.store))
        #expect(cursor.nextBlock > cursor.startBlock)
        #expect(partial == expected.filter { $0.block_number < cursor.nextBlock }, "rows and cursor committed together")
        #expect(partial.count < expected.count)
        first = nil

        let second = try await harness.follower(maxBlockRange: 2, path: path)
        _ = try await second.round()
        expectSameRows(try IndexerHarness.rows(second.store), expected, "after the restart")
    }

    @Test func killedKeeperProcessResumes() async throws {
        try await ensureEvents()
        let expected = try await harness.canonical()
        let path = harness.newDatabasePath()
        let configFile = harness.directory.appendingPathComponent("keeper-\(UUID().uuidString).json")
        try Data(harness.configJSON(maxBlockRange: 1, databasePath: path).utf8).write(to: configFile)
        let binary = ReferencePython.repositoryRoot.appendingPathComponent(".build/debug/lg-keeper").path

        let keeper = try Subprocess(binary, ["index", "--config", configFile.path], stdout: .inherit, stderr: .null)
        // Wait until it has committed a few ranges, then SIGKILL it mid-backfill.
        let deadline = Date().addingTimeInterval(20)
        var next: UInt64 = 0
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: path), let db = try? Database(path: path),
               let value = try? db.fetchOne("SELECT next_block FROM cursor", as: UInt64.self) {
                next = value
                if next > harness.devnet.deployment.deployBlock + 3 { break }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        keeper.send(SIGKILL)
        keeper.waitUntilExit()
        #expect(next > harness.devnet.deployment.deployBlock + 3, "the keeper indexed something before the kill")

        let resumed = try Subprocess(binary, ["index", "--once", "--config", configFile.path])
        #expect(resumed.waitUntilExit() == .exited(0))
        let store = try IndexStore(keeperDatabase: try Database(path: path))
        expectSameRows(try IndexerHarness.rows(store), expected, "after SIGKILL and --once")
    }
}
