import Foundation
import Indexer
import Keeper
import Store

/// `lg-keeper backup --to FILE [--config FILE | --db FILE]`: an online copy of the keeper's database
/// (SQLite's backup API, `Database.backup(to:)`), taken beside a running keeper, 0600, never overwriting.
enum BackupCommand {
    static let command = Command(
        name: "backup",
        usage: "backup --to FILE [--config FILE | --db FILE]",
        summary: "copy the keeper's database to a new file while the keeper runs",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["to", "config", "db"], flags: [])
        guard arguments.positionals.isEmpty else { throw UsageError("unexpected argument '\(arguments.positionals[0])'") }
        let target = try arguments.required("to")
        guard arguments.value("db") == nil || arguments.value("config") == nil else { throw UsageError("give --config or --db, not both") }
        let source = try arguments.value("db") ?? KeeperFailure.map { () throws(KeeperError) in
            try Config.load(path: arguments.value("config") ?? Config.defaultPath).store.path
        }
        guard !FileManager.default.fileExists(atPath: target) else {
            throw CommandFailure(.usage, "\(target) exists already: choose a new file (a backup never overwrites one)")
        }
        guard FileManager.default.fileExists(atPath: source) else {
            throw CommandFailure(.unavailable, "no database at \(source) to back up")
        }
        do {
            // A reader beside the writer: no lock file, no journal-mode change, no migration.
            let database = try Database(path: source, mode: .reader)
            try database.backup(to: target)
        } catch {
            throw CommandFailure(.unavailable, "backup of \(source) failed: \(error.message)")
        }
        let check: String?
        do { check = try Database(path: target, mode: .reader).fetchOne("PRAGMA quick_check", as: String.self) } catch {
            check = error.message
        }
        guard check == "ok" else {
            try? FileManager.default.removeItem(atPath: target)  // a copy that fails its check is no backup; the failure is reported below
            throw CommandFailure(.software, "the copy of \(source) failed its check (\(check ?? "no answer")); nothing was kept at \(target)")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int).flatMap { $0 } ?? 0
        print("backup    \(target) (\(size) bytes, mode 0600, checked) of \(source)")
        print("restore   stop the keeper; move \(source) and its -wal and -shm files aside; copy the backup to")
        print("          \(source) (mode 0600); then `lg-keeper index --once` and `lg-keeper reconcile`")
        print("          before `lg-keeper run`. The vault opens only with the master key of the backup's time;")
        print("          evidence files (evidence.dir) are not in the database: copy them too.")
        return .ok
    }
}
