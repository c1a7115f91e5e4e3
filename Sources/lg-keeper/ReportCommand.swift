import Foundation
import Indexer
import Keeper
import Wire

/// `lg-keeper report [--day YYYY-MM-DD] [--days N] --format csv|json|svg`: the claims and payouts of
/// the N UTC days ending with --day (today by default).
enum ReportCommand {
    static let command = Command(
        name: "report",
        usage: "report [--day YYYY-MM-DD] [--days N] --format csv|json|svg [--config FILE]",
        summary: "claims and payouts of the days ending with --day (UTC): csv one row per claim, svg a chart",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["config", "day", "days", "format"], flags: [])
        let day = try lastDay(arguments.value("day"))
        let daysText = arguments.value("days") ?? "1"
        guard let days = Int(daysText), (1...DailyReport.maxDays).contains(days) else {
            throw CommandFailure(.badData, "--days must be a whole number of days from 1 to \(DailyReport.maxDays), not '\(TerminalText.excerpt(daysText))'")
        }
        let format = arguments.value("format") ?? "json"
        guard ["csv", "json", "svg"].contains(format) else { throw UsageError("--format must be csv, json or svg") }
        let database = try KeeperDatabase.open(configPath: arguments.value("config"))
        let config = try KeeperFailure.map { () throws(KeeperError) in try Config.load(path: arguments.value("config") ?? Config.defaultPath, reads: []) }
        let report = try KeeperFailure.map { () throws(KeeperError) in
            try DailyReport.read(database, to: day, days: days, currency: config.pool.currency, decimals: config.pool.decimals,
                                 dailyLimit: config.policy.dailyLimit)
        }
        switch format {
        case "csv": print(report.csv, terminator: "")
        case "svg": print(report.svg, terminator: "")
        default: print(report.json.serializedString)
        }
        return .ok
    }

    /// `--day`, a day of the calendar (exit 65 otherwise), or today (UTC).
    static func lastDay(_ text: String?) throws -> ReportDay {
        guard let text else { return ReportDay(epochSeconds: Int64(Date().timeIntervalSince1970)) }
        guard let day = ReportDay(text) else {
            throw CommandFailure(.badData, "--day '\(TerminalText.excerpt(text, limit: 20))' is not a date: give YYYY-MM-DD with a month 01–12 and a day that month has")
        }
        return day
    }
}
