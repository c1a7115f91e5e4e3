import CSQLite
import Foundation

extension Database {
    /// Copies this database into a new file at `path` with SQLite's online backup API
    /// (`sqlite3_backup_init/step/finish`, https://sqlite.org/backup.html).
    ///
    /// The copy is made in one step, inside one read transaction: it is one consistent snapshot, and in WAL
    /// mode writers on other connections (a running keeper) go on meanwhile; stepping page by page instead
    /// would start over after each of their commits. The file is created with `permissions` (0600 by
    /// default) and never overwritten: an existing `path` is an error (`SQLITE_CANTOPEN`). A failed copy
    /// leaves no file behind.
    public func backup(to path: String, permissions: mode_t = 0o600) throws(DatabaseError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions)
        guard descriptor >= 0 else {
            let reason = errno == EEXIST ? "it exists already (a backup never overwrites a file)" : String(cString: strerror(errno))
            throw DatabaseError(extendedCode: SQLITE_CANTOPEN, message: "cannot create \(path): \(reason)")
        }
        // The umask may have taken bits away; it never adds any.
        let changed = fchmod(descriptor, permissions)
        close(descriptor)
        do throws(DatabaseError) {
            guard changed == 0 else {
                throw DatabaseError(extendedCode: SQLITE_CANTOPEN, message: "cannot set the mode of \(path): \(String(cString: strerror(errno)))")
            }
            try copy(into: path)
        } catch {
            unlink(path)
            unlink(path + "-journal")
            throw error
        }
    }

    private func copy(into path: String) throws(DatabaseError) {
        var destination: OpaquePointer? = nil
        let opened = sqlite3_open_v2(path, &destination, SQLITE_OPEN_READWRITE | SQLITE_OPEN_EXRESCODE, nil)
        defer { sqlite3_close_v2(destination) }
        guard opened == SQLITE_OK, let destination else {
            throw DatabaseError(extendedCode: opened, message: "cannot open \(path): \(destination.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory")")
        }
        guard let backup = sqlite3_backup_init(destination, "main", handle, "main") else {
            throw DatabaseError(extendedCode: sqlite3_extended_errcode(destination), message: "cannot start the backup: \(String(cString: sqlite3_errmsg(destination)))")
        }
        // -1: every page in one step. BUSY or LOCKED (a writer holding a lock a reader needs, briefly) is
        // waited out, for at most about 10 seconds.
        var result: Int32
        var waits = 0
        repeat {
            result = sqlite3_backup_step(backup, -1)
            if result == SQLITE_BUSY || result & 0xFF == SQLITE_LOCKED {
                waits += 1
                sqlite3_sleep(50)
            }
        } while (result == SQLITE_OK || result & 0xFF == SQLITE_BUSY || result & 0xFF == SQLITE_LOCKED) && waits < 200
        let finished = sqlite3_backup_finish(backup)
        guard result == SQLITE_DONE else {
            throw DatabaseError(extendedCode: result, message: "the backup of \(self.path) to \(path) stopped: \(String(cString: sqlite3_errstr(result)))")
        }
        guard finished == SQLITE_OK else {
            throw DatabaseError(extendedCode: sqlite3_extended_errcode(destination), message: "the backup to \(path) failed: \(String(cString: sqlite3_errmsg(destination)))")
        }
    }
}
