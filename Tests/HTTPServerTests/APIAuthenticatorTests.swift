import Foundation
import Synchronization
import Testing
import TestSupport
@testable import HTTPServer

@Suite struct APIAuthenticatorTests {
    static let secret = try! APISecret(Array("lgk-test-secret-0123456789".utf8))
    static let now: Int64 = 1_700_000_000

    func authenticator(now: Int64 = now, maxRemembered: Int = 1_000) -> APIAuthenticator {
        APIAuthenticator(secret: Self.secret, maxRemembered: maxRemembered, now: { now })
    }

    func sign(_ timestamp: Int64, _ body: String) -> String {
        APIAuthenticator.signature(secret: Self.secret, timestamp: String(timestamp), body: Array(body.utf8))
    }

    /// Known answer computed outside Swift with
    /// `python3 -c 'import hmac,hashlib; print(hmac.new(b"lgk-test-secret-0123456789", b"1700000000.{\"ordId\":\"1\"}", hashlib.sha256).hexdigest())'`.
    @Test func signatureMatchesAFixedVector() {
        #expect(sign(1_700_000_000, #"{"ordId":"1"}"#) == "f9cb6e05d465dd6765a93557f7873783511f45dd30403dcf5629c717332d390b")
    }

    /// Cross-check with Python's hmac module in the devnet venv, over bodies with every byte value.
    @Test func signatureMatchesPythonsHMAC() throws {
        let bodies: [[UInt8]] = [[], Array(0...255), Array("{\"exchange\":\"okx\",\"note\":\"日本\"}".utf8), [UInt8](repeating: 0x2E, count: 5_000)]
        let input = bodies.map { Data($0).base64EncodedString() }.joined(separator: "\n")
        let script = """
        import base64, hashlib, hmac, sys
        for line in sys.stdin.read().split("\\n"):
            print(hmac.new(b"lgk-test-secret-0123456789", b"1712345678." + base64.b64decode(line), hashlib.sha256).hexdigest())
        """
        let expected = try ReferencePython.run(script, stdin: input).split(separator: "\n").map(String.init)
        let ours = bodies.map { APIAuthenticator.signature(secret: Self.secret, timestamp: "1712345678", body: $0) }
        #expect(ours == expected)
    }

    @Test func aValidSignatureIsAcceptedOnce() {
        let auth = authenticator()
        let body = #"{"ordId":"1"}"#
        let signature = sign(Self.now, body)
        #expect(auth.check(timestamp: String(Self.now), signature: signature, body: Array(body.utf8)) == .accepted)
        #expect(auth.check(timestamp: String(Self.now), signature: signature, body: Array(body.utf8)) == .refused(.replayed))
        // The same body signed at another second is a new request.
        #expect(auth.check(timestamp: String(Self.now + 1), signature: sign(Self.now + 1, body), body: Array(body.utf8)) == .accepted)
    }

    @Test func theWindowIs300SecondsEitherSide() {
        let auth = authenticator()
        for (offset, outcome) in [(-300, APIAuthenticator.Outcome.accepted), (300, .accepted), (-301, .refused(.expired)), (301, .refused(.future))] {
            let timestamp = Self.now + Int64(offset)
            #expect(auth.check(timestamp: String(timestamp), signature: sign(timestamp, "b"), body: Array("b".utf8)) == outcome, "offset \(offset)")
        }
    }

    @Test func badAndMalformedSignaturesAreRefused() {
        let auth = authenticator()
        let ts = String(Self.now)
        let good = sign(Self.now, "body")
        #expect(auth.check(timestamp: ts, signature: good, body: Array("bodY".utf8)) == .refused(.badSignature))
        #expect(auth.check(timestamp: String(Self.now + 1), signature: good, body: Array("body".utf8)) == .refused(.badSignature))
        let flipped = String(good.dropLast()) + (good.last == "0" ? "1" : "0")
        #expect(auth.check(timestamp: ts, signature: flipped, body: Array("body".utf8)) == .refused(.badSignature))
        #expect(auth.check(timestamp: ts, signature: good.uppercased(), body: Array("body".utf8)) == .refused(.malformedSignature))
        #expect(auth.check(timestamp: ts, signature: "0x" + good.dropFirst(2), body: Array("body".utf8)) == .refused(.malformedSignature))
        #expect(auth.check(timestamp: ts, signature: String(good.prefix(62)), body: Array("body".utf8)) == .refused(.malformedSignature))
        #expect(auth.check(timestamp: ts, signature: nil, body: []) == .refused(.missingHeaders))
        #expect(auth.check(timestamp: nil, signature: good, body: []) == .refused(.missingHeaders))
        // A refused signature is not remembered: the right body still passes.
        #expect(auth.check(timestamp: ts, signature: good, body: Array("body".utf8)) == .accepted)
    }

    @Test func timestampsMustBePlainUnixSeconds() {
        let auth = authenticator()
        for bad in ["", "-1700000000", "+1700000000", "1700000000.5", "1.7e9", " 1700000000", "1700000000000000", "abc"] {
            #expect(auth.check(timestamp: bad, signature: sign(Self.now, ""), body: []) == .refused(.malformedTimestamp), "\(bad)")
        }
        #expect(auth.check(timestamp: "1700000000000", signature: sign(Self.now, ""), body: []) == .refused(.malformedTimestamp))  // milliseconds
    }

    @Test func theReplayCacheIsBoundedAndForgetsExpiredEntries() {
        let clock = Mutex<Int64>(Self.now)
        let auth = APIAuthenticator(secret: Self.secret, maxRemembered: 3, now: { clock.withLock { $0 } })
        for i in 0..<3 {
            #expect(auth.check(timestamp: String(Self.now), signature: sign(Self.now, "\(i)"), body: Array("\(i)".utf8)) == .accepted)
        }
        #expect(auth.check(timestamp: String(Self.now), signature: sign(Self.now, "3"), body: Array("3".utf8)) == .refused(.busy))
        clock.withLock { $0 = Self.now + 301 }
        let later = Self.now + 301
        #expect(auth.check(timestamp: String(later), signature: sign(later, "3"), body: Array("3".utf8)) == .accepted)
        // The old request is refused by its timestamp now that the cache forgot it.
        #expect(auth.check(timestamp: String(Self.now), signature: sign(Self.now, "0"), body: Array("0".utf8)) == .refused(.expired))
    }

    @Test func aShortSecretIsRefusedAndNoSecretIsPrinted() throws {
        let error = #expect(throws: HTTPServerError.self) { try APISecret(Array("fifteen-bytes!!".utf8)) }
        #expect(error?.code == .weakSecret)
        let secret = try APISecret(Array("sixteen-bytes!!!".utf8))
        #expect(secret.bytes == Array("sixteen-bytes!!!".utf8))
        #expect("\(secret)" == "APISecret(redacted)")
        #expect(String(reflecting: secret) == "APISecret(redacted)")
    }
}
