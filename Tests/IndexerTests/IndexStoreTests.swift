import Testing
@testable import Ethereum
@testable import Indexer
@testable import Store

@Suite struct IndexStoreTests {
    static let contract = RangeValidatorTests.contract

    /// Blocks 10…12 of fork `fork`, with a `FundsDeposited` log in 11 and in 12, as validated answers give them.
    static func range(fork: UInt8 = 0) throws -> (headers: [BlockHeader], events: [IndexedEvent]) {
        let headers = try (10...12).map { try RangeValidatorTests.header($0, fork: fork) }
        let logs = try [11, 12].map { try RangeValidatorTests.log(block: UInt64($0), index: 0, blockHash: RangeValidatorTests.hash(UInt64($0), fork: fork)) }
        return (headers, try logs.map { try IndexedEvent(log: $0) })
    }

    static func count(_ store: IndexStore, _ table: String) throws -> Int {
        try store.database.fetchOne("SELECT count(*) FROM \(table)", as: Int.self) ?? -1
    }

    final class Reports { var reasons = [String](); var fail = false }

    static func store(_ reports: Reports) throws -> IndexStore {
        let store = try IndexStore(database: try Database(path: ":memory:")) { db, reason in
            reports.reasons.append(reason)
            // What the keeper does here: write in the halt's transaction.
            try db.execute("CREATE TABLE IF NOT EXISTS halt_reports (reason TEXT NOT NULL)")
            _ = try db.execute("INSERT INTO halt_reports (reason) VALUES (?)", [reason])
            if reports.fail { throw IndexStoreTests.ReporterFailure() }
        }
        try store.openCursor(chainID: 1, contract: contract, startBlock: 10)
        return store
    }

    struct ReporterFailure: Error {}

    @Test func theIndexAloneMigratesOnlyItsOwnTables() throws {
        let store = try IndexStore(database: try Database(path: ":memory:"))
        #expect(try store.database.fetchAll("SELECT id FROM schema_migrations").map { try $0.get(0, as: String.self) } == ["001_events_claims_blocks_cursor"])
        for table in ["events", "claims", "blocks", "cursor", "reorgs", "actionable_claims"] {
            #expect(try Self.count(store, table) == 0, "\(table)")
        }
        #expect(throws: KeeperError.self) { _ = try IndexStore(database: try Database(path: ":memory:"), schema: Migrator([])) }
    }

    @Test func commitsARangeOnceAndMovesTheCursor() throws {
        let store = try Self.store(Reports())
        let (headers, events) = try Self.range()
        #expect(try store.commit(range: 10...12, headers: headers, events: events, head: 14, confirmed: 12, hashWindow: 100) == 2)
        #expect(try store.commit(range: 10...12, headers: headers, events: events, head: 14, confirmed: 12, hashWindow: 100) == 0)
        let cursor = try #require(try store.cursor())
        #expect(cursor.nextBlock == 13 && cursor.headBlock == 14 && cursor.confirmedBlock == 12 && !cursor.halted)
        #expect(try store.newestBlock()?.hash == RangeValidatorTests.hash(12))
        #expect(try Self.count(store, "events") == 2)
    }

    @Test func aReorgAboveTheConfirmedPointRollsBackWithoutHalting() throws {
        let reports = Reports()
        let store = try Self.store(reports)
        let (headers, events) = try Self.range()
        try store.commit(range: 10...12, headers: headers, events: events, head: 12, confirmed: 10, hashWindow: 100)
        #expect(try store.rollBack(toAncestor: 11, depth: 1, oldHash: RangeValidatorTests.hash(12), newHash: nil) == false)
        #expect(try Self.count(store, "events") == 1)
        #expect(try store.cursor()?.nextBlock == 12)
        #expect(try store.cursor()?.halted == false)
        #expect(reports.reasons.isEmpty)
    }

    @Test func aFinalityViolationHaltsAndReportsInTheSameTransaction() throws {
        let reports = Reports()
        let store = try Self.store(reports)
        let (headers, events) = try Self.range()
        try store.commit(range: 10...12, headers: headers, events: events, head: 14, confirmed: 12, hashWindow: 100)

        // A reporter that fails undoes the whole rollback: nothing is deleted, nothing halted.
        reports.fail = true
        #expect(throws: KeeperError.self) { _ = try store.rollBack(toAncestor: 10, depth: 2, oldHash: RangeValidatorTests.hash(12), newHash: nil) }
        #expect(try Self.count(store, "events") == 2)
        #expect(try Self.count(store, "reorgs") == 0)
        #expect(try store.cursor()?.halted == false)
        #expect(try store.database.fetchOne("SELECT count(*) FROM sqlite_master WHERE name = 'halt_reports'", as: Int.self) == 0)

        reports.fail = false
        #expect(try store.rollBack(toAncestor: 10, depth: 2, oldHash: RangeValidatorTests.hash(12), newHash: nil) == true)
        let cursor = try #require(try store.cursor())
        #expect(cursor.halted && cursor.nextBlock == 11 && cursor.confirmedBlock == 10)
        #expect(try Self.count(store, "events") == 0)
        #expect(try Self.count(store, "halt_reports") == 1)
        #expect(reports.reasons.last == cursor.haltedReason)
        #expect(try Self.count(store, "actionable_claims") == 0)

        try store.clearHalt()
        #expect(try store.cursor()?.halted == false)
    }
}
