import Ethereum
import Store

/// The follower's checkpoint: the next block to index and what was known when it was written.
public struct IndexCursor: Sendable, Hashable {
    public let chainID: UInt64
    public let contract: String
    public let startBlock: UInt64
    /// The first block not yet indexed.
    public let nextBlock: UInt64
    public let headBlock: UInt64
    /// Blocks at or below this were confirmed when last indexed; a reorg reaching them is a finality violation.
    public let confirmedBlock: UInt64
    /// Confirmed blocks up to this one have been fetched a second time (missed-log re-scan).
    public let rescannedBlock: UInt64
    public let halted: Bool
    public let haltedReason: String?
}

/// A stored block: number, hash and parent hash, for reorg detection.
public struct StoredBlock: Sendable, Hashable {
    public let number: UInt64
    public let hash: String
    public let parentHash: String
}

/// Table access for the log follower: events, claims, block hashes, cursor and reorgs. Every
/// write that belongs together (rows and checkpoint, a reorg's deletions) is one transaction.
public final class IndexStore {
    /// Told, inside the transaction that halts claim processing, why: what it writes (the keeper's
    /// `deep_reorg` alert) commits with the halt flag or not at all.
    public typealias HaltReporter = (_ db: Database, _ reason: String) throws -> Void

    public let database: Database
    private let onHalt: HaltReporter

    /// Wraps `database` and applies `schema`'s migrations, which must include `IndexSchema.migration`
    /// (the keeper passes its whole `KeeperSchema.migrator`, so that one migrator orders every table).
    public init(database: Database, schema: Migrator = IndexSchema.migrator, onHalt: @escaping HaltReporter = { _, _ in }) throws(KeeperError) {
        guard schema.migrations.contains(where: { $0.id == IndexSchema.migration.id }) else {
            throw KeeperError(.software, "the schema given to the index store lacks \(IndexSchema.migration.id)")
        }
        self.database = database
        self.onHalt = onHalt
        try Self.wrap { try schema.migrate(database) }
    }

    /// Runs a database body, mapping its failures to `KeeperError(.store)` (a `KeeperError` passes through).
    @discardableResult
    public static func wrap<T>(_ body: () throws -> T) throws(KeeperError) -> T {
        do { return try body() } catch let error as KeeperError { throw error } catch {
            throw KeeperError(.store, "database: \(error)")
        }
    }

    // MARK: Cursor

    public func cursor() throws(KeeperError) -> IndexCursor? {
        try Self.wrap {
            guard let row = try database.fetchOne("SELECT * FROM cursor WHERE id = 1") else { return nil }
            return IndexCursor(chainID: try row.get("chain_id", as: UInt64.self), contract: try row.get("contract"),
                               startBlock: try row.get("start_block"), nextBlock: try row.get("next_block"),
                               headBlock: try row.get("head_block"), confirmedBlock: try row.get("confirmed_block"),
                               rescannedBlock: try row.get("rescanned_block"), halted: try row.get("halted"),
                               haltedReason: try row.get("halted_reason", as: String?.self))
        }
    }

    /// Creates the cursor at `startBlock`, or checks that the database belongs to this chain and contract.
    @discardableResult
    public func openCursor(chainID: UInt64, contract: Address, startBlock: UInt64) throws(KeeperError) -> IndexCursor {
        if let existing = try cursor() {
            guard existing.chainID == chainID, existing.contract == contract.description else {
                throw KeeperError(.badData, "the database indexes contract \(existing.contract) on chain \(existing.chainID), not \(contract.description) on chain \(chainID): use another store.path")
            }
            return existing
        }
        try Self.wrap {
            try database.execute("""
                INSERT INTO cursor (id, chain_id, contract, start_block, next_block, head_block, confirmed_block, rescanned_block, updated_at)
                VALUES (1, ?, ?, ?, ?, 0, 0, ?, \(Self.now))
                """, [chainID, contract.description, startBlock, startBlock, startBlock == 0 ? 0 : startBlock - 1])
        }
        guard let created = try cursor() else { throw KeeperError(.store, "the cursor row was not written") }
        return created
    }

    static let now = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

    // MARK: Blocks

    public func storedBlock(_ number: UInt64) throws(KeeperError) -> StoredBlock? {
        try Self.wrap {
            try database.fetchOne("SELECT number, hash, parent_hash FROM blocks WHERE number = ?", [number]).map(Self.block)
        }
    }

    public func newestBlock() throws(KeeperError) -> StoredBlock? {
        try Self.wrap { try database.fetchOne("SELECT number, hash, parent_hash FROM blocks ORDER BY number DESC LIMIT 1").map(Self.block) }
    }

    /// Stored blocks at or below `number`, newest first.
    public func blocks(atOrBelow number: UInt64, limit: Int) throws(KeeperError) -> [StoredBlock] {
        try Self.wrap {
            try database.fetchAll("SELECT number, hash, parent_hash FROM blocks WHERE number <= ? ORDER BY number DESC LIMIT ?", [number, limit]).map(Self.block)
        }
    }

    private static func block(_ row: Row) throws -> StoredBlock {
        StoredBlock(number: try row.get("number"), hash: try row.get("hash"), parentHash: try row.get("parent_hash"))
    }

    // MARK: Writes

    /// Commits one fetched range in one transaction: its events (idempotent on chain id, block hash,
    /// log index), the claims they request, the block hashes, and the cursor moved past `range`.
    /// Returns the number of event rows that were new.
    @discardableResult
    public func commit(range: ClosedRange<UInt64>, headers: [BlockHeader], events: [IndexedEvent], head: UInt64, confirmed: UInt64,
                       hashWindow: Int) throws(KeeperError) -> Int {
        try Self.wrap {
            try database.transaction { db in
                guard let cursor = try self.cursor() else { throw KeeperError(.store, "no cursor") }
                let inserted = try self.insert(events, chainID: cursor.chainID, db: db)
                for header in headers {
                    try db.execute("INSERT OR REPLACE INTO blocks (number, hash, parent_hash, timestamp) VALUES (?, ?, ?, ?)",
                                   [header.number, header.hash.description, header.parentHash.description, header.timestamp])
                }
                let next = max(cursor.nextBlock, range.upperBound + 1)
                try db.execute("DELETE FROM blocks WHERE number < ?", [Int64(next) - Int64(hashWindow)])
                try db.execute("UPDATE cursor SET next_block = ?, head_block = ?, confirmed_block = max(confirmed_block, ?), updated_at = \(Self.now) WHERE id = 1",
                               [next, head, min(confirmed, next - 1)])
                return inserted
            }
        }
    }

    /// Inserts events found by a re-scan of a confirmed range and moves the re-scan mark.
    /// Returns how many were missing.
    public func commitRescan(through block: UInt64, events: [IndexedEvent]) throws(KeeperError) -> Int {
        try Self.wrap {
            try database.transaction { db in
                guard let cursor = try self.cursor() else { throw KeeperError(.store, "no cursor") }
                let inserted = try self.insert(events, chainID: cursor.chainID, db: db)
                try db.execute("UPDATE cursor SET rescanned_block = max(rescanned_block, ?), updated_at = \(Self.now) WHERE id = 1", [block])
                return inserted
            }
        }
    }

    private func insert(_ events: [IndexedEvent], chainID: UInt64, db: Database) throws -> Int {
        var inserted = 0
        for event in events {
            let blockHash = event.blockHash.description, transactionHash = event.transactionHash.description
            let changed = try db.execute(Self.insertEvent, [chainID, event.blockNumber, blockHash, transactionHash, event.transactionIndex,
                                                            event.logIndex, event.address.description, event.name, event.user, event.orderID, event.data])
            inserted += changed
            guard changed > 0, let claim = event.claim else { continue }
            try db.execute(Self.insertClaim, [chainID, claim.user, claim.orderID, claim.instrument, claim.principal, claim.leverage, event.blockNumber,
                                              blockHash, transactionHash, event.logIndex])
        }
        return inserted
    }

    // Built once: the statement cache is keyed by the SQL text, and these run once per log.
    private static let insertEvent = """
        INSERT OR IGNORE INTO events (chain_id, block_number, block_hash, tx_hash, tx_index, log_index, address, name, user, order_id, data, indexed_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \(now))
        """
    private static let insertClaim = """
        INSERT OR IGNORE INTO claims (chain_id, user, order_id, inst_id, principal, leverage, state, request_block_number,
            request_block_hash, request_tx_hash, request_log_index, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, 'requested', ?, ?, ?, ?, \(now), \(now))
        """

    /// Undoes everything indexed above `ancestor` in one transaction and records the reorg; a
    /// reorg that rewrote a block at or below the confirmed point halts claim processing.
    public func rollBack(toAncestor ancestor: UInt64, depth: UInt64, oldHash: String, newHash: String?) throws(KeeperError) -> Bool {
        try Self.wrap {
            try database.transaction { db in
                guard let cursor = try self.cursor() else { throw KeeperError(.store, "no cursor") }
                let violation = ancestor < cursor.confirmedBlock
                try db.execute("DELETE FROM events WHERE block_number > ?", [ancestor])
                try db.execute("DELETE FROM claims WHERE request_block_number > ?", [ancestor])
                try db.execute("DELETE FROM blocks WHERE number > ?", [ancestor])
                try db.execute("""
                    UPDATE cursor SET next_block = min(next_block, ?), confirmed_block = min(confirmed_block, ?),
                        rescanned_block = min(rescanned_block, ?), updated_at = \(Self.now) WHERE id = 1
                    """, [ancestor + 1, ancestor, ancestor])
                try db.execute("INSERT INTO reorgs (detected_at, ancestor_block, depth, old_hash, new_hash, finality_violation) VALUES (\(Self.now), ?, ?, ?, ?, ?)",
                               [ancestor, depth, oldHash, newHash, violation])
                if violation {
                    try self.halt(reason: "reorg of depth \(depth) rewrote block \(ancestor + 1), at or below the confirmed block \(cursor.confirmedBlock)", db: db)
                }
                return violation
            }
        }
    }

    /// Persists the halt flag, with what `onHalt` writes (the keeper's `deep_reorg` alert), in one
    /// transaction: claim processing stops until an operator clears it.
    public func halt(reason: String) throws(KeeperError) {
        try Self.wrap { try database.transaction { db in try halt(reason: reason, db: db) } }
    }

    private func halt(reason: String, db: Database) throws {
        try db.execute("UPDATE cursor SET halted = 1, halted_reason = coalesce(halted_reason, ?), halted_at = coalesce(halted_at, \(Self.now)) WHERE id = 1", [reason])
        try onHalt(db, reason)
    }

    /// Clears the halt flag (an operator's decision after investigating).
    public func clearHalt() throws(KeeperError) {
        try Self.wrap { try database.execute("UPDATE cursor SET halted = 0, halted_reason = NULL, halted_at = NULL WHERE id = 1", []) }
    }
}
