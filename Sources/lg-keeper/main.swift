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
        BackupCommand.command,
        ConsoleCommand.command,
    ]
}

func printHelp() {
    var lines = [
        "\(BuildInfo.name) \(BuildInfo.version) — the LeverageGuard keeper: follows the contract's claim",
        "requests, verifies liquidations on OKX, settles payouts on-chain.",
        "",
        "Usage: lg-keeper COMMAND [options]",
        "       lg-keeper help COMMAND      (or lg-keeper COMMAND --help): options, exit codes, examples",
        "",
        "Commands:",
    ]
    let width = CommandTable.all.map(\.name.count).max() ?? 0
    for command in CommandTable.all {
        let summary = CommandHelp.all[command.name]?.summary ?? command.summary
        lines += CommandHelp.wrap(summary, indent: 0, hanging: 0, width: CommandHelp.width - width - 4).enumerated().map { index, text in
            (index == 0 ? "  " + command.name.padding(toLength: width + 2, withPad: " ", startingAt: 0) : String(repeating: " ", count: width + 4)) + text
        }
    }
    lines += [
        "",
        "Options:",
        "  --help, -h   show this help",
        "  --version    print the version",
        "",
        "Every command reading the configuration takes --config FILE (default config/keeper.json).",
        "Exit status: 0 ok, 1 problem found, 64 usage, 65 bad data, 69 upstream unavailable,",
        "70 internal error, 78 bad configuration.",
    ]
    print(lines.joined(separator: "\n"))
}

/// Prints the help of `name` and exits 0; an unknown name is a usage error.
func printCommandHelp(_ name: String) -> Never {
    guard CommandTable.all.contains(where: { $0.name == name }) else {
        fail(.usage, "no command '\(TerminalText.excerpt(name))'; run `lg-keeper --help` for the list")
    }
    guard let text = CommandHelp.text(for: name) else { fail(.software, "no help is written for '\(name)'") }
    print(text)
    exit(0)
}

/// The usage lines of `command` for a usage error.
func usageLines(_ command: Command) -> String {
    guard let help = CommandHelp.all[command.name] else { return "usage: lg-keeper \(command.usage)" }
    let lines = help.usage.enumerated().flatMap { index, line in
        let continued = line.hasPrefix(" ") || line.hasPrefix("(")
        let text = (index == 0 ? "usage: " : "") + (continued ? line.trimmingCharacters(in: .whitespaces) : "lg-keeper " + line)
        return CommandHelp.wrap(text, indent: index == 0 ? 0 : continued ? 17 : 7, hanging: 17)
    }
    return (lines + ["run `lg-keeper help \(command.name)` for options and examples"]).joined(separator: "\n")
}

/// Prints `lg-keeper: message` on stderr and exits. The message is escaped (`TerminalText`): errors
/// carry what a node, OKX or a trader wrote. `usage`, the command's own text (`usageLines`), follows as is.
func fail(_ code: ExitCode, _ message: String, usage: String? = nil) -> Never {
    let text = "lg-keeper: \(TerminalText.escaped(message))\n" + (usage.map { $0 + "\n" } ?? "")
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
case "--help", "-h":
    printHelp()
    exit(0)
case "help":
    switch words.count {
    case 1: printHelp(); exit(0)
    case 2: printCommandHelp(words[1])
    default: fail(.usage, "say `lg-keeper help COMMAND` with one command")
    }
case "--version":
    print("\(BuildInfo.name) \(BuildInfo.version)")
    exit(0)
default:
    guard let command = CommandTable.all.first(where: { $0.name == first }) else {
        fail(.usage, "unknown command '\(TerminalText.excerpt(first))'; run `lg-keeper --help` for the list")
    }
    // Help before the command parses its options, so that `run --help` is help, not an unknown option.
    if words.dropFirst().contains(where: { $0 == "--help" || $0 == "-h" }) { printCommandHelp(command.name) }
    do {
        // Every command runs on the keeper's writer thread, not on the cooperative pool: its SQLite
        // calls block (KeeperExecutors, README "Concurrency model").
        let status = try await withTaskExecutorPreference(KeeperExecutors.writer) { try await command.run(Array(words.dropFirst())) }
        exit(status.rawValue)
    } catch let error as UsageError {
        fail(.usage, error.description, usage: usageLines(command))
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
