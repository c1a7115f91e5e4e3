import Indexer
import Store

/// The operator's switch: paused means no `executePayout` is sent until `lg-keeper resume`.
public enum KeeperControl {
    public struct State: Sendable, Equatable {
        public let paused: Bool
        public let reason: String?
    }

    public static func state(_ db: Database) throws -> State {
        guard let row = try db.fetchOne("SELECT paused, paused_reason FROM control WHERE id = 1") else { return State(paused: false, reason: nil) }
        return State(paused: try row.get("paused"), reason: try row.get("paused_reason", as: String?.self))
    }

    /// Throws `.halted` while paused. Called inside the SQLite transaction that stores a payment
    /// before it is broadcast, so that a pause set after the pipeline last looked (by the reconciler,
    /// between the check and the commit) still stops the payment: the commit rolls back, nothing is sent.
    public static func requireRunning(_ db: Database) throws {
        let current = try state(db)
        guard current.paused else { return }
        throw KeeperError(.halted, "payments are paused (\(current.reason ?? "by the operator")): `lg-keeper resume` lets them go")
    }

    /// Pauses (keeping the first reason while already paused) and audits it.
    public static func pause(_ db: Database, reason: String) throws {
        try db.transaction { db in
            if try state(db).paused { return }
            try db.execute("INSERT INTO control (id, paused, paused_reason, paused_at) VALUES (1, 1, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now')) ON CONFLICT (id) DO UPDATE SET paused = 1, paused_reason = excluded.paused_reason, paused_at = excluded.paused_at", [reason])
            try AuditLog.append(db, kind: "control.pause", subject: "keeper", detail: ["reason": .string(reason)])
        }
    }

    public static func resume(_ db: Database, by operatorName: String) throws {
        try db.transaction { db in
            try db.execute("INSERT INTO control (id, paused) VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET paused = 0, paused_reason = NULL, paused_at = NULL")
            try AuditLog.append(db, kind: "control.resume", subject: "keeper", detail: ["by": .string(operatorName)])
        }
    }

    /// The halt a finality violation set (`cursor.halted`, a `deep_reorg` alert), if any.
    public static func halt(_ db: Database) throws -> State {
        guard let row = try db.fetchOne("SELECT halted, halted_reason FROM cursor WHERE id = 1") else { return State(paused: false, reason: nil) }
        return State(paused: try row.get("halted"), reason: try row.get("halted_reason", as: String?.self))
    }

    /// Clears a finality-violation halt (the operator has investigated the reorged range) and audits
    /// it with the reason it replaces. Claim processing continues on the keeper's next round.
    public static func clearHalt(_ db: Database, by operatorName: String) throws {
        try db.transaction { db in
            let before = try halt(db)
            guard before.paused else { return }
            try db.execute("UPDATE cursor SET halted = 0, halted_reason = NULL, halted_at = NULL WHERE id = 1")
            try AuditLog.append(db, kind: "control.unhalt", subject: "keeper",
                                detail: ["by": .string(operatorName), "reason": .string(before.reason ?? "")])
        }
    }
}
