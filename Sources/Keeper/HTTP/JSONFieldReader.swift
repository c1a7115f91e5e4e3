import Indexer
import Wire

/// Reads a JSON request body's members strictly (`POST /api/verify`, the trader API): every field it does not know is an error.
struct JSONFieldReader {
    let members: [String: JSON]
    let path: String
    private var read = Set<String>()

    init(members: [String: JSON], path: String) {
        self.members = members
        self.path = path
    }

    private mutating func take(_ key: String) -> JSON? {
        read.insert(key)
        guard let value = members[key], !value.isNull else { return nil }
        return value
    }

    mutating func string(_ key: String) throws(KeeperError) -> String? {
        guard let value = take(key) else { return nil }
        guard let text = value.stringValue else { throw KeeperError(.badData, "\(path)\(key) must be a string") }
        return text
    }

    mutating func required(_ key: String) throws(KeeperError) -> String {
        guard let text = try string(key), !text.isEmpty else { throw KeeperError(.badData, "\(path)\(key) is required") }
        return text
    }

    /// A credential: at most 256 bytes; an empty string counts as absent.
    mutating func secret(_ key: String) throws(KeeperError) -> String? {
        guard let text = try string(key), !text.isEmpty else { return nil }
        guard text.utf8.count <= 256 else { throw KeeperError(.badData, "\(key) is longer than 256 bytes") }
        return text
    }

    /// A short printable label for logs (`clientMeta.source`, `clientMeta.requestId`).
    mutating func label(_ key: String) throws(KeeperError) -> String? {
        guard let text = try string(key) else { return nil }
        guard text.utf8.count <= 128, text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else {
            throw KeeperError(.badData, "\(path)\(key) must be at most 128 printable characters")
        }
        return text
    }

    mutating func bool(_ key: String) throws(KeeperError) -> Bool? {
        guard let value = take(key) else { return nil }
        guard let flag = value.boolValue else { throw KeeperError(.badData, "\(path)\(key) must be true or false") }
        return flag
    }

    mutating func object(_ key: String) throws(KeeperError) -> [String: JSON]? {
        guard let value = take(key) else { return nil }
        guard let members = value.objectValue else { throw KeeperError(.badData, "\(path)\(key) must be an object") }
        return members
    }

    /// Throws for the first unknown field, named only when it looks like a field name.
    func finish() throws(KeeperError) {
        for key in members.keys.sorted() where !read.contains(key) {
            let nameable = (1...64).contains(key.utf8.count) && key.utf8.allSatisfy {
                (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x5F
            }
            throw KeeperError(.badData, nameable ? "unknown field \(path)\(key)" : "an unknown field in \(path.isEmpty ? "the body" : path)")
        }
    }
}
