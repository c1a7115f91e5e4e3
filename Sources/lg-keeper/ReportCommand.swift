import Foundation
import Indexer
import Keeper

/// `lg-keeper report --day YYYY-MM-DD --format csv|json|svg`: the day's claims and payouts.
enum ReportCommand {
    static let command = Command(
        name: "report",
        usage: "report --day YYYY-MM-DD --format csv|json|svg [--config FILE]",
        summary: "one UTC day's claims by state and payouts (svg: payouts per hour)",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["config", "day", "format"], flags: [])
        let day = try arguments.required("day")
        guard day.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil else { throw UsageError("--day must be YYYY-MM-DD, not \(day)") }
        let format = arguments.value("format") ?? "json"
        guard ["csv", "json", "svg"].contains(format) else { throw UsageError("--format must be csv, json or svg") }
        let database = try KeeperDatabase.open(configPath: arguments.value("config"))
        let pool = try KeeperFailure.map { () throws(KeeperError) in try Config.load(path: arguments.value("config") ?? Config.defaultPath, reads: []).pool }
        let report = try KeeperFailure.map { () throws(KeeperError) in
            try DailyReport.read(database, day: day, currency: pool.currency, decimals: pool.decimals)
        }
        switch format {
        case "csv": print(report.csv, terminator: "")
        case "svg": print(report.svg, terminator: "")
        default: print(report.json.serializedString)
        }
        return .ok
    }
}
