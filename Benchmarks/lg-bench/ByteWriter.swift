/// A growable byte buffer with the appends the replay server needs (literals, 0x hex words,
/// quantities, decimals), written through a raw pointer so that rendering stays far cheaper than
/// the parsing it feeds.
struct ByteWriter: ~Copyable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 1 << 16) {
        self.capacity = max(64, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    mutating func removeAll() { count = 0 }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
    var string: String { String(decoding: bytes, as: UTF8.self) }

    @inline(__always)
    mutating func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        var grown = capacity * 2
        while grown < count + extra { grown *= 2 }
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        fresh.update(from: base, count: count)
        base.deallocate()
        base = fresh
        capacity = grown
    }

    @inline(__always)
    mutating func byte(_ value: UInt8) {
        reserve(1)
        base[count] = value
        count += 1
    }

    mutating func literal(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        reserve(length)
        (base + count).update(from: text.utf8Start, count: length)
        count += length
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { raw(UnsafeRawBufferPointer($0)) }
    }

    mutating func raw(_ buffer: UnsafeRawBufferPointer) {
        reserve(buffer.count)
        if let start = buffer.baseAddress { (base + count).update(from: start.assumingMemoryBound(to: UInt8.self), count: buffer.count) }
        count += buffer.count
    }

    mutating func append(_ other: borrowing ByteWriter) {
        raw(UnsafeRawBufferPointer(other.bytes))
    }

    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    /// 16 hex digits of `word`, big-endian.
    @inline(__always)
    mutating func hexWord(_ word: UInt64, digits count: Int = 16) {
        reserve(count)
        var value = word
        let end = base + self.count + count
        Self.digits.withUnsafeBufferPointer { table in
            for position in 1...count {
                end[-position] = table[Int(value & 0xF)]
                value >>= 4
            }
        }
        self.count += count
    }

    /// `0x` and 64 hex digits.
    mutating func hex(_ word: Word256) {
        literal("0x")
        hexWord(word.w0); hexWord(word.w1); hexWord(word.w2); hexWord(word.w3)
    }

    /// 64 hex digits without `0x` (an ABI word or a topic's body).
    mutating func hexBody(_ word: Word256) {
        hexWord(word.w0); hexWord(word.w1); hexWord(word.w2); hexWord(word.w3)
    }

    /// `0x` and 40 hex digits.
    mutating func hex(_ word: Word160) {
        literal("0x")
        hexBody(word)
    }

    mutating func hexBody(_ word: Word160) {
        hexWord(UInt64(word.high), digits: 8); hexWord(word.low); hexWord(word.low2)
    }

    /// A JSON-RPC quantity: `0x` and hex without leading zeros.
    mutating func quantity(_ value: UInt64) {
        literal("0x")
        let digits = value == 0 ? 1 : (64 - value.leadingZeroBitCount + 3) / 4
        hexWord(value, digits: digits)
    }

    /// A 32-byte ABI word holding `value`, as 64 hex digits.
    mutating func abiWord(_ value: UInt64) {
        literal("000000000000000000000000000000000000000000000000")
        hexWord(value)
    }

    mutating func decimal(_ value: UInt64) {
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: room for 20 digits
        var value = value
        var length = 0
        withUnsafeMutableBytes(of: &buffer) { scratch in
            repeat {
                scratch[23 - length] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
                length += 1
            } while value > 0
            raw(UnsafeRawBufferPointer(rebasing: scratch[(24 - length)...]))
        }
    }
}
