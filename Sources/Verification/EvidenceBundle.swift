import Crypto
import Wire

/// The `evidence` object of a verification response: which parts are committed, the Merkle root,
/// the bundle hash and the evidence id (docs/EVIDENCE.md).
///
/// Leaves, by path: `meta`; `error` when it is not null; `normalized.<k>` for every member `k`
/// of `normalized`; `raw.<k>` for every member `k` of `raw`. A path names the top-level member,
/// then after the first `.` the member inside it.
public enum EvidenceBundle {
    /// Fields left out of the bundle hash: measured timings, and the two fields derived from it or
    /// from the clock. Everything else in the response, `evidence.root` and `evidence.leaves`
    /// included, is covered.
    public static let bundleHashExclusions = ["perf", "evidence.bundleHash", "evidence.evidenceId"]

    /// The leaves a response commits to, sorted by path.
    public static func leaves(of response: JSON) throws(VerificationError) -> [EvidenceLeaf] {
        guard let members = response.objectValue else {
            throw VerificationError(.malformedDocument, "a verification response is a JSON object")
        }
        guard let meta = members["meta"], meta.objectValue != nil else {
            throw VerificationError(.malformedDocument, "the response has no `meta` object")
        }
        var leaves = [EvidenceLeaf(path: "meta", value: meta)]
        if let error = members["error"], !error.isNull { leaves.append(EvidenceLeaf(path: "error", value: error)) }
        for section in ["normalized", "raw"] {
            guard let value = members[section], !value.isNull else { continue }
            guard let parts = value.objectValue else {
                throw VerificationError(.malformedDocument, "`\(section)` must be an object")
            }
            for (key, part) in parts { leaves.append(EvidenceLeaf(path: "\(section).\(key)", value: part)) }
        }
        return EvidenceMerkle.sorted(leaves)
    }

    /// keccak256 of the canonical JSON of `document` without `bundleHashExclusions`.
    public static func bundleHash(of document: JSON) throws(VerificationError) -> [UInt8] {
        guard var members = document.objectValue else {
            throw VerificationError(.malformedDocument, "a verification response is a JSON object")
        }
        members["perf"] = nil
        if var evidence = members["evidence"]?.objectValue {
            evidence["bundleHash"] = nil
            evidence["evidenceId"] = nil
            members["evidence"] = .object(evidence)
        }
        return Keccak256.hash(CanonicalJSON.bytes(.object(members)))
    }

    /// `evi_YYYYMMDD_` + the first 16 hex digits of the root, the date being that of `meta.verifiedAt` (UTC).
    public static func evidenceId(root: [UInt8], verifiedAt: String) throws(VerificationError) -> String {
        let day = try EvidenceDay(timestamp: verifiedAt)
        return "evi_\(day.compact)_" + String(Hex.encode(root).prefix(16))
    }

    /// `response` with its `evidence` member filled: leaves, root, algorithm, bundle hash, id and
    /// `parentRoot` (null unless given). Any `evidence` already present is replaced.
    public static func seal(_ response: JSON, parentRoot: String? = nil) throws(VerificationError) -> JSON {
        guard var members = response.objectValue else {
            throw VerificationError(.malformedDocument, "a verification response is a JSON object")
        }
        members["evidence"] = nil
        let leaves = try leaves(of: .object(members))
        let root = try EvidenceMerkle.root(of: leaves)
        guard let verifiedAt = members["meta"]?["verifiedAt"]?.stringValue else {
            throw VerificationError(.malformedDocument, "`meta.verifiedAt` is missing")
        }
        var evidence: [String: JSON] = [
            "leaves": .array(leaves.map(\.json)),
            "root": .string(Hex.encode(root, prefix: true)),
            "rootAlgo": .string(EvidenceMerkle.algorithm),
            "parentRoot": parentRoot.map { .string($0) } ?? .null,
        ]
        members["evidence"] = .object(evidence)
        evidence["bundleHash"] = .string(Hex.encode(try bundleHash(of: .object(members)), prefix: true))
        evidence["evidenceId"] = .string(try evidenceId(root: root, verifiedAt: verifiedAt))
        members["evidence"] = .object(evidence)
        return .object(members)
    }
}

/// The UTC day of a verification, from the `YYYY-MM-DD` that starts an ISO-8601 timestamp.
public struct EvidenceDay: Sendable, Equatable {
    public let year: String, month: String, day: String

    public init(timestamp: String) throws(VerificationError) {
        let utf8 = Array(timestamp.utf8)
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { $0 < utf8.count && (0x30...0x39).contains(utf8[$0]) } }
        guard digits(0..<4), utf8.count >= 10, utf8[4] == 0x2D, digits(5..<7), utf8[7] == 0x2D, digits(8..<10) else {
            throw VerificationError(.malformedDocument, "'\(timestamp)' is not an ISO-8601 UTC timestamp (YYYY-MM-DDThh:mm:ssZ)")
        }
        year = String(decoding: utf8[0..<4], as: UTF8.self)
        month = String(decoding: utf8[5..<7], as: UTF8.self)
        day = String(decoding: utf8[8..<10], as: UTF8.self)
    }

    /// The day in an evidence id, `evi_YYYYMMDD_…`.
    public init(evidenceId: String) throws(VerificationError) {
        let parts = evidenceId.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "evi", parts[1].count == 8, parts[1].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isNumber),
              parts[2].count == 16, Hex.decode(parts[2]) != nil else {
            throw VerificationError(.malformedDocument, "'\(evidenceId)' is not an evidence id (evi_YYYYMMDD_ and 16 hex digits)")
        }
        let date = Array(parts[1])
        try self.init(timestamp: "\(String(date[0..<4]))-\(String(date[4..<6]))-\(String(date[6..<8]))")
    }

    /// `YYYYMMDD`.
    public var compact: String { year + month + day }
    /// `YYYY-MM-DD`, the directory under the evidence root.
    public var directoryName: String { "\(year)-\(month)-\(day)" }
}
