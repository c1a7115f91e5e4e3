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
        // Claims no day's budget can pay: the pipeline's reason says so (PayoutPolicy.overLimitReason).
        let overLimit = try KeeperFailure.map { () throws(KeeperError) in
            try ClaimLedger(database: store.database).list(state: .awaitingLimit).filter { $0.reason?.hasPrefix(PayoutPolicy.overLimitReason) == true }
        }
        if arguments.flag("json") {
            var object = status.json.objectValue ?? [:]
            object["overLimitClaims"] = .array(overLimit.map { ["claim": .string($0.subject), "reason": .string($0.reason ?? "")] })
            switch contractPaused {
            case .success(let paused): object["contractPaused"] = .bool(paused)
            case .failure(let error): object["contractPaused"] = .null; object["contractPausedError"] = .string(error.message)
            }
            print(JSON.object(object).serializedString)
        } else {
            print("chain id        \(status.chainID)")
            print("contract        \(TerminalText.escaped(status.contract))")
            print("head block      \(status.head.map(String.init) ?? "unknown (node unreachable)")")
            print("indexed block   \(status.indexedBlock.map(String.init) ?? "none")")
            print("confirmed block \(status.confirmedBlock)")
            print("lag             \(status.lag.map { "\($0) blocks" } ?? "unknown")")
            print("events          \(status.events)")
            let open = status.claimsByState.filter { !IndexStatus.finalStates.contains($0.key) }
            let final = status.claimsByState.filter { IndexStatus.finalStates.contains($0.key) }
            print("claims open     \(status.openClaims)\(counts(open)) — actionable now \(status.actionableClaims)")
            print("claims final    \(status.finalClaims)\(counts(final))")
            if !overLimit.isEmpty {
                print("cannot move     \(overLimit.count) claim\(overLimit.count == 1 ? "" : "s") above the daily limit (alert claim_over_limit):")
                for claim in overLimit.prefix(10) {
                    print("  \(claim.subject)  \(TerminalText.excerpt(claim.reason ?? "", limit: 160))")
                }
                if overLimit.count > 10 { print("  … and \(overLimit.count - 10) more: `lg-keeper claims list --state awaiting_limit`") }
            }
            print("reorgs          \(status.reorgs) (deepest \(status.deepestReorg))")
            switch contractPaused {
            case .success(let paused): print("contract paused \(paused ? "YES — by its owner: payouts wait until it is unpaused" : "no")")
            case .failure(let error): print("contract paused unknown (\(TerminalText.escaped(error.message)))")
            }
            print("halted          \(status.halted ? "YES — \(TerminalText.escaped(status.haltedReason ?? "finality violation"))" : "no")")
        }
        return status.halted ? .problemFound : .ok
    }

    /// ` (state=n …)` sorted by state, or nothing.
    static func counts(_ byState: [String: Int]) -> String {
        byState.isEmpty ? "" : " (" + byState.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") + ")"
    }
}
