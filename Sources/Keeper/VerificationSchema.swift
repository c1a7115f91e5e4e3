import Store
import Vault

/// The tables this branch adds: `evidence` (one row per written evidence bundle) and
/// `vault_keys` (the encrypted OKX key vault). Migration ids start with `verify-`; append this list
/// to the keeper's other migrations, in order.
public enum VerificationSchema {
    public static let migrations: [Migrator.Migration] = [
        Migrator.Migration("verify-001-evidence", """
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
    ]
}
