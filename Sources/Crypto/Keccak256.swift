/// Keccak-256 as Ethereum uses it: Keccak-f[1600], rate 136 bytes, original `0x01` padding.
/// OpenSSL 3.0 ships only FIPS-202 SHA3 (padding `0x06`), whose digests differ.
public struct Keccak256: Sendable {
    public static let digestSize = 32
    private static let rate = 136

    private var state = [UInt64](repeating: 0, count: 25)
    private var buffer = [UInt8]()

    public init() { buffer.reserveCapacity(Self.rate) }

    /// Digest of `data` in one call.
    public static func hash<D: Sequence>(_ data: D) -> [UInt8] where D.Element == UInt8 {
        var hasher = Keccak256()
        hasher.update(data)
        return hasher.finalize()
    }

    public mutating func update<D: Sequence>(_ data: D) where D.Element == UInt8 {
        // Contiguous input (arrays, slices, UTF-8 views) is absorbed a block at a time; byte by
        // byte through a generic iterator it cost ten times as much (evidence hashing, BENCHMARKS.md).
        let absorbed: Void? = data.withContiguousStorageIfAvailable { bytes in absorb(bytes) }
        if absorbed == nil { Array(data).withUnsafeBufferPointer { absorb($0) } }
    }

    private mutating func absorb(_ bytes: UnsafeBufferPointer<UInt8>) {
        var input = bytes[...]
        if !buffer.isEmpty {
            let taken = input.prefix(Self.rate - buffer.count)
            buffer.append(contentsOf: taken)
            input = input.dropFirst(taken.count)
            guard buffer.count == Self.rate else { return }
            buffer.withUnsafeBufferPointer { absorbBlock($0[...]) }
            buffer.removeAll(keepingCapacity: true)
        }
        while input.count >= Self.rate {
            absorbBlock(input.prefix(Self.rate))
            input = input.dropFirst(Self.rate)
        }
        buffer.append(contentsOf: input)
    }

    /// Pads, squeezes and returns the 32-byte digest. The hasher is left reset.
    public mutating func finalize() -> [UInt8] {
        var block = buffer
        block.append(0x01)
        while block.count < Self.rate { block.append(0) }
        block[Self.rate - 1] |= 0x80
        block.withUnsafeBufferPointer { absorbBlock($0[...]) }
        var out = [UInt8]()
        out.reserveCapacity(Self.digestSize)
        for lane in 0..<4 {
            var word = state[lane]
            for _ in 0..<8 {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        self = Keccak256()
        return out
    }

    /// XORs one `rate`-byte block into the state (little-endian lanes) and permutes.
    private mutating func absorbBlock(_ block: Slice<UnsafeBufferPointer<UInt8>>) {
        state.withUnsafeMutableBufferPointer { lanes in
            var offset = block.startIndex
            for lane in 0..<(Self.rate / 8) {
                var word: UInt64 = 0
                for i in 0..<8 {
                    word |= UInt64(block[offset + i]) << (8 * UInt64(i))
                }
                lanes[lane] ^= word
                offset += 8
            }
            Self.permute(lanes)
        }
    }

    private static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]
    private static let rotations: [UInt64] = [
        0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14,
    ]

    /// Keccak-f[1600]: 24 rounds of θ, ρ, π, χ, ι over a 5×5 lane state (index x + 5y).
    private static func permute(_ a: UnsafeMutableBufferPointer<UInt64>) {
        // b and c on the stack: two heap arrays per permutation were a third of its cost.
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 30) { scratch in
            scratch.initialize(repeating: 0)
            permute(a, b: UnsafeMutableBufferPointer(rebasing: scratch[0..<25]), c: UnsafeMutableBufferPointer(rebasing: scratch[25..<30]))
        }
    }

    private static func permute(_ a: UnsafeMutableBufferPointer<UInt64>, b: UnsafeMutableBufferPointer<UInt64>, c: UnsafeMutableBufferPointer<UInt64>) {
        for round in 0..<24 {
            for x in 0..<5 { c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20] }
            for x in 0..<5 {
                let d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1)
                for y in stride(from: 0, to: 25, by: 5) { a[x + y] ^= d }
            }
            for x in 0..<5 {
                for y in 0..<5 {
                    let from = x + 5 * y
                    let to = y + 5 * ((2 * x + 3 * y) % 5)
                    b[to] = rotl(a[from], rotations[from])
                }
            }
            for y in stride(from: 0, to: 25, by: 5) {
                for x in 0..<5 {
                    a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y])
                }
            }
            a[0] ^= roundConstants[round]
        }
    }

    @inline(__always)
    private static func rotl(_ value: UInt64, _ shift: UInt64) -> UInt64 {
        shift == 0 ? value : (value << shift) | (value >> (64 - shift))
    }
}
