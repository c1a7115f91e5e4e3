import Wire

/// A UTC calendar day, `YYYY-MM-DD`, checked to exist (no month 13, no 30 February): the days a
/// report covers. Counted as days since 1970-01-01 (proleptic Gregorian, as RFC 3339 dates are).
public struct ReportDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Days since 1970-01-01.
    public let ordinal: Int64

    public init(ordinal: Int64) { self.ordinal = ordinal }

    /// Parses `YYYY-MM-DD`; nil when the text is not of that form or names no day of the calendar.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
              let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2]),
              (1...12).contains(month), (1...CivilDate.daysIn(month: month, year: year)).contains(day) else { return nil }
        ordinal = Self.ordinal(year: year, month: month, day: day)
    }

    /// The day holding `epochSeconds` (UTC).
    public init(epochSeconds: Int64) {
        ordinal = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
    }

    public func adding(days: Int64) -> ReportDay { ReportDay(ordinal: ordinal + days) }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (year, month, day) = civil
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day))"
    }

    /// `MM-DD`, for an axis.
    public var monthAndDay: String { String(description.dropFirst(5)) }

    public static func < (lhs: ReportDay, rhs: ReportDay) -> Bool { lhs.ordinal < rhs.ordinal }

    static func ordinal(year: Int64, month: Int64, day: Int64) -> Int64 { CivilDate.days(year: year, month: month, day: day) }

    var civil: (year: Int64, month: Int64, day: Int64) { CivilDate.civil(fromDays: ordinal) }
}
