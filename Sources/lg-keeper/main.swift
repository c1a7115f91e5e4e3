import CMalloc
import Foundation
import Keeper
import Wire

/// A subcommand: its name, one line for `--help`, and what it does.
struct Command: Sendable {
    let name: String
    let usage: String
    let summary: String
    let run: @Sendable ([String]) async throws -> ExitCode
}

/// Only commands that work are listed; the rest arrive with their issues.
enum CommandTable {
    static let all: [Command] = [
        AccountCommand.command,
        EvidenceCommand.command,
        KeysCommand.command,
        ProbeCommand.command,
        RunCommand.command,
        IndexCommand.command,
        StatusCommand.command,
        VerifyCommand.command,
        ClaimsCommand.command,
        AuditCommand.command,
        ReconcileCommand.command,
        ResumeCommand.command,
        ReportCommand.command,
    ]
}

func printHelp() {
    var text = """
    \(BuildInfo.name) \(BuildInfo.version) — the LeverageGuard keeper: follows the contract's claim requests,
    verifies liquidations on OKX, settles payouts on-chain.

    Usage: lg-keeper <command> [options]

    Commands:

    """
    let width = CommandTable.all.map(\.usage.count).max() ?? 0
    for command in CommandTable.all {
        text += "  " + command.usage.padding(toLength: width + 2, withPad: " ", startingAt: 0) + command.summary + "\n"
    }
    text += """

    Options:
      --help       show this help
      --version    print the version

    Exit status: 0 ok, 1 problem found, 64 usage, 65 bad data, 69 upstream unavailable,
    70 internal error, 78 bad configuration.
    """
    print(text)
}

/// Prints `lg-keeper: message` on stderr and exits. The message is escaped (`TerminalText`): errors
/// carry what a node, OKX or a trader wrote. `usage`, the command's own text, follows on a line of its own.
func fail(_ code: ExitCode, _ message: String, usage: String? = nil) -> Never {
    let text = "lg-keeper: \(TerminalText.escaped(message))\n" + (usage.map { "usage: lg-keeper \($0)\n" } ?? "")
    FileHandle.standardError.write(Data(text.utf8))
    exit(code.rawValue)
}

// Buffers of 1 MB or more (eth_getLogs answers: 25 MB for a range of 500 busy blocks) are mapped
// for themselves and returned to the system when freed. glibc's default raises this threshold to
// the largest buffer freed so far, after which every later answer is carved from a malloc heap that
// keeps it resident for the life of the process: 22 MB of the backfill's peak (BENCHMARKS.md).
_ = CMalloc_setMmapThreshold(1 << 20)

let words = Array(CommandLine.arguments.dropFirst())
guard let first = words.first else {
    printHelp()
    exit(ExitCode.usage.rawValue)
}
switch first {
case "--help", "-h", "help":
    printHelp()
    exit(0)
case "--version":
    print("\(BuildInfo.name) \(BuildInfo.version)")
    exit(0)
default:
    guard let command = CommandTable.all.first(where: { $0.name == first }) else {
        fail(.usage, "unknown command '\(TerminalText.excerpt(first))'; run `lg-keeper --help` for the list")
    }
    do {
        // Every command runs on the keeper's writer thread, not on the cooperative pool: its SQLite
        // calls block (KeeperExecutors, README "Concurrency model").
        let status = try await withTaskExecutorPreference(KeeperExecutors.writer) { try await command.run(Array(words.dropFirst())) }
        exit(status.rawValue)
    } catch let error as UsageError {
        fail(.usage, error.description, usage: command.usage)
    } catch let error as CommandFailure {
        fail(error.code, error.message)
    } catch {
        fail(.software, "\(error)")
    }
}

/// A command's failure: the exit status and one line for the operator.
struct CommandFailure: Error {
    let code: ExitCode
    let message: String
    init(_ code: ExitCode, _ message: String) { self.code = code; self.message = message }
}
