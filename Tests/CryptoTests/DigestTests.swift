import Testing
@testable import Crypto

@Suite struct DigestTests {
    @Test func keccakKnownAnswers() {
        // Known answers: Keccak-256 of "" and "hello world" (as published with the Keccak team's
        // submission and used throughout Ethereum tooling).
        #expect(Hex.encode(Keccak256.hash([UInt8]())) == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        #expect(Hex.encode(Keccak256.hash(Array("hello world".utf8))) == "47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad")
    }

    @Test func keccakStreamingEqualsOneShotAcrossBlockBoundaries() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for split in [0, 1, 135, 136, 137, 272, 999] {
            var hasher = Keccak256()
            hasher.update(data[..<split])
            hasher.update(data[split...])
            #expect(hasher.finalize() == Keccak256.hash(data), "split at \(split)")
        }
    }

    @Test func keccakOfSeveralBlocksMatchesPycryptodome() {
        // Digests from eth-hash (pycryptodome backend) in the devnet venv, for inputs spanning
        // several 136-byte blocks: contiguous, and through a non-contiguous sequence.
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        #expect(Hex.encode(Keccak256.hash(data)) == "c77d9bffcae9f0984e6dff7eea63cc14cad5f367f791e27b08a1953f192f30a5")
        #expect(Hex.encode(Keccak256.hash((0..<300).lazy.map { UInt8(truncatingIfNeeded: $0) }))
                == "a679e749a6af300c36e7ff2255d220864eab27b382f9cfdc5aa4d13563ba36ff")
    }

    @Test func keccakOfExactlyOneBlockDiffersFromSHA3() {
        // 136 bytes fill one rate block exactly; padding then needs a whole extra block.
        let digest = Keccak256.hash([UInt8](repeating: 0x61, count: 136))
        #expect(digest.count == 32)
        #expect(digest != Keccak256.hash([UInt8](repeating: 0x61, count: 135)))
    }

    @Test func sha256KnownAnswer() {
        // FIPS 180-2 example "abc".
        #expect(Hex.encode(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func hmacRFC4231Case2() {
        let mac = HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func hexRoundTripAndRejects() {
        #expect(Hex.decode("0xDEadBEef") == [0xde, 0xad, 0xbe, 0xef])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("0xzz") == nil)
        #expect(Hex.encode([0, 255], prefix: true) == "0x00ff")
    }
}
