import Foundation
import PrivateFiles
import Wire

/// Evidence on disk: `<root>/YYYY-MM-DD/<evidenceId>.json` (the response, canonical JSON and a
/// newline) and `<evidenceId>.root` (the root, `0x…` and a newline). Both are written atomically
/// (a temporary file in the same directory, then `rename`), so a reader never sees half a file, and
/// privately: files 0600, the directories the keeper creates 0700 (`PrivateFile`).
public struct EvidenceFiles: Sendable {
    /// Object keys that carry credentials or signed headers; evidence containing one is refused.
    public static let forbiddenKeys: Set<String> = [
        "apikey", "secretkey", "passphrase", "ok-access-key", "ok-access-sign", "ok-access-passphrase", "authorization",
    ]

    public let root: String

    /// - Parameter root: the evidence directory, `reports/evidence` by default.
    public init(root: String = "reports/evidence") {
        self.root = root
    }

    /// Where the document of `evidenceId` lives.
    public func documentPath(for evidenceId: String) throws(VerificationError) -> String {
        let day = try EvidenceDay(evidenceId: evidenceId)
        return "\(root)/\(day.directoryName)/\(evidenceId).json"
    }

    /// Writes a sealed response and its `.root` file; returns the document's path. Refuses, writing
    /// nothing, when the document holds a credential key or any of `secrets` (credentials the
    /// verification used) anywhere in its bytes.
    @discardableResult
    public func write(_ document: JSON, refusing secrets: [String] = []) throws(VerificationError) -> String {
        guard let evidenceId = document["evidence"]?["evidenceId"]?.stringValue,
              let rootHex = document["evidence"]?["root"]?.stringValue else {
            throw VerificationError(.malformedDocument, "only a sealed response (with evidence.evidenceId and evidence.root) can be written")
        }
        let bytes = CanonicalJSON.bytes(document)
        if let key = Self.firstForbiddenKey(in: document) {
            throw VerificationError(.secretInEvidence, "refusing to write evidence \(evidenceId): it contains a '\(key)' member")
        }
        for secret in secrets where !secret.isEmpty && bytes.contains(subsequence: Array(secret.utf8)) {
            throw VerificationError(.secretInEvidence, "refusing to write evidence \(evidenceId): it contains a credential")
        }
        let path = try documentPath(for: evidenceId)
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try PrivateFile.createDirectories(directory)
            try PrivateFile.write(bytes + [0x0A], to: path)
            let rootPath = (path as NSString).deletingPathExtension + ".root"
            try PrivateFile.write(Array((rootHex + "\n").utf8), to: rootPath)
        } catch {
            throw VerificationError(.fileSystem, "cannot write evidence under \(directory): \(error.message)")
        }
        return path
    }

    /// Reads and parses an evidence document from `path`.
    public static func read(path: String) throws(VerificationError) -> JSON {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw VerificationError(.fileSystem, "cannot read \(path): \(error.localizedDescription)")
        }
        do { return try JSON(parsing: data) } catch {
            throw VerificationError(.malformedDocument, "\(path) is not JSON: \(error)")
        }
    }

    /// The first forbidden member name anywhere in `value`, compared case-insensitively, whose value is not redacted.
    static func firstForbiddenKey(in value: JSON) -> String? {
        switch value {
        case .object(let members):
            for (key, member) in members {
                if forbiddenKeys.contains(key.lowercased()) && member != .string(CredentialRedaction.placeholder) { return key }
                if let found = firstForbiddenKey(in: member) { return found }
            }
            return nil
        case .array(let items):
            return items.lazy.compactMap { firstForbiddenKey(in: $0) }.first
        default:
            return nil
        }
    }
}

extension Array where Element == UInt8 {
    /// Whether `needle` occurs contiguously in the array.
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if self[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
