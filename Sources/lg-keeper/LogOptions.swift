import Keeper
import Logging

/// `--log-format logfmt|json` and `--log-level debug|info|warn|error` of the long-running commands;
/// each overrides the configuration's `log.format` / `log.level`.
enum LogOptions {
    static let names: Set<String> = ["log-format", "log-level"]
    static let usage = "[--log-format logfmt|json] [--log-level debug|info|warn|error]"

    /// The flags as given, checked before the configuration is read (a bad value is a usage error, 64).
    static func parse(_ arguments: Arguments) throws(UsageError) -> (format: LogFormat?, level: Logger.Level?) {
        var format: LogFormat?, level: Logger.Level?
        if let text = arguments.value("log-format") {
            guard let parsed = LogFormat(rawValue: text) else { throw UsageError("--log-format must be logfmt or json, not '\(cut(text))'") }
            format = parsed
        }
        if let text = arguments.value("log-level") {
            guard let parsed = Logger.Level(name: text) else { throw UsageError("--log-level must be debug, info, warn or error, not '\(cut(text))'") }
            level = parsed
        }
        return (format, level)
    }

    /// The logger to stderr: the flags over `config.log`.
    static func logger(_ flags: (format: LogFormat?, level: Logger.Level?), _ config: Config) -> Logger {
        Logger(level: flags.level ?? config.log.level, format: flags.format ?? config.log.format, sink: .standardError)
    }

    private static func cut(_ text: String) -> String {
        let printable = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "'" ? "?" : $0 }))
        return printable.count > 32 ? printable.prefix(32) + "…" : printable
    }
}
