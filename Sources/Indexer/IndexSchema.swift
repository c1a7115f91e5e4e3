import Store

/// The index's tables: `events`, `claims`, `blocks`, `cursor`, `reorgs` and the `actionable_claims`
/// view (DESIGN.md §8). The first migration of `KeeperSchema.migrator`, which later migrations extend
/// (claims' settlement columns); its id never changes, so existing databases open as before. Other
/// tools may read `events` and `claims`: columns may be added, never change meaning.
public enum IndexSchema {
    public static let migration = Migrator.Migration("001_events_claims_blocks_cursor", """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            chain_id INTEGER NOT NULL,
            block_number INTEGER NOT NULL,
            block_hash TEXT NOT NULL,
            tx_hash TEXT NOT NULL,
            tx_index INTEGER NOT NULL,
            log_index INTEGER NOT NULL,
            address TEXT NOT NULL,
            name TEXT NOT NULL,
            user TEXT,
            order_id TEXT,
            data TEXT NOT NULL,
            indexed_at TEXT NOT NULL,
            UNIQUE (chain_id, block_hash, log_index)
        );
        CREATE INDEX events_by_block ON events (chain_id, block_number);
        CREATE INDEX events_by_claim ON events (user, order_id);

        CREATE TABLE claims (
            id INTEGER PRIMARY KEY,
            chain_id INTEGER NOT NULL,
            user TEXT NOT NULL,
            order_id TEXT NOT NULL,
            inst_id TEXT NOT NULL,
            principal TEXT NOT NULL,
            leverage INTEGER NOT NULL,
            state TEXT NOT NULL,
            amount TEXT,
            evidence_id TEXT,
            request_block_number INTEGER NOT NULL,
            request_block_hash TEXT NOT NULL,
            request_tx_hash TEXT NOT NULL,
            request_log_index INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (chain_id, user, order_id)
        );
        CREATE INDEX claims_by_state ON claims (state);

        CREATE TABLE blocks (
            number INTEGER PRIMARY KEY,
            hash TEXT NOT NULL,
            parent_hash TEXT NOT NULL,
            timestamp INTEGER NOT NULL
        );

        CREATE TABLE cursor (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            chain_id INTEGER NOT NULL,
            contract TEXT NOT NULL,
            start_block INTEGER NOT NULL,
            next_block INTEGER NOT NULL,
            head_block INTEGER NOT NULL,
            confirmed_block INTEGER NOT NULL,
            rescanned_block INTEGER NOT NULL,
            halted INTEGER NOT NULL DEFAULT 0,
            halted_reason TEXT,
            halted_at TEXT,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE reorgs (
            id INTEGER PRIMARY KEY,
            detected_at TEXT NOT NULL,
            ancestor_block INTEGER NOT NULL,
            depth INTEGER NOT NULL,
            old_hash TEXT NOT NULL,
            new_hash TEXT,
            finality_violation INTEGER NOT NULL
        );

        -- Claims the pipeline may act on: requested in a confirmed block, and not halted.
        CREATE VIEW actionable_claims AS
            SELECT claims.* FROM claims JOIN cursor ON cursor.id = 1
            WHERE cursor.halted = 0 AND claims.request_block_number <= cursor.confirmed_block;
        """)

    /// The index alone, for a database that holds nothing else (tests, tools).
    public static let migrator = Migrator([migration])
}
