import Foundation

/// swift-log's shape without the package (STYLE.md, "Logs"): a value with a level, a format, key-value
/// metadata and a sink. Each event is one line: `ts` (RFC 3339, UTC, milliseconds), `level`, `msg`, then
/// the logger's metadata and the event's fields in the order given. The logger escapes every value, so
/// that nothing a trader, OKX or a node says can split a line or forge a field.
public struct Logger: Sendable {
    /// How urgent an event is; events below the logger's level are dropped.
    public enum Level: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        case debug, info, warn, error

        /// `debug`, `info`, `warn`, `error` (and `warning`); nil for anything else.
        public init?(name: String) {
            switch name {
            case "debug": self = .debug
            case "info": self = .info
            case "warn", "warning": self = .warn
            case "error": self = .error
            default: return nil
            }
        }

        public var description: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warn: "warn"
            case .error: "error"
            }
        }

        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    /// The events' fields, in the order they are written.
    public typealias Fields = KeyValuePairs<String, Value>

    /// The lowest level written.
    public var level: Level
    public var format: LogFormat
    /// Fields written on every line of this logger, after `msg` and before the event's own.
    public var metadata: [(key: String, value: Value)] = []
    public let sink: LogSink
    /// Where timestamps come from (tests fix it).
    public var clock: @Sendable () -> Date = { Date() }

    public init(level: Level = .info, format: LogFormat = .logfmt, sink: LogSink) {
        self.level = level
        self.format = format
        self.sink = sink
    }

    /// A logger that writes nothing (the default of components built without one).
    public static var discarding: Logger { Logger(level: .error, sink: .discard) }

    /// This logger with `fields` added to every line.
    public func with(_ fields: Fields) -> Logger {
        var copy = self
        for (key, value) in fields { copy.metadata.append((key, value)) }
        return copy
    }

    /// Whether an event at `level` would be written (to skip building costly fields).
    public func isEnabled(_ level: Level) -> Bool { level >= self.level && !sink.isDiscard }

    /// One event at `level`: `message` and `fields`, in their order, after `ts` and `level`.
    public func log(_ level: Level, _ message: String, _ fields: Fields = [:]) {
        guard isEnabled(level) else { return }
        log(level, message, fields: fields.map { ($0.key, $0.value) })
    }

    /// An event whose fields were gathered at run time.
    public func log(_ level: Level, _ message: String, fields: [(String, Value)]) {
        guard isEnabled(level) else { return }
        var all: [(String, Value)] = [("ts", .string(Self.timestamp(clock()))), ("level", .string(level.description)), ("msg", .string(message))]
        all.reserveCapacity(3 + metadata.count + fields.count)
        for (key, value) in metadata { all.append((key, value)) }
        for (key, value) in fields { all.append((key, value)) }
        sink.write(format.line(all))
    }

    public func debug(_ message: String, _ fields: Fields = [:]) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: Fields = [:]) { log(.info, message, fields) }
    public func warn(_ message: String, _ fields: Fields = [:]) { log(.warn, message, fields) }
    public func error(_ message: String, _ fields: Fields = [:]) { log(.error, message, fields) }

    /// RFC 3339 in UTC with milliseconds: `2026-12-06T09:49:18.123Z`.
    public static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds.quotientRounded)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds.remainderMilliseconds), 3))Z"
    }
}

private extension Int64 {
    /// Seconds of a millisecond count, rounded towards minus infinity.
    var quotientRounded: Int64 { self >= 0 ? self / 1000 : (self - 999) / 1000 }
    var remainderMilliseconds: Int64 { ((self % 1000) + 1000) % 1000 }
}

extension Logger {
    /// One field's value: text, a whole number or a flag. Numbers and flags are bare in JSON; text is
    /// always escaped. Build one with a string (interpolation included), `.int(_:)` or `.bool(_:)`.
    public struct Value: Sendable, ExpressibleByStringLiteral, ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral,
                         ExpressibleByBooleanLiteral, CustomStringConvertible {
        enum Storage: Sendable { case string(String), integer(String), bool(Bool) }
        let storage: Storage

        init(_ storage: Storage) { self.storage = storage }
        public init(stringLiteral value: String) { storage = .string(value) }
        public init(integerLiteral value: Int) { storage = .integer(String(value)) }
        public init(booleanLiteral value: Bool) { storage = .bool(value) }

        public static func string(_ text: String) -> Value { Value(.string(text)) }
        /// Text from any value's description (an address, a hash, an error).
        public static func string(_ value: some CustomStringConvertible) -> Value { Value(.string(value.description)) }
        public static func int(_ value: some BinaryInteger) -> Value { Value(.integer(String(value))) }
        public static func bool(_ value: Bool) -> Value { Value(.bool(value)) }

        public var description: String {
            switch storage {
            case .string(let text), .integer(let text): text
            case .bool(let flag): flag ? "true" : "false"
            }
        }
    }
}
