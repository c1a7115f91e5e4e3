import Wire

/// The canonical JSON that evidence hashes are computed over (docs/EVIDENCE.md):
///
/// - object keys sorted by their UTF-8 bytes (the same order as Unicode code points);
/// - no whitespace anywhere;
/// - strings as UTF-8, escaping only `"` → `\"`, `\` → `\\`, the controls `\b \f \n \r \t`, and
///   every other byte below 0x20 as `\u00xx` (lowercase hex) — non-ASCII and `/` are written as is;
/// - numbers exactly as written in the document (OKX sends its numbers as strings; the keeper
///   writes only integers), `true`, `false`, `null`.
///
/// These are the bytes Python's `json.dumps(v, sort_keys=True, separators=(",", ":"),
/// ensure_ascii=False).encode()` produces for the same value.
public enum CanonicalJSON {
    /// The canonical bytes of `value`.
    public static func bytes(_ value: JSON) -> [UInt8] {
        value.serialized()
    }

    /// The canonical text of `value`.
    public static func string(_ value: JSON) -> String {
        value.serializedString
    }
}
