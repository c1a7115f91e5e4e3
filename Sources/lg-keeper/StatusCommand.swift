import Ethereum
import Foundation
import Indexer
import Keeper
import Settlement
import Store
import Wire

/// `lg-keeper status [--json] [--config FILE]`: head, indexed block, lag, claims by state, halted.
/// Reads the database without taking the writer lock, so it works beside a running keeper.
enum StatusCommand {
    static let command = Command(
        name: "status",
        usage: "status [--json] [--config FILE]",
        summary: "head, indexed block, lag, claims by state, halted or not, the contract paused or not",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["config"], flags: ["json"])
        let config = try KeeperFailure.map { () throws(KeeperError) in try Config.load(path: arguments.value("config") ?? Config.defaultPath, command: "status", reads: .chain) }
        guard FileManager.default.fileExists(atPath: config.store.path) else {
            throw CommandFailure(.unavailable, "no database at \(config.store.path): run `lg-keeper index` first")
        }
        let store: IndexStore
        do { store = try IndexStore(keeperDatabase: try Database(path: config.store.path)) } catch let error as DatabaseError where error.isOpenToOthers {
            throw CommandFailure(.config, error.message)
        } catch {
            throw CommandFailure(.software, "cannot open \(config.store.path): \(error)")
        }
        let rpc = JSONRPCClient(endpoints: config.chain.rpcUrls, retry: RetryPolicy(maximumAttempts: 2))
        let head = try? await rpc.blockNumber()
        // The owner's switch, read from the node like the head; unknown (with why) when it cannot be read.
        let contractPaused: Result<Bool, KeeperError>
        do { contractPaused = .success(try await ContractReader(rpc: rpc, contract: config.chain.contract).paused()) } catch { contractPaused = .failure(error) }
        guard let status = try KeeperFailure.map({ () throws(KeeperError) in try IndexStatus.read(store, head: head) }) else {
            throw CommandFailure(.unavailable, "the database at \(config.store.path) has not indexed anything yet")
        }
        if arguments.flag("json") {
            var object = status.json.objectValue ?? [:]
            switch contractPaused {
            case .success(let paused): object["contractPaused"] = .bool(paused)
            case .failure(let error): object["contractPaused"] = .null; object["contractPausedError"] = .string(error.message)
            }
            print(JSON.object(object).serializedString)
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
            switch contractPaused {
            case .success(let paused): print("contract paused \(paused ? "YES — by its owner: payouts wait until it is unpaused" : "no")")
            case .failure(let error): print("contract paused unknown (\(error.message))")
            }
            print("halted          \(status.halted ? "YES — \(status.haltedReason ?? "finality violation")" : "no")")
        }
        return status.halted ? .problemFound : .ok
    }
}
