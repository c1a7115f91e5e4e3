import Indexer
import Store
import Vault

/// The keeper's tables (DESIGN.md §8), as one ordered list of migrations: the index (`events`,
/// `claims`, `blocks`, `cursor`, `reorgs`: `IndexSchema`, first), evidence bundles, the OKX key vault, the transaction
/// manager's `txs` / `tx_attempts`, the audit log, the alert outbox, the pause switch and the open reconciliation mismatches. Other
/// tools may read `events` and `claims`: columns may be added, never change meaning.
public enum KeeperSchema {
    public static let migrator = Migrator([
        IndexSchema.migration,
        .init("002_evidence", """
            CREATE TABLE evidence (
                evidence_id TEXT PRIMARY KEY NOT NULL,
                root TEXT NOT NULL,
                bundle_hash TEXT NOT NULL,
                ord_id TEXT NOT NULL,
                inst_id TEXT NOT NULL,
                wallet TEXT,
                liquidated INTEGER,
                reason TEXT,
                verified_at TEXT NOT NULL,
                path TEXT NOT NULL,
                created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
            );
            CREATE INDEX evidence_by_order ON evidence (ord_id, inst_id);
            """),
        KeyVault.migration,
        TxSchema.migration,
        .init("005_claim_pipeline_audit_log", """
            ALTER TABLE claims ADD COLUMN liquidated INTEGER;
            ALTER TABLE claims ADD COLUMN evidence_root TEXT;
            ALTER TABLE claims ADD COLUMN reason TEXT;
            ALTER TABLE claims ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE claims ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE claims ADD COLUMN review TEXT CHECK (review IN ('approved', 'rejected'));
            ALTER TABLE claims ADD COLUMN payout_day INTEGER;
            CREATE INDEX claims_by_payout_day ON claims (payout_day);

            -- Append-only and hash-chained: see AuditLog.
            CREATE TABLE audit_log (
                id INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                kind TEXT NOT NULL,
                subject TEXT NOT NULL,
                detail TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL UNIQUE
            );
            CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
            CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
            """),
        .init("006_alerts_outbox", """
            CREATE TABLE alerts (
                id INTEGER PRIMARY KEY,
                kind TEXT NOT NULL,
                body TEXT NOT NULL,
                dedupe_key TEXT,
                raised_at TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER NOT NULL DEFAULT 0,
                last_error TEXT,
                delivered_at TEXT
            );
            CREATE INDEX alerts_undelivered ON alerts (delivered_at, next_attempt_at);
            """),
        .init("007_control", """
            CREATE TABLE control (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                paused INTEGER NOT NULL DEFAULT 0,
                paused_reason TEXT,
                paused_at TEXT
            );
            """),
        // The reconciler's mismatches still found by its latest pass (see Reconciler).
        .init("008_open_mismatches", """
            CREATE TABLE open_mismatches (
                key TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                subject TEXT NOT NULL,
                detail TEXT NOT NULL,
                first_seen TEXT NOT NULL,
                last_seen TEXT NOT NULL
            );
            """),
        // The OKX position whose loss a claim's verdict covers: one liquidation is paid once.
        .init("009_claim_position", """
            ALTER TABLE claims ADD COLUMN position_id TEXT;
            CREATE INDEX claims_position ON claims (position_id) WHERE position_id IS NOT NULL;
            """),
        KeyVault.regionMigration,
        // When a claim's verification first came back undecided (epoch ms; the decision window
        // counts from it), and who decided a held claim, with their note. The position identity a
        // verdict's evidence covers, found again by root when a verdict is adopted from the chain.
        .init("011_claim_decisions", """
            ALTER TABLE claims ADD COLUMN undecided_since INTEGER;
            ALTER TABLE claims ADD COLUMN review_by TEXT;
            ALTER TABLE claims ADD COLUMN review_note TEXT;
            ALTER TABLE evidence ADD COLUMN position_id TEXT;
            CREATE INDEX evidence_by_root ON evidence (root);
            """),
        TxSchema.itemsMigration,
        // The claim of a request (a transaction's log lines name the claims it covers).
        .init("013_claims_by_request", "CREATE INDEX claims_by_request ON claims (chain_id, request_tx_hash, request_log_index);"),
        // The console's operators (`lg-keeper console add-operator`): a scrypt hash with its salt and parameters, never the password.
        .init("014_operators", """
            CREATE TABLE operators (
                name TEXT PRIMARY KEY NOT NULL,
                scrypt_n INTEGER NOT NULL,
                scrypt_r INTEGER NOT NULL,
                scrypt_p INTEGER NOT NULL,
                salt TEXT NOT NULL,
                hash TEXT NOT NULL,
                created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
            );
            """),
        // The sign-in challenges of the trader API (`POST /api/keys/challenge`): one-time nonces, each
        // for one wallet and one action. The API key is kept as its fingerprint (SHA-256), never in clear.
        .init("015_trader_challenges", """
            CREATE TABLE trader_challenges (
                nonce TEXT PRIMARY KEY NOT NULL,
                wallet TEXT NOT NULL,
                action TEXT NOT NULL CHECK (action IN ('register', 'remove', 'evidence')),
                api_key_hash TEXT,
                region TEXT,
                order_id TEXT,
                issued_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                used_at INTEGER
            );
            CREATE INDEX trader_challenges_by_expiry ON trader_challenges (expires_at);
            """),
    ])
}
