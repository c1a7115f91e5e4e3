import Foundation
import Indexer
import Keeper
import PrivateFiles
import Settlement
import Store
import Wire

/// `lg-keeper console add-operator|remove-operator|operators`: who may log in to the console
/// (`/console/` of `lg-keeper run` with `console.enabled`). The password comes from the first line of
/// stdin, or a prompt with echo off on a terminal; never from argv.
enum ConsoleCommand {
    static let command = Command(
        name: "console",
        usage: "console add-operator NAME | remove-operator NAME | operators [--by NAME] [--config FILE]",
        summary: "the operator console's logins: add, remove and list operators",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["config", "by"], flags: [])
        guard let action = arguments.positionals.first else { throw UsageError("console needs add-operator, remove-operator or operators") }
        let actor = arguments.value("by") ?? ProcessInfo.processInfo.environment["USER"] ?? "operator"
        switch action {
        case "add-operator", "remove-operator":
            guard arguments.positionals.count == 2 else { throw UsageError("give the operator's name: console \(action) NAME") }
            let name = arguments.positionals[1]
            do { try ConsoleOperators.checkName(name) } catch { throw UsageError(error.message) }
            let database = try openDatabase(configPath: arguments.value("config"))
            if action == "remove-operator" {
                try KeeperFailure.map { () throws(KeeperError) in try ConsoleOperators.remove(database, name: name, by: actor) }
                print("operator \(name) removed; their sessions end with their next request")
                return .ok
            }
            var password = try PasswordSource.firstLineOfStandardInput(prompt: "Password for \(name): ", limit: ConsoleOperators.maxPasswordBytes + 1)
            defer { password.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
            if password.last == 0x0D { password.removeLast() }
            try KeeperFailure.map { () throws(KeeperError) in try ConsoleOperators.add(database, name: name, password: password, by: actor) }
            print("operator \(name) added: log in at /console/login of `lg-keeper run` (console.enabled true)")
            return .ok
        case "operators":
            let database = try openDatabase(configPath: arguments.value("config"))
            let names: [String]
            do { names = try ConsoleOperators.names(database) } catch { throw CommandFailure(.software, "cannot read the operators: \(error)") }
            print(names.isEmpty ? "no operators: add one with `lg-keeper console add-operator NAME`" : names.joined(separator: "\n"))
            return .ok
        default:
            throw UsageError("unknown console action '\(TerminalText.excerpt(action))': use add-operator, remove-operator or operators")
        }
    }

    /// The keeper's database, created (with a 0700 directory) and migrated when absent: an operator may
    /// be added before the keeper first runs.
    static func openDatabase(configPath: String?) throws -> Database {
        let config = try KeeperFailure.map { () throws(KeeperError) in try Config.load(path: configPath ?? Config.defaultPath, reads: []) }
        let path = config.store.path
        do { try PrivateFile.createDirectories(URL(fileURLWithPath: path).deletingLastPathComponent().path) } catch {
            throw CommandFailure(.config, "cannot create the database's directory: \(error.message)")
        }
        do {
            let database = try Database(path: path)
            try KeeperSchema.migrator.migrate(database)
            return database
        } catch let error as DatabaseError where error.isOpenToOthers {
            throw CommandFailure(.config, error.message)
        } catch {
            throw CommandFailure(.software, "cannot open \(path): \(error)")
        }
    }
}
