import Foundation
import Testing
import TestSupport

/// `lg-keeper help COMMAND` and `lg-keeper COMMAND --help` / `-h`, for every command `--help` lists.
@Suite struct CommandHelpTests {
    /// The command names of the list in `lg-keeper --help` (the lines under "Commands:").
    static func listedCommands() throws -> [String] {
        let help = try KeeperBinary.run(["--help"])
        let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "Commands:") else { return [] }
        return lines[(start + 1)...].prefix { !$0.isEmpty }.filter { $0.hasPrefix("  ") && !$0.hasPrefix("    ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    @Test func topLevelHelpListsEveryCommandInShortLines() throws {
        let help = try KeeperBinary.run(["--help"])
        #expect(help.status == 0)
        for line in help.stdout.split(separator: "\n") { #expect(line.count < 100, "\(line.count) columns: \(line)") }
        let commands = try Self.listedCommands()
        for name in ["account", "backup", "claims", "evidence", "index", "keys", "probe", "reconcile", "report", "resume", "run",
                     "status", "verify", "audit"] {
            #expect(commands.contains(name), "\(name) is listed")
        }
        #expect(try KeeperBinary.run(["help"]).stdout == help.stdout)
        #expect(try KeeperBinary.run(["-h"]).stdout == help.stdout)
    }

    @Test func everyCommandHasHelpWithUsageOptionsExitCodesAndExamples() throws {
        let commands = try Self.listedCommands()
        #expect(commands.count >= 14)
        for name in commands {
            let byHelp = try KeeperBinary.run(["help", name])
            #expect(byHelp.status == 0, "help \(name): \(byHelp.stderr)")
            #expect(byHelp.stdout.hasPrefix("lg-keeper \(name) — "), "help \(name) names the command")
            for section in ["Usage:", "Exit status:", "Example"] { #expect(byHelp.stdout.contains(section), "help \(name) has \(section)") }
            #expect(byHelp.stdout.contains("lg-keeper \(name) "), "help \(name) has a command line")
            for line in byHelp.stdout.split(separator: "\n") { #expect(line.count < 100, "help \(name): \(line.count) columns: \(line)") }
            for flag in ["--help", "-h"] {
                let byFlag = try KeeperBinary.run([name, flag])
                #expect(byFlag.status == 0, "\(name) \(flag): \(byFlag.stderr)")
                #expect(byFlag.stdout == byHelp.stdout, "\(name) \(flag) prints the same help")
            }
        }
    }

    @Test func helpComesBeforeOptionParsing() throws {
        // `run --help` answered "unknown option --help" (exit 64); with other options, and after an
        // action, it is still help.
        for arguments in [["run", "--help"], ["run", "--config", "/nonexistent.json", "--help"], ["account", "import", "-h"],
                          ["claims", "show", "--help"]] {
            let result = try KeeperBinary.run(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(result.stdout.contains("Example"), "\(arguments)")
        }
        let run = try KeeperBinary.run(["help", "run"])
        for option in ["--config FILE", "--stop-deadline", "--log-format logfmt|json", "--log-level"] {
            #expect(run.stdout.contains(option), "run documents \(option)")
        }
        let index = try KeeperBinary.run(["help", "index"])
        #expect(index.stdout.contains("--log-format") && index.stdout.contains("--log-level") && index.stdout.contains("--once"))
        let claims = try KeeperBinary.run(["help", "claims"])
        #expect(claims.stdout.contains("show USER ORDER [--json]"))
        let report = try KeeperBinary.run(["help", "report"])
        #expect(report.stdout.contains("--days N"))
        let account = try KeeperBinary.run(["help", "account"])
        #expect(account.stdout.contains("account import --keystore FILE"))
    }

    @Test func helpForAnUnknownCommandIsAUsageError() throws {
        let unknown = try KeeperBinary.run(["help", "nosuch"])
        #expect(unknown.status == 64)
        #expect(unknown.stdout.isEmpty)
        #expect(unknown.stderr == "lg-keeper: no command 'nosuch'; run `lg-keeper --help` for the list\n")
        #expect(try KeeperBinary.run(["help", "run", "index"]).status == 64)
    }

    @Test func aUsageErrorNamesTheProblemThenTheUsageInShortLines() throws {
        for name in try Self.listedCommands() {
            let result = try KeeperBinary.run([name, "--no-such-option"])
            #expect(result.status == 64, "\(name): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.first == "lg-keeper: unknown option --no-such-option", "\(name): \(result.stderr)")
            #expect(lines.dropFirst().first?.hasPrefix("usage: lg-keeper \(name)") == true, "\(name): \(result.stderr)")
            #expect(lines.last == "run `lg-keeper help \(name)` for options and examples")
            for line in lines { #expect(line.count < 100, "\(name): \(line)") }
        }
    }
}
