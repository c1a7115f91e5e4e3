/// Ordered schema migrations. Each applies in its own transaction together with the row that
/// records it in `schema_migrations`, so a crash never leaves a half-applied migration.
public struct Migrator: Sendable {
    public struct Migration: Sendable {
        public let id: String
        public let sql: String
        public init(_ id: String, _ sql: String) { self.id = id; self.sql = sql }
    }

    public let migrations: [Migration]

    public init(_ migrations: [Migration]) { self.migrations = migrations }

    /// Applies the migrations not yet recorded, in order. Returns the ids applied now.
    @discardableResult
    public func migrate(_ db: Database) throws -> [String] {
        try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY NOT NULL, applied_at TEXT NOT NULL)")
        let applied = Set(try db.fetchAll("SELECT id FROM schema_migrations").map { try $0.get(0, as: String.self) })
        let known = Set(migrations.map(\.id))
        if let unknown = applied.subtracting(known).sorted().first {
            throw DatabaseError(extendedCode: 1, message: "the database has migration \(unknown), which this keeper does not know: it was written by a newer version")
        }
        var appliedNow = [String]()
        for migration in migrations where !applied.contains(migration.id) {
            try db.transaction { db in
                try db.execute(migration.sql)
                try db.execute("INSERT INTO schema_migrations (id, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))", [migration.id])
            }
            appliedNow.append(migration.id)
        }
        return appliedNow
    }
}
