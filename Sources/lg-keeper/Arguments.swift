import Wire

/// A command line split into positionals, `--name value` options and `--flag`s, validated
/// against what a command declares, so that a typo is a usage error rather than ignored.
struct Arguments {
    private(set) var positionals: [String] = []
    private var options: [String: String] = [:]
    private var flags: Set<String> = []

    /// - Parameters:
    ///   - valued: option names that take a value (`--rpc-url URL`).
    ///   - flags: option names that stand alone (`--json`).
    init(_ words: some Sequence<String>, valued: Set<String>, flags allowedFlags: Set<String>) throws(UsageError) {
        var iterator = words.makeIterator()
        while let word = iterator.next() {
            guard word.hasPrefix("--") else { positionals.append(word); continue }
            var name = String(word.dropFirst(2))
            var inlineValue: String? = nil
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if valued.contains(name) {
                guard let value = inlineValue ?? iterator.next() else { throw UsageError("--\(name) needs a value") }
                options[name] = value
            } else if allowedFlags.contains(name), inlineValue == nil {
                flags.insert(name)
            } else {
                throw UsageError("unknown option --\(TerminalText.excerpt(name))")
            }
        }
    }

    func value(_ name: String) -> String? { options[name] }

    func required(_ name: String) throws(UsageError) -> String {
        guard let value = options[name] else { throw UsageError("--\(name) is required") }
        return value
    }

    func flag(_ name: String) -> Bool { flags.contains(name) }
}

/// A command line that cannot be run as written (exit 64).
struct UsageError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
