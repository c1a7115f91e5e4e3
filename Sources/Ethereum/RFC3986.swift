#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// The parts of RFC 3986's grammar (https://www.rfc-editor.org/rfc/rfc3986#appendix-A) that
/// EIP-4361 refers to, over ASCII bytes.
enum RFC3986 {
    /// scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    static func isScheme(_ text: ArraySlice<UInt8>) -> Bool {
        guard let first = text.first, isAlpha(first) else { return false }
        return text.dropFirst().allSatisfy { isAlpha($0) || isDigit($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E }
    }

    /// URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ]
    static func isURI(_ text: ArraySlice<UInt8>) -> Bool {
        guard let colon = text.firstIndex(of: 0x3A), isScheme(text[..<colon]) else { return false }
        var rest = text[(colon + 1)...]
        if let hash = rest.firstIndex(of: 0x23) {
            // fragment = *( pchar / "/" / "?" )
            guard isSequence(rest[(hash + 1)...], extra: [0x2F, 0x3F]) else { return false }
            rest = rest[..<hash]
        }
        if let question = rest.firstIndex(of: 0x3F) {
            // query = *( pchar / "/" / "?" )
            guard isSequence(rest[(question + 1)...], extra: [0x2F, 0x3F]) else { return false }
            rest = rest[..<question]
        }
        // hier-part = "//" authority path-abempty / path-absolute / path-rootless / path-empty
        if rest.starts(with: [0x2F, 0x2F]) {
            let afterSlashes = rest.dropFirst(2)
            let pathStart = afterSlashes.firstIndex(of: 0x2F) ?? afterSlashes.endIndex
            return isAuthority(afterSlashes[..<pathStart], requireHost: false) && isSequence(afterSlashes[pathStart...], extra: [0x2F])
        }
        return isSequence(rest, extra: [0x2F])
    }

    /// authority = [ userinfo "@" ] host [ ":" port ]. With `requireHost`, an empty host is refused
    /// (the grammar allows it; a sign-in domain without a host names no one).
    static func isAuthority(_ text: ArraySlice<UInt8>, requireHost: Bool) -> Bool {
        var rest = text
        if let at = rest.firstIndex(of: 0x40) {
            // userinfo = *( unreserved / pct-encoded / sub-delims / ":" )
            guard isSequence(rest[..<at], extra: [0x3A], pchar: false) else { return false }
            rest = rest[(at + 1)...]
        }
        let host: ArraySlice<UInt8>
        if rest.first == 0x5B {
            guard let close = rest.firstIndex(of: 0x5D), isIPLiteral(rest[(rest.startIndex + 1)..<close]) else { return false }
            host = rest[...close]
            rest = rest[(close + 1)...]
        } else {
            let end = rest.firstIndex(of: 0x3A) ?? rest.endIndex
            host = rest[..<end]
            // reg-name = *( unreserved / pct-encoded / sub-delims ); IPv4address is a reg-name too.
            guard isSequence(host, extra: [], pchar: false) else { return false }
            rest = rest[end...]
        }
        if requireHost && host.isEmpty { return false }
        if let colon = rest.first {
            // port = *DIGIT
            guard colon == 0x3A, rest.dropFirst().allSatisfy(isDigit) else { return false }
        }
        return true
    }

    /// The inside of IP-literal = "[" ( IPv6address / IPvFuture ) "]".
    private static func isIPLiteral(_ text: ArraySlice<UInt8>) -> Bool {
        // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
        if let first = text.first, first == 0x76 || first == 0x56 {
            guard let dot = text.firstIndex(of: 0x2E), dot > text.startIndex + 1,
                  text[(text.startIndex + 1)..<dot].allSatisfy({ isHexDigit($0) }) else { return false }
            let tail = text[(dot + 1)...]
            return !tail.isEmpty && tail.allSatisfy { isUnreserved($0) || isSubDelim($0) || $0 == 0x3A }
        }
        // IPv6address: the C library's reading of RFC 4291 §2.2 text, which RFC 3986 follows.
        guard text.count <= 45, text.allSatisfy({ isHexDigit($0) || $0 == 0x3A || $0 == 0x2E }) else { return false }
        var address = in6_addr()
        return (String(decoding: text, as: UTF8.self).withCString { inet_pton(AF_INET6, $0, &address) }) == 1
    }

    /// True when every byte is a pchar (or, without `pchar`, unreserved / sub-delims) or one of
    /// `extra`, and every "%" starts a pct-encoded triple.
    /// pchar = unreserved / pct-encoded / sub-delims / ":" / "@"
    static func isSequence(_ text: ArraySlice<UInt8>, extra: [UInt8], pchar: Bool = true) -> Bool {
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == 0x25 {
                guard index + 2 < text.endIndex, isHexDigit(text[index + 1]), isHexDigit(text[index + 2]) else { return false }
                index += 3
                continue
            }
            guard isUnreserved(byte) || isSubDelim(byte) || extra.contains(byte) || (pchar && (byte == 0x3A || byte == 0x40)) else { return false }
            index += 1
        }
        return true
    }

    /// unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
    static func isUnreserved(_ byte: UInt8) -> Bool {
        isAlpha(byte) || isDigit(byte) || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
    }

    /// reserved = gen-delims / sub-delims; gen-delims = ":" / "/" / "?" / "#" / "[" / "]" / "@"
    static func isReserved(_ byte: UInt8) -> Bool {
        isSubDelim(byte) || [0x3A, 0x2F, 0x3F, 0x23, 0x5B, 0x5D, 0x40].contains(byte)
    }

    /// sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
    static func isSubDelim(_ byte: UInt8) -> Bool {
        [0x21, 0x24, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x3B, 0x3D].contains(byte)
    }

    static func isAlpha(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
    static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
    static func isHexDigit(_ byte: UInt8) -> Bool { isDigit(byte) || (0x41...0x46).contains(byte) || (0x61...0x66).contains(byte) }
}
