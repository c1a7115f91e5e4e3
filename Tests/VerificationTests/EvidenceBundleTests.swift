import Foundation
import Testing
import Verification
import Wire

@Suite struct EvidenceBundleTests {
    /// A response shaped like seed 002's, before sealing.
    static func response(ordId: String = "2940071038556348417") -> JSON {
        [
            "meta": ["exchange": "okx", "instId": "BTC-USDT-SWAP", "ordId": .string(ordId),
                     "verifiedAt": "2025-11-04T09:10:11Z", "requestId": nil, "version": "lg-keeper@0.1.0"],
            "normalized": [
                "order": ["side": "buy", "px": "65000.5", "sz": "1", "state": "filled", "fee": "-1.23"],
                "position": ["liquidated": true, "liquidatedAt": "2025-11-03T22:32:10Z", "reason": "forced-liquidation"],
            ],
            "raw": [
                "trade/order": ["code": "0", "msg": "", "data": [["ordId": .string(ordId), "category": "full_liquidation"]],
                                "fetchedAt": "2025-11-04T09:10:10.100Z"],
                "account/positions-history": ["code": "0", "msg": "", "data": [], "fetchedAt": "2025-11-04T09:10:10.400Z"],
            ],
            "perf": ["okxRttMs": 420, "totalMs": 650, "cache": false],
            "error": nil,
        ]
    }

    @Test func sealedResponseMatchesIndependentRecomputation() throws {
        let sealed = try EvidenceBundle.seal(Self.response())
        let evidence = try #require(sealed["evidence"])
        let (root, bundleHash) = try ReferenceEvidence.rootAndBundleHash(of: sealed)
        #expect(evidence["root"]?.stringValue == root)
        #expect(evidence["bundleHash"]?.stringValue == bundleHash)
        #expect(evidence["rootAlgo"] == "keccak256-merkle-v1")
        #expect(evidence["parentRoot"] == .null)
        #expect(evidence["evidenceId"]?.stringValue == "evi_20251104_" + root.dropFirst(2).prefix(16))
        let paths = evidence["leaves"]?.arrayValue?.compactMap { $0["path"]?.stringValue }
        #expect(paths == ["meta", "normalized.order", "normalized.position", "raw.account/positions-history", "raw.trade/order"])
        #expect(try EvidenceCheck(document: sealed).passed)
    }

    @Test func perfIsOutsideTheBundleHashAndEverythingElseIsInside() throws {
        let sealed = try EvidenceBundle.seal(Self.response())
        guard case .object(var members) = sealed else { Issue.record("not an object"); return }
        members["perf"] = ["okxRttMs": 1, "totalMs": 2, "cache": true]
        #expect(try EvidenceCheck(document: .object(members)).passed, "timings are not evidence")

        var withError = members
        withError["error"] = ["code": "TIMEOUT", "msg": "x", "hint": "y"]
        let check = try EvidenceCheck(document: .object(withError))
        #expect(!check.passed)
        #expect(check.firstDifferingLeaf == "error")

        var otherParent = members
        if case .object(var evidence)? = otherParent["evidence"] {
            evidence["parentRoot"] = "0x01"
            otherParent["evidence"] = .object(evidence)
        }
        let parentCheck = try EvidenceCheck(document: .object(otherParent))
        #expect(!parentCheck.passed && parentCheck.firstDifferingLeaf == nil)
        #expect(parentCheck.problems.contains { $0.hasPrefix("bundleHash") })
    }

    @Test func tamperedRawResponseIsNamed() throws {
        let sealed = try EvidenceBundle.seal(Self.response())
        let text = sealed.serializedString.replacingOccurrences(of: "full_liquidation", with: "normal")
        let check = try EvidenceCheck(document: try JSON(parsing: text))
        #expect(!check.passed)
        #expect(check.firstDifferingLeaf == "raw.trade/order")
        #expect(check.problems.contains { $0.hasPrefix("root") } && check.problems.contains { $0.hasPrefix("bundleHash") })
    }

    @Test func evidenceIdAndDayFormats() throws {
        #expect(try EvidenceBundle.evidenceId(root: [UInt8](repeating: 0xab, count: 32), verifiedAt: "2025-01-02T03:04:05.678Z")
                == "evi_20250102_abababababababab")
        #expect(try EvidenceDay(evidenceId: "evi_20250102_abababababababab").directoryName == "2025-01-02")
        for bad in ["evi_2025010_abababababababab", "evi_20250102_abab", "evx_20250102_abababababababab", "evi_2025010a_abababababababab"] {
            #expect(throws: VerificationError.self) { try EvidenceDay(evidenceId: bad) }
        }
        #expect(throws: VerificationError.self) { try EvidenceBundle.seal(["meta": ["verifiedAt": "yesterday"]]) }
    }
}
