import Foundation
import Indexer
import Keeper
import PrivateFiles
import Settlement
import Store

/// `--db FILE`, else the store of `--config FILE`, else `var/keeper.sqlite`: opens the keeper's
/// database and applies its migrations.
enum DatabaseOption {
    static let defaultPath = "var/keeper.sqlite"

    /// The configuration named by `--config`, if any.
    static func config(_ arguments: Arguments) throws -> Config? {
        try arguments.value("config").map { path in try KeeperFailure.map { () throws(KeeperError) in try Config.load(path: path, reads: []) } }
    }

    /// `--db FILE`, else `store.path` of `--config FILE`, else the default.
    static func path(_ arguments: Arguments) throws -> String {
        if let path = arguments.value("db") { return path }
        return try config(arguments)?.store.path ?? defaultPath
    }

    /// Opens (creating when `create`) and migrates the database at `path`; nil when it does not
    /// exist and `create` is false.
    static func open(_ path: String, create: Bool) throws -> Database? {
        if !FileManager.default.fileExists(atPath: path) {
            guard create else { return nil }
            let directory = (path as NSString).deletingLastPathComponent
            do { try PrivateFile.createDirectories(directory) } catch {
                throw CommandFailure(.config, "cannot create \(directory) for the database: \(error.message)")
            }
        }
        do {
            let database = try Database(path: path)
            try KeeperSchema.migrator.migrate(database)
            return database
        } catch let error as DatabaseError {
            throw CommandFailure(.config, error.isOpenToOthers ? error.message : "database \(path): \(error.message)")
        }
    }
}
