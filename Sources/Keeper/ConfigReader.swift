import Ethereum
import Indexer
import Wire

/// Reads one JSON object of the configuration strictly: every key must be read, so that a key the
/// keeper does not know (a typo, a removed option) is an error that names it.
struct ConfigReader {
    let path: String
    let members: [String: JSON]
    private var read = Set<String>()
    /// Keys read but absent: an unknown key close to one of these is a typo of it.
    private var missing = Set<String>()

    init(_ json: JSON?, path: String) throws(KeeperError) {
        self.path = path
        guard let json else { self.members = [:]; return }
        guard let members = json.objectValue else { throw KeeperError(.config, "\(path.isEmpty ? "the file" : path) must be an object") }
        self.members = members
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    mutating func take(_ key: String) -> JSON? {
        read.insert(key)
        guard let value = members[key], !value.isNull else { missing.insert(key); return nil }
        return value
    }

    /// A nested section; absent means "all defaults".
    mutating func section(_ key: String) throws(KeeperError) -> ConfigReader {
        try ConfigReader(take(key), path: name(key))
    }

    mutating func string(_ key: String) throws(KeeperError) -> String? {
        guard let value = take(key) else { return nil }
        guard let text = value.stringValue else { throw KeeperError(.config, "\(name(key)) must be a string") }
        if Self.looksLikeSecret(text) {
            throw KeeperError(.config, "\(name(key)) looks like a private key or secret: put secrets in a 0600 file or an environment variable, and name that here")
        }
        return text
    }

    mutating func string(_ key: String, default fallback: String) throws(KeeperError) -> String {
        try string(key) ?? fallback
    }

    mutating func bool(_ key: String, default fallback: Bool) throws(KeeperError) -> Bool {
        guard let value = take(key) else { return fallback }
        guard let flag = value.boolValue else { throw KeeperError(.config, "\(name(key)) must be true or false") }
        return flag
    }

    /// A whole number in `range`.
    mutating func integer(_ key: String, default fallback: Int? = nil, in range: ClosedRange<Int>) throws(KeeperError) -> Int {
        guard let value = take(key) else {
            guard let fallback else { throw KeeperError(.config, "\(name(key)) is required") }
            return fallback
        }
        guard let number = value.intValue else { throw KeeperError(.config, "\(name(key)) must be a whole number") }
        guard range.contains(number) else {
            throw KeeperError(.config, "\(name(key)) must be between \(range.lowerBound) and \(range.upperBound), not \(number)")
        }
        return number
    }

    mutating func strings(_ key: String, default fallback: [String] = []) throws(KeeperError) -> [String] {
        guard let value = take(key) else { return fallback }
        guard let items = value.arrayValue else { throw KeeperError(.config, "\(name(key)) must be a list of strings") }
        var out = [String]()
        for (index, item) in items.enumerated() {
            guard let text = item.stringValue else { throw KeeperError(.config, "\(name(key))[\(index)] must be a string") }
            out.append(text)
        }
        return out
    }

    mutating func address(_ key: String) throws(KeeperError) -> Address {
        guard let text = try string(key) else { throw KeeperError(.config, "\(name(key)) is required") }
        return try Self.address(text, name(key))
    }

    static func address(_ text: String, _ name: String) throws(KeeperError) -> Address {
        do { return try Address(hex: text) } catch { throw KeeperError(.config, "\(name): \(error.message)") }
    }

    /// An amount written as a decimal string ("12.5") in units with `decimals` fractional digits,
    /// returned in base units. Numbers are refused: a JSON number may pass through a Double.
    mutating func amount(_ key: String, decimals: Int, default fallback: String) throws(KeeperError) -> UInt256 {
        read.insert(key)
        let value = members[key] ?? .string(fallback)
        guard let text = value.stringValue else {
            throw KeeperError(.config, "\(name(key)) must be a decimal string such as \"\(fallback)\" (amounts are strings, never JSON numbers)")
        }
        return try Self.baseUnits(text, decimals: decimals, name: name(key))
    }

    static func baseUnits(_ text: String, decimals: Int, name: String) throws(KeeperError) -> UInt256 {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.allSatisfy(\.isASCIIDigit),
              parts.count == 1 || (!parts[1].isEmpty && parts[1].allSatisfy(\.isASCIIDigit)) else {
            throw KeeperError(.config, "\(name) must be a non-negative decimal string like \"12.5\", not \"\(text)\"")
        }
        let fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= decimals else {
            throw KeeperError(.config, "\(name) has \(fraction.count) decimals; at most \(decimals) are meaningful")
        }
        do {
            return try UInt256(decimal: whole + fraction + String(repeating: "0", count: decimals - fraction.count))
        } catch {
            throw KeeperError(.config, "\(name) is too large")
        }
    }

    /// An environment variable's name (not its value).
    mutating func environmentName(_ key: String) throws(KeeperError) -> String? {
        guard let text = try string(key) else { return nil }
        let allowed: (Unicode.Scalar) -> Bool = { $0 == "_" || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
        guard let first = text.unicodeScalars.first, !("0"..."9").contains(first), text.unicodeScalars.allSatisfy(allowed) else {
            throw KeeperError(.config, "\(name(key)) must name an environment variable (A-Z, 0-9, _), not hold a value")
        }
        return text
    }

    /// Throws for the first key that nothing read, suggesting the closest known key.
    func finish() throws(KeeperError) {
        for key in members.keys.sorted() where !read.contains(key) {
            var message = "unknown key \(name(key))"
            if let suggestion = Self.closest(to: key, among: read) { message += " — did you mean \(suggestion)?" }
            throw KeeperError(.config, message)
        }
    }

    /// Runs a section's parsing; when it fails and an unknown key looks like a misspelling of a key
    /// it needed, the misspelling is the better message.
    static func parse<T>(_ json: JSON?, path: String, _ body: (inout ConfigReader) throws(KeeperError) -> T) throws(KeeperError) -> T {
        var reader = try ConfigReader(json, path: path)
        do { return try body(&reader) } catch {
            for key in reader.members.keys.sorted() where !reader.read.contains(key) {
                if let suggestion = closest(to: key, among: reader.missing) {
                    throw KeeperError(.config, "unknown key \(reader.name(key)) — did you mean \(suggestion)?")
                }
            }
            throw error
        }
    }

    static func closest(to key: String, among known: Set<String>) -> String? {
        let lowered = key.lowercased()
        let limit = Swift.max(2, key.count / 3)
        var best: (key: String, distance: Int)? = nil
        for candidate in known.sorted() {
            let distance = editDistance(lowered, candidate.lowercased())
            guard distance <= limit else { continue }
            if let current = best, current.distance <= distance { continue }
            best = (candidate, distance)
        }
        return best?.key
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let substitution: Int = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                let insertion: Int = current[j - 1] + 1
                let deletion: Int = previous[j] + 1
                current[j] = Swift.min(substitution, Swift.min(insertion, deletion))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// Text from the file echoed in an error: control characters dropped, cut to 40 characters.
    static func excerpt(_ text: String) -> String {
        let printable = String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) }))
        return printable.count > 40 ? printable.prefix(40) + "…" : printable
    }

    /// 64 hex digits (a raw private key) or a long mixed string are never configuration values.
    static func looksLikeSecret(_ text: String) -> Bool {
        let body = text.hasPrefix("0x") ? text.dropFirst(2) : Substring(text)
        return body.count == 64 && body.allSatisfy(\.isHexDigit)
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
