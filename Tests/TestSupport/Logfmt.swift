/// A logfmt reader for the tests: `key=value` pairs, values bare or quoted with `\"`, `\\`, `\n`, `\r`,
/// `\t` and `\uXXXX` escapes. Returns nil for anything that is not exactly that.
public func parseLogfmt(_ line: String) -> [(String, String)]? {
    var pairs: [(String, String)] = []
    var scalars = Array(line.unicodeScalars)[...]
    while !scalars.isEmpty {
        guard let equals = scalars.firstIndex(of: "="), equals > scalars.startIndex else { return nil }
        let key = String(String.UnicodeScalarView(scalars[..<equals]))
        guard !key.contains(" ") else { return nil }
        scalars = scalars[(equals + 1)...]
        var value = String.UnicodeScalarView()
        if scalars.first == "\"" {
            scalars = scalars.dropFirst()
            var closed = false
            while let scalar = scalars.first {
                scalars = scalars.dropFirst()
                if scalar == "\"" { closed = true; break }
                guard scalar == "\\" else { value.append(scalar); continue }
                guard let escaped = scalars.first else { return nil }
                scalars = scalars.dropFirst()
                switch escaped {
                case "\"", "\\": value.append(escaped)
                case "n": value.append("\n")
                case "r": value.append("\r")
                case "t": value.append("\t")
                case "u":
                    guard scalars.count >= 4, let code = UInt32(String(String.UnicodeScalarView(scalars.prefix(4))), radix: 16),
                          let decoded = Unicode.Scalar(code) else { return nil }
                    value.append(decoded)
                    scalars = scalars.dropFirst(4)
                default: return nil
                }
            }
            guard closed else { return nil }
        } else {
            while let scalar = scalars.first, scalar != " " {
                guard scalar != "\"", scalar != "=" else { return nil }
                value.append(scalar)
                scalars = scalars.dropFirst()
            }
        }
        pairs.append((key, String(value)))
        if scalars.first == " " { scalars = scalars.dropFirst() } else if !scalars.isEmpty { return nil }
    }
    return pairs
}
