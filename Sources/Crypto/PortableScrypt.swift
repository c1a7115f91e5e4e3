import COpenSSL

/// scrypt's ROMix in Swift (RFC 7914 §§3–5), with PBKDF2 from OpenSSL around it.
///
/// OpenSSL enforces RFC 7914's "n < 2^(16·r)" and refuses, for example, n = 2^18 with r = 1:
/// the parameters of the Web3 Secret Storage spec's own scrypt example and of eth-keyfile's
/// defaults. geth (golang.org/x/crypto) and pycryptodome accept them, so keystores using them
/// exist; `KDF.scrypt` computes those here. Everything else goes through `EVP_PBE_scrypt`.
///
/// The inner loop works on 16-word tuples held in locals, which keeps it tolerably fast even in
/// unoptimised (debug/test) builds.
enum PortableScrypt {
    /// One 64-byte Salsa20 block as native-endian words.
    typealias Block = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
                       UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)

    static func derive(password: [UInt8], salt: [UInt8], n: Int, r: Int, p: Int, keyLength: Int) throws(CryptoError) -> [UInt8] {
        let chunkBytes = 128 * r
        var b = try KDF.pbkdf2(password: password, salt: salt, iterations: 1, keyLength: p * chunkBytes)
        defer { b.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) } }

        let v = UnsafeMutableRawPointer.allocate(byteCount: n * chunkBytes, alignment: 16)
        let x = UnsafeMutableRawPointer.allocate(byteCount: chunkBytes, alignment: 16)
        let y = UnsafeMutableRawPointer.allocate(byteCount: chunkBytes, alignment: 16)
        defer {
            for (pointer, count) in [(v, n * chunkBytes), (x, chunkBytes), (y, chunkBytes)] {
                OPENSSL_cleanse(pointer, count)
                pointer.deallocate()
            }
        }
        for chunk in 0..<p {
            let offset = chunk * chunkBytes
            // B is little-endian words on the wire; work on native words.
            for i in 0..<(32 * r) {
                let at = offset + 4 * i
                let word = UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
                x.storeBytes(of: word, toByteOffset: 4 * i, as: UInt32.self)
            }
            roMix(x, scratch: y, v: v, n: n, r: r)
            for i in 0..<(32 * r) {
                let word = x.load(fromByteOffset: 4 * i, as: UInt32.self)
                let at = offset + 4 * i
                (b[at], b[at + 1], b[at + 2], b[at + 3]) = (UInt8(truncatingIfNeeded: word), UInt8(truncatingIfNeeded: word >> 8),
                                                             UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 24))
            }
        }
        return try KDF.pbkdf2(password: password, salt: b, iterations: 1, keyLength: keyLength)
    }

    /// ROMix (RFC 7914 §5) on the 128·r bytes at `x`, in place; `v` holds n such chunks.
    private static func roMix(_ x: UnsafeMutableRawPointer, scratch y: UnsafeMutableRawPointer,
                              v: UnsafeMutableRawPointer, n: Int, r: Int) {
        let chunkBytes = 128 * r
        let lastBlock = (2 * r - 1) * 64
        var i = 0
        while i < n {
            (v + i * chunkBytes).copyMemory(from: x, byteCount: chunkBytes)
            blockMix(x, xoring: nil, into: y, r: r)
            x.copyMemory(from: y, byteCount: chunkBytes)
            i += 1
        }
        i = 0
        while i < n {
            // Integerify: the first 64 bits of the last block, as a little-endian integer, mod n.
            let low = UInt64(x.load(fromByteOffset: lastBlock, as: UInt32.self))
            let high = UInt64(x.load(fromByteOffset: lastBlock + 4, as: UInt32.self))
            let j = Int((high << 32 | low) & UInt64(n - 1))
            blockMix(x, xoring: v + j * chunkBytes, into: y, r: r)
            x.copyMemory(from: y, byteCount: chunkBytes)
            i += 1
        }
    }

    /// BlockMix with Salsa20/8 (RFC 7914 §4) of `b` (⊕ `other`, when given): even-numbered
    /// outputs first, then odd.
    private static func blockMix(_ b: UnsafeMutableRawPointer, xoring other: UnsafeRawPointer?,
                                 into out: UnsafeMutableRawPointer, r: Int) {
        let lastBlock = (2 * r - 1) * 64
        var t = b.load(fromByteOffset: lastBlock, as: Block.self)
        if let other { t = xor(t, other.load(fromByteOffset: lastBlock, as: Block.self)) }
        var i = 0
        while i < 2 * r {
            var input = b.load(fromByteOffset: i * 64, as: Block.self)
            if let other { input = xor(input, other.load(fromByteOffset: i * 64, as: Block.self)) }
            t = salsa20_8(xor(t, input))
            let destination = (i & 1 == 0 ? i >> 1 : r + i >> 1) * 64
            out.storeBytes(of: t, toByteOffset: destination, as: Block.self)
            i += 1
        }
    }

    private static func xor(_ a: Block, _ b: Block) -> Block {
        (a.0 ^ b.0, a.1 ^ b.1, a.2 ^ b.2, a.3 ^ b.3, a.4 ^ b.4, a.5 ^ b.5, a.6 ^ b.6, a.7 ^ b.7,
         a.8 ^ b.8, a.9 ^ b.9, a.10 ^ b.10, a.11 ^ b.11, a.12 ^ b.12, a.13 ^ b.13, a.14 ^ b.14, a.15 ^ b.15)
    }

    /// The Salsa20/8 core (RFC 7914 §3): four double rounds, then the input added back.
    static func salsa20_8(_ input: Block) -> Block {
        var (x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15) = input
        var t: UInt32
        var round = 0
        while round < 4 {
            // Columns.
            t = x0 &+ x12; x4 ^= t &<< 7 | t &>> 25
            t = x4 &+ x0; x8 ^= t &<< 9 | t &>> 23
            t = x8 &+ x4; x12 ^= t &<< 13 | t &>> 19
            t = x12 &+ x8; x0 ^= t &<< 18 | t &>> 14
            t = x5 &+ x1; x9 ^= t &<< 7 | t &>> 25
            t = x9 &+ x5; x13 ^= t &<< 9 | t &>> 23
            t = x13 &+ x9; x1 ^= t &<< 13 | t &>> 19
            t = x1 &+ x13; x5 ^= t &<< 18 | t &>> 14
            t = x10 &+ x6; x14 ^= t &<< 7 | t &>> 25
            t = x14 &+ x10; x2 ^= t &<< 9 | t &>> 23
            t = x2 &+ x14; x6 ^= t &<< 13 | t &>> 19
            t = x6 &+ x2; x10 ^= t &<< 18 | t &>> 14
            t = x15 &+ x11; x3 ^= t &<< 7 | t &>> 25
            t = x3 &+ x15; x7 ^= t &<< 9 | t &>> 23
            t = x7 &+ x3; x11 ^= t &<< 13 | t &>> 19
            t = x11 &+ x7; x15 ^= t &<< 18 | t &>> 14
            // Rows.
            t = x0 &+ x3; x1 ^= t &<< 7 | t &>> 25
            t = x1 &+ x0; x2 ^= t &<< 9 | t &>> 23
            t = x2 &+ x1; x3 ^= t &<< 13 | t &>> 19
            t = x3 &+ x2; x0 ^= t &<< 18 | t &>> 14
            t = x5 &+ x4; x6 ^= t &<< 7 | t &>> 25
            t = x6 &+ x5; x7 ^= t &<< 9 | t &>> 23
            t = x7 &+ x6; x4 ^= t &<< 13 | t &>> 19
            t = x4 &+ x7; x5 ^= t &<< 18 | t &>> 14
            t = x10 &+ x9; x11 ^= t &<< 7 | t &>> 25
            t = x11 &+ x10; x8 ^= t &<< 9 | t &>> 23
            t = x8 &+ x11; x9 ^= t &<< 13 | t &>> 19
            t = x9 &+ x8; x10 ^= t &<< 18 | t &>> 14
            t = x15 &+ x14; x12 ^= t &<< 7 | t &>> 25
            t = x12 &+ x15; x13 ^= t &<< 9 | t &>> 23
            t = x13 &+ x12; x14 ^= t &<< 13 | t &>> 19
            t = x14 &+ x13; x15 ^= t &<< 18 | t &>> 14
            round += 1
        }
        return (x0 &+ input.0, x1 &+ input.1, x2 &+ input.2, x3 &+ input.3, x4 &+ input.4, x5 &+ input.5,
                x6 &+ input.6, x7 &+ input.7, x8 &+ input.8, x9 &+ input.9, x10 &+ input.10, x11 &+ input.11,
                x12 &+ input.12, x13 &+ input.13, x14 &+ input.14, x15 &+ input.15)
    }
}
