import Indexer
import Logging

/// `log`: how the long-running commands (`run`, `index`) write their log lines; `--log-format` and
/// `--log-level` override it.
public struct LogConfig: Sendable {
    public var format: LogFormat
    public var level: Logger.Level

    public init(format: LogFormat = .logfmt, level: Logger.Level = .info) {
        self.format = format
        self.level = level
    }

    init(_ r: inout ConfigReader) throws(KeeperError) {
        let format = try r.string("format", default: LogFormat.logfmt.rawValue)
        guard let parsed = LogFormat(rawValue: format) else {
            throw KeeperError(.config, "log.format must be \"logfmt\" or \"json\", not \"\(Self.cut(format))\"")
        }
        let level = try r.string("level", default: "info")
        guard let parsedLevel = Logger.Level(name: level) else {
            throw KeeperError(.config, "log.level must be \"debug\", \"info\", \"warn\" or \"error\", not \"\(Self.cut(level))\"")
        }
        self.format = parsed
        self.level = parsedLevel
        try r.finish()
    }

    /// A rejected value echoed short and printable.
    static func cut(_ text: String) -> String {
        let printable = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\"" ? "?" : $0 }))
        return printable.count > 32 ? printable.prefix(32) + "…" : printable
    }
}
