import Foundation
import Indexer
import Keeper
import Logging

/// `lg-keeper index [--once] [--config FILE]`: follow and index only (no signer needed).
enum IndexCommand {
    static let command = Command(
        name: "index",
        usage: "index [--once] [--config FILE] \(LogOptions.usage)",
        summary: "follow the contract's logs into SQLite; --once catches up to the head and exits",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: LogOptions.names.union(["config"]), flags: ["once"])
        let logFlags = try LogOptions.parse(arguments)
        let config = try KeeperFailure.map { () throws(KeeperError) in try Config.load(path: arguments.value("config") ?? Config.defaultPath, command: "index", reads: .chain) }
        // The node and the contract are checked before the database is tied to them (StartupCheck).
        try await KeeperFailure.map { () async throws(KeeperError) in try await StartupCheck.chain(config.chain, rpc: StartupCheck.client(config.chain)) }
        let session = try KeeperFailure.map { () throws(KeeperError) in try IndexerSession(config: config) }
        let follower = session.follower(log: LogOptions.logger(logFlags, config))
        try await KeeperFailure.map { () async throws(KeeperError) in try await follower.start() }
        if arguments.flag("once") {
            let report = try await KeeperFailure.map { () async throws(KeeperError) in try await follower.round() }
            print("head \(report.head) confirmed \(report.confirmed) indexed \(report.indexedThrough.map(String.init) ?? "none") "
                + "new events \(report.newEvents) reorgs \(report.reorgs) recovered \(report.recoveredLogs)")
            if report.halted {
                let reason = (try? session.store.cursor()?.haltedReason).flatMap { $0 } ?? "finality violation"
                throw CommandFailure(.problemFound, "claim processing is halted: \(reason)")
            }
            return .ok
        }
        // A new task does not inherit the command's executor: the follower is put on the writer thread again.
        let task = Task(executorPreference: KeeperExecutors.writer) { () async -> KeeperError? in
            do throws(KeeperError) { try await follower.run(); return nil } catch { return error }
        }
        let signals = [SIGINT, SIGTERM].map { signal -> DispatchSourceSignal in
            Foundation.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal)
            source.setEventHandler { task.cancel() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        if let error = await task.value { throw KeeperFailure.failure(error) }
        return .ok
    }
}

/// Maps the Keeper module's errors to the CLI's exit statuses (DESIGN.md §8).
enum KeeperFailure {
    static func map<T>(_ body: () throws(KeeperError) -> T) throws(CommandFailure) -> T {
        do { return try body() } catch { throw failure(error) }
    }

    static func map<T>(_ body: () async throws(KeeperError) -> T) async throws(CommandFailure) -> T {
        do { return try await body() } catch { throw failure(error) }
    }

    static func failure(_ error: KeeperError) -> CommandFailure {
        let code: ExitCode = switch error.code {
        case .config: .config
        case .unavailable, .locked: .unavailable
        case .badData: .badData
        case .store, .software: .software
        case .halted, .reverted: .problemFound
        }
        return CommandFailure(code, error.message)
    }
}
