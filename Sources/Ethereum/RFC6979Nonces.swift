import Crypto

/// The candidate nonces of RFC 6979 §3.2 with HMAC-SHA256, for a 256-bit group order.
///
/// `secret` is int2octets(x) and `reducedDigest` is bits2octets(h1), i.e. the digest already
/// reduced mod n, both 32 bytes. The caller rejects candidates outside 1 ..< n (and those giving
/// r = 0 or s = 0) by asking for the next one, as step h.3 prescribes.
struct RFC6979Nonces {
    private var k: [UInt8]
    private var v: [UInt8]
    private var started = false

    init(secret: [UInt8], reducedDigest: [UInt8]) {
        var k = [UInt8](repeating: 0x00, count: 32)          // step c
        var v = [UInt8](repeating: 0x01, count: 32)          // step b
        k = HMACSHA256.authenticate(v + [0x00] + secret + reducedDigest, key: k)  // step d
        v = HMACSHA256.authenticate(v, key: k)                                    // step e
        k = HMACSHA256.authenticate(v + [0x01] + secret + reducedDigest, key: k)  // step f
        v = HMACSHA256.authenticate(v, key: k)                                    // step g
        self.k = k
        self.v = v
    }

    /// The next candidate k, 32 bytes (step h: qlen = hlen = 256, so one HMAC block per candidate).
    mutating func next() -> [UInt8] {
        if started {
            k = HMACSHA256.authenticate(v + [0x00], key: k)
            v = HMACSHA256.authenticate(v, key: k)
        }
        started = true
        v = HMACSHA256.authenticate(v, key: k)
        return v
    }
}
