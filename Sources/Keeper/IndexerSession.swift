import Ethereum
import Foundation
import Indexer
import Logging
import PrivateFiles
import Settlement
import Store
import Wire

/// What `index` and `status` open: the database lock, the store and the JSON-RPC client, built from
/// the configuration.
public final class IndexerSession {
    public let config: Config
    public let store: IndexStore
    public let rpc: JSONRPCClient
    private let lock: DatabaseLock

    /// Takes the database's writer lock (failing with `.locked` and the holder's pid), opens and
    /// migrates the database.
    /// - Parameter rpcObserver: told about every JSON-RPC exchange, for metrics.
    public init(config: Config, retry: RetryPolicy = RetryPolicy(maximumAttempts: 4),
                rpcObserver: (@Sendable (RPCCallRecord) -> Void)? = nil) throws(KeeperError) {
        self.config = config
        let path = config.store.path
        // The database's directory is made 0700 when the keeper creates it (PrivateFile).
        do { try PrivateFile.createDirectories(URL(fileURLWithPath: path).deletingLastPathComponent().path) } catch {
            throw KeeperError(.config, "cannot create the database's directory: \(error.message)")
        }
        do { lock = try DatabaseLock(databasePath: path) } catch {
            throw KeeperError(error.code == 5 ? .locked : .store, error.message)
        }
        let database: Database
        do { database = try Database(path: path) } catch {
            throw KeeperError(error.isOpenToOthers ? .config : .store, error.isOpenToOthers ? error.message : "cannot open \(path): \(error)")
        }
        store = try IndexStore(keeperDatabase: database)
        let http = HTTPClient(options: HTTPClient.Options(totalTimeoutMilliseconds: config.chain.requestTimeoutMs))
        rpc = JSONRPCClient(endpoints: config.chain.rpcUrls, http: http, retry: retry, limits: config.chain.rpcLimits, observer: rpcObserver)
    }

    /// A follower over this session's store and node.
    public func follower(log: Logger) -> LogFollower {
        LogFollower(rpc: rpc, store: store, chain: config.chain, log: log)
    }
}

extension IndexStore {
    /// The index over the keeper's database: every `KeeperSchema` migration applied in order, and a
    /// halt (a finality violation) raising the `deep_reorg` alert in the halt's own transaction.
    public convenience init(keeperDatabase database: Database) throws(KeeperError) {
        try self.init(database: database, schema: KeeperSchema.migrator) { db, reason in
            try AlertOutbox.raise(db, .deepReorg, "claim processing halted: \(reason)", dedupeKey: "deep-reorg:\(reason)")
        }
    }
}
