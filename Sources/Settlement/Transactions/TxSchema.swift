import Store

/// The transaction manager's tables (DESIGN.md §6, §8).
///
/// `txs` holds one row per job and generation (`UNIQUE (chain_id, request_tx_hash, request_log_index,
/// action, generation)`; a new generation only after the previous one ended `reverted` or `dropped`,
/// by `resubmit`) and one nonce per sender (`UNIQUE (chain_id, sender, nonce)`); its fee, raw and hash columns describe
/// the newest attempt until one is mined, then the mined one. `tx_attempts` records every signed
/// attempt at that nonce — the first and each fee bump — with its fees, raw bytes and hash.
enum TxSchema {
    static let migration = Migrator.Migration("004_txs", """
        CREATE TABLE txs (
            id INTEGER PRIMARY KEY,
            chain_id INTEGER NOT NULL,
            request_tx_hash TEXT NOT NULL,
            request_log_index INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('verify', 'execute')),
            generation INTEGER NOT NULL DEFAULT 0,
            sender TEXT NOT NULL,
            nonce INTEGER NOT NULL,
            to_address TEXT NOT NULL,
            data BLOB NOT NULL,
            gas_limit INTEGER NOT NULL,
            max_fee TEXT NOT NULL,
            max_priority_fee TEXT NOT NULL,
            raw BLOB NOT NULL,
            hash TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'mined', 'confirmed', 'reverted', 'dropped')),
            attempts INTEGER NOT NULL DEFAULT 1,
            sent_block INTEGER NOT NULL,
            block_number INTEGER,
            block_hash TEXT,
            revert_reason TEXT,
            last_error TEXT,
            fee_cap_reached INTEGER NOT NULL DEFAULT 0,
            outcome_reported INTEGER NOT NULL DEFAULT 0,
            sent_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (chain_id, request_tx_hash, request_log_index, action, generation),
            UNIQUE (chain_id, sender, nonce)
        );
        CREATE INDEX txs_unfinished ON txs (state) WHERE state IN ('pending', 'mined');

        CREATE TABLE tx_attempts (
            id INTEGER PRIMARY KEY,
            tx_id INTEGER NOT NULL REFERENCES txs (id),
            attempt INTEGER NOT NULL,
            max_fee TEXT NOT NULL,
            max_priority_fee TEXT NOT NULL,
            raw BLOB NOT NULL,
            hash TEXT NOT NULL UNIQUE,
            state TEXT NOT NULL CHECK (state IN ('pending', 'replaced', 'mined')),
            sent_block INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (tx_id, attempt)
        );
        """)

    /// One transaction may do the jobs of many claims (`verifyPayoutBatch`, `verifyAndPayBatch`,
    /// `executePayoutBatch`, and `verifyAndPay`, which does a claim's verify and execute jobs at
    /// once): `tx_items` names every job a transaction covers. A job is in flight while any
    /// transaction covering it is; a covered job's outcome is read from the contract, since a batch
    /// skips what it cannot do.
    static let itemsMigration = Migrator.Migration("012_tx_items", """
        CREATE TABLE tx_items (
            tx_id INTEGER NOT NULL REFERENCES txs (id),
            chain_id INTEGER NOT NULL,
            request_tx_hash TEXT NOT NULL,
            request_log_index INTEGER NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('verify', 'execute')),
            PRIMARY KEY (tx_id, request_tx_hash, request_log_index, action)
        );
        CREATE INDEX tx_items_by_job ON tx_items (chain_id, request_tx_hash, request_log_index, action);
        """)
}
