/// Lowercase hex without prefix, and parsing with or without `0x`.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode<D: Sequence>(_ bytes: D, prefix: Bool = false) -> String where D.Element == UInt8 {
        // Contiguous bytes (arrays, hashes, addresses) take the direct path: it is on the indexer's hot path.
        if let encoded = bytes.withContiguousStorageIfAvailable({ encode(buffer: $0, prefix: prefix) }) { return encoded }
        return Array(bytes).withUnsafeBufferPointer { encode(buffer: $0, prefix: prefix) }
    }

    private static func encode(buffer: UnsafeBufferPointer<UInt8>, prefix: Bool) -> String {
        let length = buffer.count * 2 + (prefix ? 2 : 0)
        return String(unsafeUninitializedCapacity: length) { out in
            digits.withUnsafeBufferPointer { table in
                var position = 0
                if prefix { out[0] = 0x30; out[1] = 0x78; position = 2 }
                for byte in buffer {
                    out[position] = table[Int(byte >> 4)]
                    out[position + 1] = table[Int(byte & 0x0F)]
                    position += 2
                }
            }
            return length
        }
    }

    /// Decodes hex (even length, optional `0x`). Returns nil on any other character or odd length.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        if let decoded = text.utf8.withContiguousStorageIfAvailable({ decode(utf8: $0) }) { return decoded }
        return Array(text.utf8).withUnsafeBufferPointer { decode(utf8: $0) }
    }

    private static func decode(utf8: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var start = 0
        if utf8.count >= 2, utf8[0] == 0x30, utf8[1] == 0x78 || utf8[1] == 0x58 { start = 2 }
        guard (utf8.count - start) % 2 == 0 else { return nil }
        var valid = true
        let out = [UInt8](unsafeUninitializedCapacity: (utf8.count - start) / 2) { buffer, written in
            var index = start
            written = 0
            while index < utf8.count {
                guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { valid = false; return }
                buffer[written] = high << 4 | low
                written += 1
                index += 2
            }
        }
        return valid ? out : nil
    }

    @inline(__always)
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x61...0x66: return c - 0x61 + 10
        case 0x41...0x46: return c - 0x41 + 10
        default: return nil
        }
    }
}
