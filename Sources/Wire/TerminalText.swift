/// Text from outside (a trader's instId, an OKX message, a node's error, an alias typed on the command
/// line) made safe to print on a terminal: nothing in it can move the cursor, colour the screen, end a
/// line or reorder what follows. STYLE.md, "Logs": what came from outside is data.
public enum TerminalText {
    /// `text` with every C0 control, DEL, C1 control and bidirectional override written as a visible
    /// escape: newline `\n`, tab `\t`, carriage return `\r`, ESC `\x1b`, U+202E `\u{202e}`.
    public static func escaped(_ text: some StringProtocol) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars { out += escaped(scalar) }
        return out
    }

    /// Rejected input echoed back: escaped, and cut to at most `limit` characters (then `…`), so that a
    /// 10 KB alias is not printed whole.
    public static func excerpt(_ text: some StringProtocol, limit: Int = 64) -> String {
        var out = ""
        var count = 0
        for scalar in text.unicodeScalars {
            let piece = escaped(scalar)
            guard count + piece.count <= limit else { return out + "…" }
            out += piece
            count += piece.count
        }
        return out
    }

    /// Whether `text` prints as itself (nothing in it needs an escape).
    public static func isPlain(_ text: some StringProtocol) -> Bool {
        text.unicodeScalars.allSatisfy { !needsEscape($0) }
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        // Bidirectional embeddings, overrides and isolates (Unicode TR 9): "Trojan Source" reordering.
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        guard needsEscape(scalar) else { return String(scalar) }
        switch scalar {
        case "\n": return "\\n"
        case "\t": return "\\t"
        case "\r": return "\\r"
        default:
            let hex = String(scalar.value, radix: 16)
            return scalar.value <= 0xFF ? "\\x" + (hex.count < 2 ? "0" + hex : hex) : "\\u{\(hex)}"
        }
    }
}
