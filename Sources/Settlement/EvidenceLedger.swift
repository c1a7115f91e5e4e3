import Store
import Verification
import Wire

/// The `evidence` table: where each written evidence bundle is, and what it concluded.
public struct EvidenceLedger {
    /// One row of `evidence`.
    public struct Entry: Sendable, Equatable {
        public let evidenceId: String
        public let root: String
        public let bundleHash: String
        public let ordId: String
        public let instId: String
        public let wallet: String?
        public let liquidated: Bool?
        public let reason: String?
        public let verifiedAt: String
        public let path: String
    }

    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Records a sealed, written response; a second write of the same evidence id replaces the row.
    public func record(_ document: JSON, path: String, wallet: String? = nil) throws -> Entry {
        let evidence = document["evidence"]
        let meta = document["meta"]
        guard let evidenceId = evidence?["evidenceId"]?.stringValue, let root = evidence?["root"]?.stringValue,
              let bundleHash = evidence?["bundleHash"]?.stringValue, let ordId = meta?["ordId"]?.stringValue,
              let instId = meta?["instId"]?.stringValue, let verifiedAt = meta?["verifiedAt"]?.stringValue else {
            throw VerificationError(.malformedDocument, "a recorded response needs evidence.{evidenceId,root,bundleHash} and meta.{ordId,instId,verifiedAt}")
        }
        let position = document["normalized"]?["position"]
        let entry = Entry(evidenceId: evidenceId, root: root, bundleHash: bundleHash, ordId: ordId, instId: instId,
                          wallet: wallet, liquidated: position?["liquidated"]?.boolValue,
                          reason: position?["reason"]?.stringValue, verifiedAt: verifiedAt, path: path)
        try database.execute("""
            INSERT OR REPLACE INTO evidence (evidence_id, root, bundle_hash, ord_id, inst_id, wallet, liquidated, reason, verified_at, path)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [entry.evidenceId, entry.root, entry.bundleHash, entry.ordId, entry.instId, entry.wallet,
                  entry.liquidated, entry.reason, entry.verifiedAt, entry.path])
        return entry
    }

    /// The row for `evidenceId`, or nil.
    public func entry(_ evidenceId: String) throws -> Entry? {
        guard let row = try database.fetchOne("""
            SELECT evidence_id, root, bundle_hash, ord_id, inst_id, wallet, liquidated, reason, verified_at, path
            FROM evidence WHERE evidence_id = ?
            """, [evidenceId]) else { return nil }
        return Entry(evidenceId: try row.get(0), root: try row.get(1), bundleHash: try row.get(2), ordId: try row.get(3),
                     instId: try row.get(4), wallet: try row.get(5, as: String?.self), liquidated: try row.get(6, as: Bool?.self),
                     reason: try row.get(7, as: String?.self), verifiedAt: try row.get(8), path: try row.get(9))
    }
}
