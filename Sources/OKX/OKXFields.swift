import Foundation
import Wire

/// A record in an OKX answer that does not have the shape OKX documents.
public struct OKXDecodingError: Error, Equatable, CustomStringConvertible {
    /// The record kind, e.g. `order`.
    public let record: String
    public let field: String
    public let reason: String

    public var description: String { "\(record).\(field) \(reason)" }
}

/// Reads one record's fields as OKX sends them: every value a string, numbers as decimal
/// strings, times as epoch-millisecond strings, `""` when empty [overview-general-info].
struct OKXFields {
    let record: String
    private let members: [String: JSON]

    init(_ json: JSON, record: String) throws(OKXDecodingError) {
        guard let members = json.objectValue else {
            throw OKXDecodingError(record: record, field: "(record)", reason: "is not an object")
        }
        self.record = record
        self.members = members
    }

    /// A string field; a missing field reads as `""` only when `required` is false.
    func string(_ name: String, required: Bool = true) throws(OKXDecodingError) -> String {
        switch members[name] {
        case .string(let text)?: return text
        case nil where !required, .null? where !required: return ""
        case nil: throw fail(name, "is missing")
        default: throw fail(name, "is not a string")
        }
    }

    /// A non-empty string field.
    func identifier(_ name: String) throws(OKXDecodingError) -> String {
        let text = try string(name)
        guard !text.isEmpty else { throw fail(name, "is empty") }
        return text
    }

    /// A decimal that must be present.
    func decimal(_ name: String) throws(OKXDecodingError) -> Decimal {
        guard let value = try optionalDecimal(name) else { throw fail(name, "is empty") }
        return value
    }

    /// A decimal, nil when OKX sends `""` or leaves the field out.
    func optionalDecimal(_ name: String) throws(OKXDecodingError) -> Decimal? {
        let text = try string(name, required: false)
        if text.isEmpty { return nil }
        guard let value = OKXDecimal.parse(text) else {
            throw fail(name, "is not a decimal of at most 38 significant digits: \"\(text)\"")
        }
        return value
    }

    /// Epoch milliseconds that must be present.
    func milliseconds(_ name: String) throws(OKXDecodingError) -> Int64 {
        guard let value = try optionalMilliseconds(name) else { throw fail(name, "is empty") }
        return value
    }

    /// Epoch milliseconds, nil when empty or absent.
    func optionalMilliseconds(_ name: String) throws(OKXDecodingError) -> Int64? {
        let text = try string(name, required: false)
        if text.isEmpty { return nil }
        guard text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let value = Int64(text) else {
            throw fail(name, "is not epoch milliseconds: \"\(text)\"")
        }
        return value
    }

    private func fail(_ field: String, _ reason: String) -> OKXDecodingError {
        OKXDecodingError(record: record, field: field, reason: reason)
    }
}

/// OKX's decimal strings as `Decimal`, strictly: `-?digits(.digits)?` with an optional exponent.
/// (Foundation's `Decimal(string:)` alone accepts a valid prefix of junk such as `"12abc"`, and
/// silently rounds away digits beyond the 38 significant ones a `Decimal` holds.)
public enum OKXDecimal {
    private static let posix = Locale(identifier: "en_US_POSIX")

    public static func parse(_ text: String) -> Decimal? {
        var bytes = Substring(text).utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let digits = { (part: Substring.UTF8View.SubSequence) in part.prefix { $0 >= 0x30 && $0 <= 0x39 }.count }
        let whole = digits(bytes)
        guard whole > 0 else { return nil }
        bytes = bytes.dropFirst(whole)
        if bytes.first == UInt8(ascii: ".") {
            let fraction = digits(bytes.dropFirst())
            guard fraction > 0 else { return nil }
            bytes = bytes.dropFirst(1 + fraction)
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            let exponent = digits(bytes)
            guard exponent > 0, exponent <= 3 else { return nil }
            bytes = bytes.dropFirst(exponent)
        }
        guard bytes.isEmpty, text.utf8.count <= 64, let value = Decimal(string: text, locale: posix) else { return nil }
        // An amount a Decimal cannot hold exactly is refused, never settled as a rounded one.
        guard let written = numeral(text), numeral(value.description) == written else { return nil }
        return value
    }

    /// A numeral's value as sign, significant digits and power of ten, so that equal amounts
    /// compare equal: "-012.50e1" and "-125" both give "-125e0". Nil for what is not a numeral
    /// (Decimal's "NaN").
    package static func numeral(_ text: String) -> String? {
        var text = Substring(text)
        let negative = text.first == "-"
        if negative { text = text.dropFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let value = Int(text[text.index(after: e)...]) else { return nil }
            exponent = value
            text = text[..<e]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }) else { return nil }
        if parts.count == 2 { exponent -= parts[1].count }
        var digits = Substring(parts.joined()).drop { $0 == "0" }
        guard !digits.isEmpty else { return "0e0" }
        while digits.last == "0" { digits = digits.dropLast(); exponent += 1 }
        return (negative ? "-" : "") + digits + "e\(exponent)"
    }
}
