import Ethereum
import Indexer
import Testing
@testable import Keeper
@testable import Settlement
@testable import Store

/// The index over the keeper's database: one migrator for every table, and a halt raising its alert.
@Suite struct IndexStoreKeeperTests {
    @Test func theMigrationIdentifiersAndTheirOrderAreUnchanged() throws {
        // Databases written before the index left Keeper must open as they are; new migrations only append.
        #expect(KeeperSchema.migrator.migrations.map(\.id) == [
            "001_events_claims_blocks_cursor", "002_evidence", "003_vault_keys", "004_txs", "005_claim_pipeline_audit_log",
            "006_alerts_outbox", "007_control", "008_open_mismatches", "009_claim_position", "010_vault_key_region", "011_claim_decisions",
            "012_tx_items", "013_claims_by_request", "014_operators", "015_trader_challenges",
        ])
        let database = try Database(path: ":memory:")
        _ = try IndexStore(keeperDatabase: database)
        #expect(try database.fetchAll("SELECT id FROM schema_migrations ORDER BY id").map { try $0.get(0, as: String.self) }
                == KeeperSchema.migrator.migrations.map(\.id))
        // A database the index alone created takes the keeper's other migrations after its own.
        let indexOnly = try Database(path: ":memory:")
        _ = try IndexStore(database: indexOnly)
        #expect(try KeeperSchema.migrator.migrate(indexOnly) == Array(KeeperSchema.migrator.migrations.map(\.id).dropFirst()))
    }

    @Test func aHaltRaisesTheDeepReorgAlertWithTheFlag() throws {
        let database = try Database(path: ":memory:")
        let store = try IndexStore(keeperDatabase: database)
        try store.openCursor(chainID: 1, contract: try Address(hex: "0x5FbDB2315678afecb367f032d93F642f64180aa3"), startBlock: 0)
        try store.halt(reason: "reorg deeper than the window")
        #expect(try store.cursor()?.halted == true)
        let body = try #require(try database.fetchOne("SELECT body FROM alerts WHERE kind = 'deep_reorg'", as: String.self))
        #expect(body.contains("claim processing halted: reorg deeper than the window"))
        try store.halt(reason: "reorg deeper than the window")  // the same condition again: one undelivered alert
        #expect(try AlertOutbox.pending(database) == 1)
    }
}
