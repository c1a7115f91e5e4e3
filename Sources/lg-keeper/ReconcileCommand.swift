import Ethereum
import Foundation
import Indexer
import Keeper
import Settlement
import Wire

/// `lg-keeper reconcile [--json]`: one chain-versus-database pass; exit 1 on any mismatch.
enum ReconcileCommand {
    static let command = Command(
        name: "reconcile",
        usage: "reconcile [--json] [--config FILE]",
        summary: "compare the chain with the database once; exit 1 on any mismatch",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["config"], flags: ["json"])
        let config = try KeeperFailure.map { () throws(KeeperError) in try Config.load(path: arguments.value("config") ?? Config.defaultPath, command: "reconcile") }
        let database = try KeeperDatabase.open(configPath: arguments.value("config"))
        let rpc = JSONRPCClient(endpoints: config.chain.rpcUrls, retry: RetryPolicy(maximumAttempts: 3))
        let reader = ContractReader(rpc: rpc, contract: config.chain.contract)
        _ = try await KeeperFailure.map { () async throws(KeeperError) in try await PoolAsset.check(reader, against: config.pool) }
        // The signer's address recognises the keeper's own transactions that the database does not hold.
        let signer: Address?
        do { signer = try Signer.load(config.signer).address } catch {
            FileHandle.standardError.write(Data("reconcile: \(error.message); only transactions stored in the database count as the keeper's\n".utf8))
            signer = nil
        }
        let reconciler = Reconciler(database: database, reader: reader,
                                    chainID: config.chain.chainId, confirmations: UInt64(config.chain.confirmations), pauseOnMismatch: config.reconcile.pauseOnMismatch,
                                    signer: signer)
        let mismatches = try await KeeperFailure.map { () async throws(KeeperError) in try await reconciler.run() }
        if arguments.flag("json") {
            print(JSON.object(["clean": .bool(mismatches.isEmpty), "mismatches": .array(mismatches.map(\.json))]).serializedString)
        } else if mismatches.isEmpty {
            print("reconcile: clean")
        } else {
            for mismatch in mismatches { print("\(mismatch.kind.rawValue)  \(TerminalText.escaped(mismatch.subject))  \(TerminalText.escaped(mismatch.detail))") }
        }
        return mismatches.isEmpty ? .ok : .problemFound
    }
}

/// `lg-keeper resume`: lifts a pause (after a reconciliation mismatch was investigated); with
/// `--halt`, clears the halt a deep reorg set (after the reorged range was investigated).
enum ResumeCommand {
    static let command = Command(
        name: "resume",
        usage: "resume [--halt] [--by NAME] [--config FILE]",
        summary: "lift a pause so that payouts continue (--halt: clear a deep-reorg halt)",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["config", "by"], flags: ["halt"])
        let database = try KeeperDatabase.open(configPath: arguments.value("config"))
        let name = arguments.value("by") ?? ProcessInfo.processInfo.environment["USER"] ?? "operator"
        if arguments.flag("halt") {
            do {
                let before = try KeeperControl.halt(database)
                try KeeperControl.clearHalt(database, by: name)
                print(before.paused ? "halt cleared by \(name) (was halted: \(TerminalText.escaped(before.reason ?? "no reason recorded")))" : "not halted; nothing to do")
            } catch { throw CommandFailure(.software, "cannot clear the halt: \(error)") }
            return .ok
        }
        do {
            let before = try KeeperControl.state(database)
            try KeeperControl.resume(database, by: name)
            print(before.paused ? "resumed by \(name) (was paused: \(TerminalText.escaped(before.reason ?? "no reason recorded")))" : "not paused; nothing to do")
        } catch { throw CommandFailure(.software, "cannot resume: \(error)") }
        return .ok
    }
}
