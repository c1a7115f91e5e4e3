import Indexer

/// `console`: the operator console at `/console/` on `http.listen` (off unless enabled; operators are
/// added with `lg-keeper console add-operator`).
public struct ConsoleConfig: Sendable {
    public var enabled: Bool

    public init(enabled: Bool = false) { self.enabled = enabled }

    init(_ r: inout ConfigReader) throws(KeeperError) {
        enabled = try r.bool("enabled", default: false)
        try r.finish()
    }
}
