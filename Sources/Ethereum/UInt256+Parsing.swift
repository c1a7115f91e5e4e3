import Crypto

extension UInt256 {
    private static let tenToThe19: UInt64 = 10_000_000_000_000_000_000

    /// Parses decimal digits only: no sign, no exponent, no separators, no whitespace.
    /// Leading zeros are accepted. Throws `.invalidNumber` or `.overflow` (above 2²⁵⁶ − 1).
    public init(decimal text: some StringProtocol) throws(EthereumError) {
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty else { throw EthereumError(.invalidNumber, "empty decimal number") }
        var value = UInt256.zero
        var index = 0
        while index < utf8.count {
            // Up to 19 digits at a time fit in a UInt64.
            let end = Swift.min(index + 19, utf8.count)
            var chunk: UInt64 = 0
            var scale: UInt64 = 1
            for c in utf8[index..<end] {
                guard c >= 0x30, c <= 0x39 else {
                    throw EthereumError(.invalidNumber, "\"\(Self.excerpt(text))\" is not a decimal number (digits 0-9 only)")
                }
                chunk = chunk * 10 + UInt64(c - 0x30)
                scale *= 10
            }
            let (scaled, o1) = value.multipliedReportingOverflow(by: UInt256(scale))
            let (sum, o2) = scaled.addingReportingOverflow(UInt256(chunk))
            guard !o1, !o2 else {
                throw EthereumError(.overflow, "\(Self.excerpt(text)) exceeds the largest uint256 (2^256 - 1)")
            }
            value = sum
            index = end
        }
        self = value
    }

    /// Parses hex with or without `0x`, either case, at least one digit. Leading zeros are
    /// accepted; more than 256 significant bits throw `.overflow`.
    public init(hex text: some StringProtocol) throws(EthereumError) {
        var utf8 = Substring(text).utf8[...]
        if utf8.starts(with: [0x30, 0x78]) || utf8.starts(with: [0x30, 0x58]) { utf8 = utf8.dropFirst(2) }
        guard !utf8.isEmpty else { throw EthereumError(.invalidHex, "\"\(Self.excerpt(text))\" has no hex digits") }
        var value = UInt256.zero
        var significantDigits = 0
        for c in utf8 {
            guard let nibble = Self.nibble(c) else {
                throw EthereumError(.invalidHex, "\"\(Self.excerpt(text))\" is not hex (0-9, a-f after an optional 0x)")
            }
            if significantDigits == 0 && nibble == 0 { continue }
            significantDigits += 1
            guard significantDigits <= 64 else {
                throw EthereumError(.overflow, "\(Self.excerpt(text)) exceeds the largest uint256 (64 hex digits)")
            }
            value = (value << 4) | UInt256(UInt64(nibble))
        }
        self = value
    }

    /// Minimal lowercase hex with `0x`, as JSON-RPC quantities are written: `0x0`, `0x1f`.
    public var hexString: String {
        let hex = Hex.encode(minimalBytes)
        if hex.isEmpty { return "0x0" }
        return "0x" + (hex.first == "0" ? String(hex.dropFirst()) : hex)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }

    /// The start of untrusted text for an error message, without flooding logs.
    static func excerpt(_ text: some StringProtocol) -> String {
        text.count <= 80 ? String(text) : String(text.prefix(77)) + "..."
    }
}

extension UInt256: CustomStringConvertible {
    /// Decimal digits.
    public var description: String {
        if isZero { return "0" }
        var chunks: [UInt64] = []
        var rest = self
        while !rest.isZero {
            let (q, r) = rest.quotientAndRemainder(dividingBy: Self.tenToThe19)
            chunks.append(r)
            rest = q
        }
        var out = String(chunks.removeLast())
        for chunk in chunks.reversed() {
            let digits = String(chunk)
            out += String(repeating: "0", count: 19 - digits.count) + digits
        }
        return out
    }
}

extension UInt256: LosslessStringConvertible {
    /// Decimal text, as `description` writes it.
    public init?(_ description: String) {
        guard let value = try? UInt256(decimal: description) else { return nil }
        self = value
    }
}

extension UInt256: Codable {
    /// Decodes a `0x`-prefixed hex string (a JSON-RPC quantity).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard text.hasPrefix("0x") || text.hasPrefix("0X") else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a 0x-prefixed hex quantity, got \"\(Self.excerpt(text))\"")
        }
        self = try UInt256(hex: text)
    }

    /// Encodes as minimal `0x` hex.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hexString)
    }
}
