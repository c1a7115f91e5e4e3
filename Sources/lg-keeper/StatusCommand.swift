import Ethereum
import Foundation
import Keeper
import Store
import Wire

/// `lg-keeper status [--json] [--config FILE]`: head, indexed block, lag, claims by state, halted.
/// Reads the database without taking the writer lock, so it works beside a running keeper.
enum StatusCommand {
    static let command = Command(
        name: "status",
        usage: "status [--json] [--config FILE]",
        summary: "head, indexed block, lag, claims by state, halted or not",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["config"], flags: ["json"])
        let config = try KeeperFailure.map { () throws(KeeperError) in try Config.load(path: arguments.value("config") ?? Config.defaultPath) }
        guard FileManager.default.fileExists(atPath: config.store.path) else {
            throw CommandFailure(.unavailable, "no database at \(config.store.path): run `lg-keeper index` first")
        }
        let store: IndexStore
        do { store = try IndexStore(database: try Database(path: config.store.path)) } catch {
            throw CommandFailure(.software, "cannot open \(config.store.path): \(error)")
        }
        let rpc = JSONRPCClient(endpoints: config.chain.rpcUrls, retry: RetryPolicy(maximumAttempts: 2))
        let head = try? await rpc.blockNumber()
        guard let status = try KeeperFailure.map({ () throws(KeeperError) in try IndexStatus.read(store, head: head) }) else {
            throw CommandFailure(.unavailable, "the database at \(config.store.path) has not indexed anything yet")
        }
        if arguments.flag("json") {
            print(status.json.serializedString)
        } else {
            print("chain id        \(status.chainID)")
            print("contract        \(status.contract)")
            print("head block      \(status.head.map(String.init) ?? "unknown (node unreachable)")")
            print("indexed block   \(status.indexedBlock.map(String.init) ?? "none")")
            print("confirmed block \(status.confirmedBlock)")
            print("lag             \(status.lag.map { "\($0) blocks" } ?? "unknown")")
            print("events          \(status.events)")
            let states = status.claimsByState.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            print("claims          \(states.isEmpty ? "none" : states) (actionable \(status.actionableClaims))")
            print("reorgs          \(status.reorgs) (deepest \(status.deepestReorg))")
            print("halted          \(status.halted ? "YES — \(status.haltedReason ?? "finality violation")" : "no")")
        }
        return status.halted ? .problemFound : .ok
    }
}
