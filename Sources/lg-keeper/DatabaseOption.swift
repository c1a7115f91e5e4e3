import Foundation
import Keeper
import Store

/// `--db FILE` (default `var/keeper.sqlite`) until the config file names the store: opens the
/// keeper's database and applies its migrations.
enum DatabaseOption {
    static let defaultPath = "var/keeper.sqlite"

    /// Opens (creating when `create`) and migrates the database at `path`; nil when it does not
    /// exist and `create` is false.
    static func open(_ path: String, create: Bool) throws -> Database? {
        if !FileManager.default.fileExists(atPath: path) {
            guard create else { return nil }
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                    throw CommandFailure(.config, "cannot create \(directory) for the database: \(error.localizedDescription)")
                }
            }
        }
        do {
            let database = try Database(path: path)
            try KeeperSchema.migrator.migrate(database)
            return database
        } catch let error as DatabaseError {
            throw CommandFailure(.config, "database \(path): \(error.message)")
        }
    }
}
