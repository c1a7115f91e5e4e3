import CSQLite
import Foundation
import Keeper
import Settlement
import Store

/// The SQLite ceiling: the rows the keeper should write for the corpus, inserted with SQLite's C
/// API directly: the keeper's schema and indexes (its own migrations), WAL and synchronous=NORMAL
/// as the keeper opens it, one prepared statement per table, one transaction per block range of
/// the keeper's width, values bound from memory prepared before the clock starts.
struct Ceiling {
    struct Failure: Error, CustomStringConvertible { let description: String }

    struct Result {
        let rows: Int
        let claims: Int
        /// Wall time of the inserts and commits.
        let seconds: Double
        /// CPU time (user + system) of the same: steadier than wall time on a shared machine.
        let cpuSeconds: Double
    }

    let corpus: LogCorpus
    let range: Int
    /// Also write what the keeper writes beside the events in the same transaction: claims, block
    /// hashes (with the window's pruning) and the cursor. False: events only.
    let withBookkeeping: Bool

    func run(databasePath path: String) throws -> Result {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        do {
            let schema = try Database(path: path)
            try KeeperSchema.migrator.migrate(schema)
            try schema.execute("""
                INSERT INTO cursor (id, chain_id, contract, start_block, next_block, head_block, confirmed_block, rescanned_block, updated_at)
                VALUES (1, ?, ?, 0, 0, 0, 0, 0, 'now')
                """, [corpus.chainID, corpus.contract.hex])
        }
        var handle: OpaquePointer? = nil
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let db = handle else {
            throw Failure(description: "cannot open \(path)")
        }
        defer { sqlite3_close_v2(db) }
        func exec(_ sql: String) throws {
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw Failure(description: "\(sql): \(String(cString: sqlite3_errmsg(db)))") }
        }
        func prepare(_ sql: String) throws -> OpaquePointer {
            var statement: OpaquePointer? = nil
            guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK, let statement else {
                throw Failure(description: "\(sql): \(String(cString: sqlite3_errmsg(db)))")
            }
            return statement
        }
        try exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON")
        // The keeper's statements, word for word (IndexStore.insert and IndexStore.commit).
        let now = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"
        let insertEvent = try prepare("""
            INSERT OR IGNORE INTO events (chain_id, block_number, block_hash, tx_hash, tx_index, log_index, address, name, user, order_id, data, indexed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \(now))
            """)
        let insertClaim = try prepare("""
            INSERT OR IGNORE INTO claims (chain_id, user, order_id, inst_id, principal, leverage, state, request_block_number,
                request_block_hash, request_tx_hash, request_log_index, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, 'requested', ?, ?, ?, ?, \(now), \(now))
            """)
        let insertBlock = try prepare("INSERT OR REPLACE INTO blocks (number, hash, parent_hash, timestamp) VALUES (?, ?, ?, ?)")
        let pruneBlocks = try prepare("DELETE FROM blocks WHERE number < ?")
        let moveCursor = try prepare("UPDATE cursor SET next_block = ?, head_block = ?, confirmed_block = max(confirmed_block, ?), updated_at = \(now) WHERE id = 1")
        defer { [insertEvent, insertClaim, insertBlock, pruneBlocks, moveCursor].forEach { sqlite3_finalize($0) } }

        func step(_ statement: OpaquePointer) throws {
            guard sqlite3_step(statement) == SQLITE_DONE else { throw Failure(description: String(cString: sqlite3_errmsg(db))) }
            sqlite3_reset(statement)
        }
        var rows = 0, claims = 0
        var elapsed = Duration.zero
        var cpu = 0.0
        let clock = ContinuousClock()
        var from: UInt64 = 0
        while from <= corpus.head {
            let to = min(corpus.head, from + UInt64(range) - 1)
            // Untimed: the values, as the keeper would hold them after decoding.
            var batch = [ExpectedRow]()
            batch.reserveCapacity(corpus.logCount(in: from...to))
            for number in from...to {
                for index in 0..<corpus.logCount(inBlock: number) { batch.append(corpus.expectedRow(corpus.entry(block: number, logIndex: index))) }
            }
            let blocks = (from...to).map { ($0, corpus.blockHash($0).hex, $0 == 0 ? Word256.zero.hex : corpus.blockHash($0 - 1).hex, corpus.timestamp($0)) }

            let started = clock.now
            let cpuStarted = cpuSeconds()
            try exec("BEGIN IMMEDIATE TRANSACTION")
            for row in batch {
                sqlite3_bind_int64(insertEvent, 1, Int64(corpus.chainID))
                sqlite3_bind_int64(insertEvent, 2, Int64(row.blockNumber))
                sqlite3_bind_text(insertEvent, 3, row.blockHash, -1, CSQLite_TRANSIENT())
                sqlite3_bind_text(insertEvent, 4, row.transactionHash, -1, CSQLite_TRANSIENT())
                sqlite3_bind_int64(insertEvent, 5, Int64(row.transactionIndex))
                sqlite3_bind_int64(insertEvent, 6, Int64(row.logIndex))
                sqlite3_bind_text(insertEvent, 7, row.address, -1, CSQLite_TRANSIENT())
                sqlite3_bind_text(insertEvent, 8, row.name, -1, CSQLite_TRANSIENT())
                if let user = row.user { sqlite3_bind_text(insertEvent, 9, user, -1, CSQLite_TRANSIENT()) } else { sqlite3_bind_null(insertEvent, 9) }
                if let order = row.orderID { sqlite3_bind_text(insertEvent, 10, order, -1, CSQLite_TRANSIENT()) } else { sqlite3_bind_null(insertEvent, 10) }
                sqlite3_bind_text(insertEvent, 11, row.data, -1, CSQLite_TRANSIENT())
                try step(insertEvent)
                rows += Int(sqlite3_changes(db))
                guard withBookkeeping, let claim = row.claim else { continue }
                sqlite3_bind_int64(insertClaim, 1, Int64(corpus.chainID))
                sqlite3_bind_text(insertClaim, 2, claim.user, -1, CSQLite_TRANSIENT())
                sqlite3_bind_text(insertClaim, 3, claim.orderID, -1, CSQLite_TRANSIENT())
                sqlite3_bind_text(insertClaim, 4, claim.instrument, -1, CSQLite_TRANSIENT())
                sqlite3_bind_text(insertClaim, 5, claim.principal, -1, CSQLite_TRANSIENT())
                sqlite3_bind_int64(insertClaim, 6, Int64(claim.leverage))
                sqlite3_bind_int64(insertClaim, 7, Int64(row.blockNumber))
                sqlite3_bind_text(insertClaim, 8, row.blockHash, -1, CSQLite_TRANSIENT())
                sqlite3_bind_text(insertClaim, 9, row.transactionHash, -1, CSQLite_TRANSIENT())
                sqlite3_bind_int64(insertClaim, 10, Int64(row.logIndex))
                try step(insertClaim)
                claims += Int(sqlite3_changes(db))
            }
            if withBookkeeping {
                for (number, hash, parent, timestamp) in blocks {
                    sqlite3_bind_int64(insertBlock, 1, Int64(number))
                    sqlite3_bind_text(insertBlock, 2, hash, -1, CSQLite_TRANSIENT())
                    sqlite3_bind_text(insertBlock, 3, parent, -1, CSQLite_TRANSIENT())
                    sqlite3_bind_int64(insertBlock, 4, Int64(timestamp))
                    try step(insertBlock)
                }
                sqlite3_bind_int64(pruneBlocks, 1, Int64(to + 1) - 1024)
                try step(pruneBlocks)
                sqlite3_bind_int64(moveCursor, 1, Int64(to + 1))
                sqlite3_bind_int64(moveCursor, 2, Int64(corpus.head))
                sqlite3_bind_int64(moveCursor, 3, Int64(to))
                try step(moveCursor)
            }
            try exec("COMMIT TRANSACTION")
            elapsed += clock.now - started
            cpu += cpuSeconds() - cpuStarted
            from = to + 1
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Result(rows: rows, claims: claims, seconds: seconds, cpuSeconds: cpu)
    }
}

/// This thread's CPU time (user + system), in seconds.
func cpuSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
