import Foundation
import Wire

extension SignInMessage {
    /// An RFC 3339 `date-time` (https://www.rfc-editor.org/rfc/rfc3339#section-5.6) as a message
    /// carries it: the text as written, so a parsed message renders to the same bytes, and the
    /// instant it names.
    public struct Timestamp: Sendable, Hashable, CustomStringConvertible {
        /// The text as it appears in the message.
        public let text: String
        /// The instant the text names.
        public let date: Date

        /// `date` in UTC to the whole second (a fraction is dropped): `2026-12-06T12:00:00Z`.
        /// Years outside 0000 ... 9999 have no RFC 3339 form and stop the program.
        public init(_ date: Date) {
            let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
            let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
            let secondOfDay = seconds - days * 86_400
            let (year, month, day) = CivilDate.civil(fromDays: days)
            precondition((0...9999).contains(year), "year \(year) has no RFC 3339 form")
            func pad(_ value: Int64, _ width: Int) -> String {
                let digits = String(value)
                return String(repeating: "0", count: max(0, width - digits.count)) + digits
            }
            text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2))Z"
            self.date = Date(timeIntervalSince1970: TimeInterval(seconds))
        }

        /// Reads `date-time`: `full-date "T" partial-time time-offset`, with a fraction of a second
        /// optional, `Z` or `±hh:mm`, and the RFC's ranges (day within its month, second up to 60).
        public init(rfc3339 text: String) throws(EthereumError) {
            let bytes = Array(text.utf8)
            func fail(_ what: String) -> EthereumError {
                EthereumError(.invalidSignInMessage, "\(SignInMessage.quoted(bytes[...])) is not an RFC 3339 date-time such as 2026-12-06T12:00:00Z: \(what)")
            }
            func number(_ start: Int, _ count: Int) -> Int64? {
                guard start + count <= bytes.count else { return nil }
                var value: Int64 = 0
                for byte in bytes[start..<(start + count)] {
                    guard RFC3986.isDigit(byte) else { return nil }
                    value = value * 10 + Int64(byte - 0x30)
                }
                return value
            }
            func byte(_ index: Int) -> UInt8? { index < bytes.count ? bytes[index] : nil }
            guard let year = number(0, 4), byte(4) == 0x2D, let month = number(5, 2), byte(7) == 0x2D, let day = number(8, 2) else {
                throw fail("the date must be YYYY-MM-DD")
            }
            guard (1...12).contains(month), (1...CivilDate.daysIn(month: month, year: year)).contains(day) else {
                throw fail("there is no day \(day) in month \(month) of \(year)")
            }
            guard byte(10) == 0x54 || byte(10) == 0x74 else { throw fail("the date and the time are joined by T") }
            guard let hour = number(11, 2), byte(13) == 0x3A, let minute = number(14, 2), byte(16) == 0x3A, let second = number(17, 2) else {
                throw fail("the time must be hh:mm:ss")
            }
            guard hour <= 23, minute <= 59, second <= 60 else { throw fail("hour, minute or second out of range") }
            var index = 19
            var fraction = 0.0
            if byte(index) == 0x2E {
                let start = index + 1
                index = start
                while let digit = byte(index), RFC3986.isDigit(digit) { index += 1 }
                guard index > start, let value = Double("0." + String(decoding: bytes[start..<index], as: UTF8.self)) else {
                    throw fail("a fraction of a second needs digits after the point")
                }
                fraction = value
            }
            let offset: Int64
            switch byte(index) {
            case 0x5A, 0x7A:
                offset = 0
                index += 1
            case 0x2B, 0x2D:
                guard let offsetHour = number(index + 1, 2), byte(index + 3) == 0x3A, let offsetMinute = number(index + 4, 2),
                      offsetHour <= 23, offsetMinute <= 59 else {
                    throw fail("the offset must be Z or ±hh:mm")
                }
                offset = (bytes[index] == 0x2B ? 1 : -1) * (offsetHour * 3600 + offsetMinute * 60)
                index += 6
            default:
                throw fail("the time must end with Z or an offset ±hh:mm")
            }
            guard index == bytes.count else { throw fail("it has characters after the offset") }
            let seconds = CivilDate.days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
            self.text = text
            self.date = Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
        }

        public var description: String { text }
    }
}
