import Crypto
import Foundation
import Store
import Verification
import Wire

/// The append-only, hash-chained record of every claim transition and every decision.
///
/// Row hash = hex SHA-256 of the canonical JSON `{"at","detail","kind","prev","subject"}`, where
/// `prev` is the previous row's hash (64 zeros for the first). Changing, inserting or deleting a
/// row breaks the chain from that row on, which `verify` reports.
public enum AuditLog {
    public static let genesis = String(repeating: "0", count: 64)

    /// One row as stored.
    public struct Entry: Sendable, Equatable {
        public let id: Int64
        public let at: String
        public let kind: String
        public let subject: String
        public let detail: JSON
        public let prev: String
        public let hash: String
    }

    /// Appends a row. Call it inside the transaction that makes the change it records.
    public static func append(_ db: Database, kind: String, subject: String, detail: JSON, at date: Date = Date()) throws {
        precondition(db.isInsideTransaction, "an audit row is written in the transaction of the change it records")
        let prev = try db.fetchOne("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1", as: String.self) ?? genesis
        let at = VerificationResponse.timestamp(date)
        let hash = digest(prev: prev, at: at, kind: kind, subject: subject, detail: detail)
        try db.execute("INSERT INTO audit_log (at, kind, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
                       [at, kind, subject, String(decoding: detail.serialized(), as: UTF8.self), prev, hash])
    }

    /// The rows about `subject` (a claim's `user/order`), oldest first.
    public static func entries(_ db: Database, subject: String) throws -> [Entry] {
        try db.fetchAll("SELECT id, at, kind, subject, detail, prev_hash, hash FROM audit_log WHERE subject = ? ORDER BY id", [subject]).map { row in
            Entry(id: try row.get("id"), at: try row.get("at"), kind: try row.get("kind"), subject: try row.get("subject"),
                  detail: try JSON(parsing: Array(try row.get("detail", as: String.self).utf8)), prev: try row.get("prev_hash"), hash: try row.get("hash"))
        }
    }

    /// What walking the chain found.
    public struct Verification: Sendable, Equatable {
        public let rows: Int
        /// The first row whose link or hash does not hold; nil when the chain is whole.
        public let broken: Break?
    }

    public struct Break: Sendable, Equatable {
        public let id: Int64
        public let why: String
    }

    /// Walks the chain from the first row, recomputing every hash.
    public static func verify(_ db: Database) throws -> Verification {
        var prev = genesis
        var count = 0
        var lastID: Int64 = 0
        for row in try db.fetchAll("SELECT id, at, kind, subject, detail, prev_hash, hash FROM audit_log ORDER BY id") {
            count += 1
            let id: Int64 = try row.get("id")
            let detailText: String = try row.get("detail")
            guard id == lastID + 1 else { return Verification(rows: count, broken: Break(id: id, why: "row \(lastID + 1) is missing")) }
            lastID = id
            guard let detail = try? JSON(parsing: detailText) else { return Verification(rows: count, broken: Break(id: id, why: "detail is not JSON")) }
            guard try row.get("prev_hash", as: String.self) == prev else {
                return Verification(rows: count, broken: Break(id: id, why: "prev_hash does not match the previous row's hash"))
            }
            let expected = digest(prev: prev, at: try row.get("at"), kind: try row.get("kind"), subject: try row.get("subject"), detail: detail)
            guard try row.get("hash", as: String.self) == expected else {
                return Verification(rows: count, broken: Break(id: id, why: "hash does not match the row's content"))
            }
            prev = expected
        }
        return Verification(rows: count, broken: nil)
    }

    static func digest(prev: String, at: String, kind: String, subject: String, detail: JSON) -> String {
        let row: JSON = ["prev": .string(prev), "at": .string(at), "kind": .string(kind), "subject": .string(subject), "detail": detail]
        return Hex.encode(SHA256.hash(row.serialized()))
    }
}
