import Foundation
import Wire

/// Keeps a trader's credentials out of evidence without refusing the verification: an OKX answer
/// can carry any text a trader chose (an order's `clOrdId` or `tag`, say), including the key's own
/// strings. Every occurrence is replaced by `[REDACTED]`, the value of any credential-named member
/// too, and the leaf that held one says so in its `redacted` member, so the root commits to the fact.
public enum CredentialRedaction {
    public static let placeholder = "[REDACTED]"
    public static let note = "a credential of the trader's key appeared in this answer and was replaced by [REDACTED]"

    /// `response` with `secrets` and credential-named members redacted in every leaf (`meta`, `error`,
    /// `normalized.*`, `raw.*`); each leaf object that changed gains `"redacted": note`.
    public static func redact(_ response: JSON, secrets: [String]) -> JSON {
        guard case .object(var members) = response else { return response }
        for (key, value) in members {
            if key == "normalized" || key == "raw", case .object(var parts) = value {
                for (part, leaf) in parts { parts[part] = redactLeaf(leaf, secrets: secrets) }
                members[key] = .object(parts)
            } else {
                members[key] = redactLeaf(value, secrets: secrets)
            }
        }
        return .object(members)
    }

    private static func redactLeaf(_ leaf: JSON, secrets: [String]) -> JSON {
        var changed = false
        let cleaned = scrub(leaf, secrets: secrets, changed: &changed)
        guard changed else { return leaf }
        if case .object(var members) = cleaned {
            members["redacted"] = .string(note)
            return .object(members)
        }
        return ["redacted": .string(note), "value": cleaned]
    }

    private static func scrub(_ value: JSON, secrets: [String], changed: inout Bool) -> JSON {
        switch value {
        case .string(let text):
            return .string(scrub(text, secrets: secrets, changed: &changed))
        case .array(let items):
            return .array(items.map { scrub($0, secrets: secrets, changed: &changed) })
        case .object(let members):
            var result: [String: JSON] = [:]
            for (key, member) in members {
                let name = scrub(key, secrets: secrets, changed: &changed)
                if EvidenceFiles.forbiddenKeys.contains(name.lowercased()) {
                    if member != .string(placeholder) { changed = true }
                    result[name] = .string(placeholder)
                } else {
                    result[name] = scrub(member, secrets: secrets, changed: &changed)
                }
            }
            return .object(result)
        default:
            return value
        }
    }

    private static func scrub(_ text: String, secrets: [String], changed: inout Bool) -> String {
        var text = text
        for secret in secrets where !secret.isEmpty && occurs(secret, in: text) {
            text = text.replacingOccurrences(of: secret, with: placeholder)
            changed = true
        }
        return text
    }

    /// Whether `needle` occurs in `text`, compared as UTF-8 bytes (what a leaked secret is): most of an
    /// answer's strings are shorter than any secret and are passed over without a search.
    static func occurs(_ needle: String, in text: String) -> Bool {
        let needle = Array(needle.utf8)
        guard text.utf8.count >= needle.count, let first = needle.first else { return false }
        var text = text
        return text.withUTF8 { bytes in
            var start = 0
            while start + needle.count <= bytes.count {
                guard let hit = bytes[start...(bytes.count - needle.count)].firstIndex(of: first) else { return false }
                if bytes[hit..<(hit + needle.count)].elementsEqual(needle) { return true }
                start = hit + 1
            }
            return false
        }
    }
}
