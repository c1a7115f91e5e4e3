import Ethereum
import Indexer
import Logging
import Store

/// Table access for the transaction manager. Every change that spans rows (a new job with its
/// first attempt, a bump, a mined attempt) is one SQLite transaction.
struct TxStore {
    let database: Database

    private static let now = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

    @discardableResult
    static func wrap<T>(_ body: () throws -> T) throws(KeeperError) -> T {
        do { return try body() } catch let error as KeeperError { throw error } catch {
            throw KeeperError(.store, "txs: \(error)")
        }
    }

    // MARK: Reads

    func transaction(for key: TxJobKey) throws(KeeperError) -> StoredTransaction? {
        let row = try Self.wrap {
            try database.fetchOne("SELECT * FROM txs WHERE chain_id = ? AND request_tx_hash = ? AND request_log_index = ? AND action = ? ORDER BY generation DESC LIMIT 1",
                                  [key.chainID, key.requestTxHash.description, key.requestLogIndex, key.action.rawValue])
        }
        return try row.map { row throws(KeeperError) in try StoredTransaction(row: row) }
    }

    /// The job's transaction of any generation that is not final (`pending`, `mined`), if any: its
    /// own, or one that covers it (`tx_items`).
    func inFlight(for key: TxJobKey) throws(KeeperError) -> StoredTransaction? {
        try rows("""
            SELECT * FROM txs WHERE state IN ('pending', 'mined') AND id IN (
                SELECT id FROM txs WHERE chain_id = ?1 AND request_tx_hash = ?2 AND request_log_index = ?3 AND action = ?4
                UNION SELECT tx_id FROM tx_items WHERE chain_id = ?1 AND request_tx_hash = ?2 AND request_log_index = ?3 AND action = ?4)
            ORDER BY id DESC LIMIT 1
            """, [key.chainID, key.requestTxHash.description, key.requestLogIndex, key.action.rawValue]).first
    }

    /// The newest transaction that did or does the job: its own, or one that covers it (`tx_items`).
    func latest(for key: TxJobKey) throws(KeeperError) -> StoredTransaction? {
        try rows("""
            SELECT * FROM txs WHERE id IN (
                SELECT id FROM txs WHERE chain_id = ?1 AND request_tx_hash = ?2 AND request_log_index = ?3 AND action = ?4
                UNION SELECT tx_id FROM tx_items WHERE chain_id = ?1 AND request_tx_hash = ?2 AND request_log_index = ?3 AND action = ?4)
            ORDER BY id DESC LIMIT 1
            """, [key.chainID, key.requestTxHash.description, key.requestLogIndex, key.action.rawValue]).first
    }

    /// The jobs a transaction covers besides its own key (none for a single claim's transaction).
    func items(txID: Int64) throws(KeeperError) -> [TxJobKey] {
        let rows = try Self.wrap { try database.fetchAll("SELECT * FROM tx_items WHERE tx_id = ? ORDER BY rowid", [txID]) }
        var keys = [TxJobKey]()
        for row in rows {
            let (chainID, hash, index, action): (UInt64, String, UInt64, String) = try Self.wrap {
                (try row.get("chain_id"), try row.get("request_tx_hash"), try row.get("request_log_index"), try row.get("action"))
            }
            guard let requestTxHash = try? Hash(hex: hash), let action = TxAction(rawValue: action) else {
                throw KeeperError(.badData, "tx_items: row of tx \(txID) holds \(hash)/\(action)")
            }
            keys.append(TxJobKey(chainID: chainID, requestTxHash: requestTxHash, requestLogIndex: index, action: action))
        }
        return keys
    }

    /// Transactions of `sender` recorded as mined at confirmed depth (`confirmed`, `reverted`) at or
    /// above `nonce`: when the chain's count is `nonce`, a reorg undid them.
    func settled(chainID: UInt64, sender: Address, fromNonce nonce: UInt64) throws(KeeperError) -> [StoredTransaction] {
        try rows("SELECT * FROM txs WHERE chain_id = ? AND sender = ? AND state IN ('confirmed', 'reverted') AND nonce >= ? ORDER BY nonce",
                 [chainID, sender.description, nonce])
    }

    func transaction(id: Int64) throws(KeeperError) -> StoredTransaction {
        guard let row = try Self.wrap({ try database.fetchOne("SELECT * FROM txs WHERE id = ?", [id]) }) else {
            throw KeeperError(.software, "txs: no row \(id)")
        }
        return try StoredTransaction(row: row)
    }

    /// Pending and mined transactions of `sender`, by nonce.
    func unfinished(chainID: UInt64, sender: Address) throws(KeeperError) -> [StoredTransaction] {
        try rows("SELECT * FROM txs WHERE chain_id = ? AND sender = ? AND state IN ('pending', 'mined') ORDER BY nonce",
                 [chainID, sender.description])
    }

    /// Final transactions whose outcome `poll()` has not reported yet.
    func unreported(chainID: UInt64, sender: Address) throws(KeeperError) -> [StoredTransaction] {
        try rows("SELECT * FROM txs WHERE chain_id = ? AND sender = ? AND state IN ('confirmed', 'reverted', 'dropped') AND outcome_reported = 0 ORDER BY nonce",
                 [chainID, sender.description])
    }

    func highestNonce(chainID: UInt64, sender: Address) throws(KeeperError) -> UInt64? {
        try Self.wrap { try database.fetchOne("SELECT max(nonce) FROM txs WHERE chain_id = ? AND sender = ?", [chainID, sender.description], as: UInt64.self) }
    }

    /// The attempts at a job's nonce, newest first.
    func attempts(txID: Int64) throws(KeeperError) -> [TxAttempt] {
        let rows = try Self.wrap { try database.fetchAll("SELECT * FROM tx_attempts WHERE tx_id = ? ORDER BY attempt DESC", [txID]) }
        var attempts = [TxAttempt]()
        for row in rows { attempts.append(try TxAttempt(row: row)) }
        return attempts
    }

    /// Counts by state, and the age in seconds of the oldest unfinished transaction.
    func summary(chainID: UInt64, sender: Address) throws(KeeperError) -> (byState: [TxState: Int], oldestPendingAge: Double?) {
        try Self.wrap {
            var byState = [TxState: Int]()
            for row in try database.fetchAll("SELECT state, count(*) AS n FROM txs WHERE chain_id = ? AND sender = ? GROUP BY state", [chainID, sender.description]) {
                if let state = TxState(rawValue: try row.get("state")) { byState[state] = try row.get("n") }
            }
            let oldest = try database.fetchOne(
                "SELECT (julianday('now') - julianday(min(created_at))) * 86400.0 FROM txs WHERE chain_id = ? AND sender = ? AND state IN ('pending', 'mined')",
                [chainID, sender.description], as: Double.self)
            return (byState, oldest)
        }
    }

    private func rows(_ sql: String, _ arguments: [any DatabaseValueConvertible]) throws(KeeperError) -> [StoredTransaction] {
        let rows = try Self.wrap { try database.fetchAll(sql, arguments) }
        var result = [StoredTransaction]()
        for row in rows { result.append(try StoredTransaction(row: row)) }
        return result
    }

    // MARK: Writes (each called inside `database.transaction`, or a single statement)

    /// Inserts a job's transaction (of `generation`) and its first attempt; returns the row id.
    func insert(key: TxJobKey, generation: Int, signed: SignedTransaction, to: Address, data: [UInt8], gasLimit: UInt64,
                maxFee: UInt256, priorityFee: UInt256, sentBlock: UInt64) throws -> Int64 {
        try database.execute("""
            INSERT INTO txs (chain_id, request_tx_hash, request_log_index, action, generation, sender, nonce, to_address, data, gas_limit,
                             max_fee, max_priority_fee, raw, hash, state, sent_block, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, \(Self.now), \(Self.now))
            """, [key.chainID, key.requestTxHash.description, key.requestLogIndex, key.action.rawValue, generation, signed.sender.description,
                  signed.transaction.nonce, to.description, data, gasLimit, maxFee.description, priorityFee.description,
                  signed.rawBytes, signed.hash.description, sentBlock])
        let id = database.lastInsertedRowID
        try insertAttempt(txID: id, attempt: 1, signed: signed, maxFee: maxFee, priorityFee: priorityFee, sentBlock: sentBlock)
        return id
    }

    /// Records the jobs `txID` covers (inside the transaction that inserted it).
    func insertItems(txID: Int64, _ keys: [TxJobKey]) throws {
        for key in keys {
            try database.execute("INSERT INTO tx_items (tx_id, chain_id, request_tx_hash, request_log_index, action) VALUES (?, ?, ?, ?, ?)",
                                 [txID, key.chainID, key.requestTxHash.description, key.requestLogIndex, key.action.rawValue])
        }
    }

    /// Records a fee bump: the new attempt becomes the job's current transaction, earlier ones are replaced.
    /// `gas_limit` becomes the new attempt's (a re-signed attempt carries a fresh estimate).
    func addAttempt(txID: Int64, attempt: Int, signed: SignedTransaction, gasLimit: UInt64, maxFee: UInt256, priorityFee: UInt256,
                    sentBlock: UInt64) throws(KeeperError) {
        try Self.wrap {
            try database.transaction { db in
                try db.execute("UPDATE tx_attempts SET state = 'replaced' WHERE tx_id = ? AND state = 'pending'", [txID])
                try insertAttempt(txID: txID, attempt: attempt, signed: signed, maxFee: maxFee, priorityFee: priorityFee, sentBlock: sentBlock)
                try db.execute("""
                    UPDATE txs SET max_fee = ?, max_priority_fee = ?, gas_limit = ?, raw = ?, hash = ?, attempts = ?, sent_block = ?,
                                   last_error = NULL, updated_at = \(Self.now) WHERE id = ? AND state = 'pending'
                    """, [maxFee.description, priorityFee.description, gasLimit, signed.rawBytes, signed.hash.description, attempt, sentBlock, txID])
            }
        }
    }

    private func insertAttempt(txID: Int64, attempt: Int, signed: SignedTransaction, maxFee: UInt256, priorityFee: UInt256, sentBlock: UInt64) throws {
        try database.execute("""
            INSERT INTO tx_attempts (tx_id, attempt, max_fee, max_priority_fee, raw, hash, state, sent_block, created_at)
            VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, \(Self.now))
            """, [txID, attempt, maxFee.description, priorityFee.description, signed.rawBytes, signed.hash.description, sentBlock])
    }

    /// The node accepted (or already had) the current attempt.
    func markSent(txID: Int64) throws(KeeperError) {
        try Self.wrap {
            try database.execute("UPDATE txs SET sent_at = coalesce(sent_at, \(Self.now)), last_error = NULL, updated_at = \(Self.now) WHERE id = ?", [txID])
        }
    }

    func recordError(txID: Int64, _ message: String) throws(KeeperError) {
        try Self.wrap { try database.execute("UPDATE txs SET last_error = ?, updated_at = \(Self.now) WHERE id = ?", [message, txID]) }
    }

    /// `attempt` is in block (`number`, `hash`): it becomes the job's transaction, the others are replaced.
    func markMined(txID: Int64, attempt: TxAttempt, blockNumber: UInt64, blockHash: Hash) throws(KeeperError) {
        try Self.wrap {
            try database.transaction { db in
                try db.execute("UPDATE tx_attempts SET state = CASE WHEN hash = ? THEN 'mined' ELSE 'replaced' END WHERE tx_id = ?",
                               [attempt.hash.description, txID])
                try db.execute("""
                    UPDATE txs SET state = 'mined', hash = ?, raw = ?, max_fee = ?, max_priority_fee = ?, block_number = ?, block_hash = ?,
                                   sent_at = coalesce(sent_at, \(Self.now)), last_error = NULL, updated_at = \(Self.now) WHERE id = ?
                    """, [attempt.hash.description, attempt.raw, attempt.maxFeePerGas.description, attempt.maxPriorityFeePerGas.description,
                          blockNumber, blockHash.description, txID])
            }
        }
    }

    /// The block holding the transaction was reorged out: it is pending again (its mined attempt stays current).
    func markUnmined(txID: Int64, sentBlock: UInt64) throws(KeeperError) {
        try Self.wrap {
            try database.transaction { db in
                try db.execute("UPDATE tx_attempts SET state = 'pending' WHERE tx_id = ? AND state = 'mined'", [txID])
                try db.execute("UPDATE txs SET state = 'pending', block_number = NULL, block_hash = NULL, sent_block = ?, updated_at = \(Self.now) WHERE id = ?",
                               [sentBlock, txID])
            }
        }
    }

    /// A transaction recorded final whose block a reorg undid: pending again, to be rebroadcast, its
    /// outcome to be reported anew.
    func reopen(txID: Int64, sentBlock: UInt64) throws(KeeperError) {
        try Self.wrap {
            try database.transaction { db in
                try db.execute("UPDATE tx_attempts SET state = 'pending' WHERE tx_id = ? AND state = 'mined'", [txID])
                try db.execute("""
                    UPDATE txs SET state = 'pending', block_number = NULL, block_hash = NULL, revert_reason = NULL, outcome_reported = 0,
                                   sent_block = ?, updated_at = \(Self.now) WHERE id = ? AND state IN ('confirmed', 'reverted')
                    """, [sentBlock, txID])
            }
        }
    }

    func finish(txID: Int64, state: TxState, revertReason: String?) throws(KeeperError) {
        try Self.wrap {
            try database.execute("UPDATE txs SET state = ?, revert_reason = ?, updated_at = \(Self.now) WHERE id = ?", [state.rawValue, revertReason, txID])
        }
    }

    func markFeeCapReached(txID: Int64) throws(KeeperError) {
        try Self.wrap { try database.execute("UPDATE txs SET fee_cap_reached = 1, updated_at = \(Self.now) WHERE id = ?", [txID]) }
    }

    func markReported(txID: Int64) throws(KeeperError) {
        try Self.wrap { try database.execute("UPDATE txs SET outcome_reported = 1 WHERE id = ?", [txID]) }
    }
}

extension TxManager {
    /// The claims an outcome's transaction covers (`claims(of:)`), for the keeper's log.
    public func claims(of outcome: TxOutcome) -> Logger.Value {
        do {
            guard let transaction = try store.transaction(for: outcome.key) else { return "none" }
            return claims(of: transaction)
        } catch {
            return .string("unknown (\(error.message))")
        }
    }

    /// The claims `transaction` covers, `user/order` separated by commas, for its log lines (a batch's
    /// own key names no claim; its items do). A store failure is said in the field rather than thrown:
    /// it is only a log line's.
    func claims(of transaction: StoredTransaction) -> Logger.Value {
        do {
            let rows = try database.fetchAll("""
                SELECT lower(c.user) || '/' || c.order_id AS subject FROM claims c
                JOIN (SELECT chain_id, request_tx_hash, request_log_index FROM tx_items WHERE tx_id = ?1
                      UNION SELECT ?2, ?3, ?4) j
                  ON c.chain_id = j.chain_id AND c.request_tx_hash = j.request_tx_hash AND c.request_log_index = j.request_log_index
                ORDER BY c.id LIMIT 21
                """, [transaction.id, transaction.key.chainID, transaction.key.requestTxHash.description, transaction.key.requestLogIndex])
            var subjects = try rows.map { row in try row.get("subject", as: String.self) }
            if subjects.count > 20 { subjects[20] = "…" }
            return .string(subjects.isEmpty ? "none" : subjects.joined(separator: ","))
        } catch {
            return .string("unknown (\(error))")
        }
    }
}
