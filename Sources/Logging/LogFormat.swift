/// How a line is written: `logfmt` (`key=value`, quoted where needed) or one JSON object per line.
public enum LogFormat: String, Sendable, CaseIterable {
    case logfmt
    case json

    /// A value is cut to this many characters (what came from outside may be long); the cut is marked `…`.
    public static let maximumValueLength = 1_024

    /// The whole line for `fields`, without the newline.
    public func line(_ fields: [(String, Logger.Value)]) -> String {
        var out = ""
        switch self {
        case .logfmt:
            for (index, (key, value)) in fields.enumerated() {
                if index > 0 { out += " " }
                out += Self.key(key)
                out += "="
                switch value.storage {
                case .string(let text): Self.logfmtValue(text, into: &out)
                case .integer(let digits): out += digits
                case .bool(let flag): out += flag ? "true" : "false"
                }
            }
        case .json:
            out += "{"
            for (index, (key, value)) in fields.enumerated() {
                if index > 0 { out += "," }
                Self.quoted(Self.key(key), into: &out)
                out += ":"
                switch value.storage {
                case .string(let text): Self.quoted(text, into: &out)
                case .integer(let digits): out += digits
                case .bool(let flag): out += flag ? "true" : "false"
                }
            }
            out += "}"
        }
        return out
    }

    /// Keys are the keeper's own; anything but letters, digits, `_`, `.` and `-` becomes `_`.
    static func key(_ key: String) -> String {
        let safe = !key.isEmpty && key.unicodeScalars.allSatisfy(isKeyScalar)
        if safe { return key }
        return key.isEmpty ? "_" : String(String.UnicodeScalarView(key.unicodeScalars.map { isKeyScalar($0) ? $0 : "_" }))
    }

    private static func isKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-": true
        default: false
        }
    }

    /// Bare when the value is printable ASCII without a space, `"`, `=` or `\`; else quoted and escaped.
    static func logfmtValue(_ text: String, into out: inout String) {
        let bare = !text.isEmpty && text.utf8.count <= maximumValueLength
            && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "\\") }
        if bare { out += text } else { quoted(text, into: &out) }
    }

    /// A JSON string literal (also logfmt's quoted form): `"` and `\` escaped, and every control or
    /// invisible character — C0, DEL, C1, line and paragraph separators, bidirectional overrides — as `\uXXXX`.
    static func quoted(_ text: String, into out: inout String) {
        out += "\""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == maximumValueLength { out += "…"; break }
            count += 1
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if isHidden(scalar) {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// Characters a terminal or a log viewer acts on or hides rather than shows.
    static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x200B...0x200F, 0x202A...0x202E, 0x2066...0x2069, 0xFEFF: true
        default: false
        }
    }
}
