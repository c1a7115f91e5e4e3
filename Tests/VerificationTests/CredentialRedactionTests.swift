import Foundation
import Testing
@testable import Verification
import Wire

/// A trader can put any text into an order (`clOrdId`, `tag`), the key's own strings included: the
/// evidence never carries them, the verification is not refused, and the leaf says what was done.
@Suite struct CredentialRedactionTests {
    static let apiKey = "c2e3f4a5-6b7c-4d8e-9fa0-03b4c5d6e7f3"

    @Test func aCredentialInAnAnswerIsRedactedAndTheLeafSaysSo() throws {
        let response: JSON = [
            "meta": ["ordId": "1", "verifiedAt": "2026-12-06T00:00:00.000Z"],
            "raw": [
                "trade/order": ["code": "0", "data": [["clOrdId": .string("x\(Self.apiKey)y"), "apiKey": "anything"]]],
                "public/instruments": ["code": "0", "data": [["instId": "BTC-USDT-SWAP"]]],
            ],
        ]
        let redacted = CredentialRedaction.redact(response, secrets: [Self.apiKey])
        let order = try #require(redacted["raw"]?["trade/order"])
        #expect(order["data"]?[0]?["clOrdId"]?.stringValue == "x[REDACTED]y")
        #expect(order["data"]?[0]?["apiKey"]?.stringValue == "[REDACTED]")
        #expect(order["redacted"]?.stringValue == CredentialRedaction.note)
        // An untouched leaf stays byte for byte as it was.
        #expect(redacted["raw"]?["public/instruments"] == response["raw"]?["public/instruments"])
        #expect(!CanonicalJSON.string(redacted).contains(Self.apiKey))
        // The sealed document is accepted by the evidence writer, which refuses any credential left in clear.
        let root = NSTemporaryDirectory() + "lgk-redaction-\(UUID().uuidString)"
        defer { _ = try? FileManager.default.removeItem(atPath: root) }
        _ = try EvidenceFiles(root: root).write(try EvidenceBundle.seal(redacted), refusing: [Self.apiKey])
        #expect(throws: VerificationError.self) { try EvidenceFiles(root: root).write(try EvidenceBundle.seal(response), refusing: [Self.apiKey]) }
    }

    /// The byte search finds a secret wherever it stands, and only where it stands.
    @Test(arguments: [
        ("abc", "abc", true), ("abc", "xxabc", true), ("abc", "abcxx", true), ("abc", "xabcx", true),
        ("aab", "aaab", true), ("abc", "ab", false), ("abc", "abd abx", false), ("é1", "café1", true), ("é1", "cafe1", false),
        (apiKey, "clOrdId=\(apiKey)", true), (apiKey, String(apiKey.dropLast()), false),
    ])
    func aSecretIsFoundByItsBytes(needle: String, text: String, found: Bool) {
        #expect(CredentialRedaction.occurs(needle, in: text) == found)
        #expect(CredentialRedaction.occurs(needle, in: text) == text.contains(needle), "agrees with Foundation")
    }
}
