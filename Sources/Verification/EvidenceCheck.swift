import Crypto
import Wire

/// The outcome of re-checking an evidence document: the recomputed values beside the stated
/// ones, and the first disagreement a person should look at.
public struct EvidenceCheck: Sendable, Equatable {
    public let evidenceId: String?
    public let statedRoot: String?
    public let computedRoot: String
    public let statedBundleHash: String?
    public let computedBundleHash: String
    /// The first leaf, in path order, whose stated hash differs from the recomputed one, or that
    /// is listed on one side only.
    public let firstDifferingLeaf: String?
    /// Every disagreement, one line each; empty when the document verifies.
    public let problems: [String]

    public var passed: Bool { problems.isEmpty }

    /// Recomputes leaves, root, bundle hash and evidence id of `document` and compares them with
    /// its `evidence` member. Throws only when the document is not a response at all.
    public init(document: JSON) throws(VerificationError) {
        guard let evidence = document["evidence"]?.objectValue else {
            throw VerificationError(.malformedDocument, "the document has no `evidence` object")
        }
        var problems = [String]()
        let computedLeaves = try EvidenceBundle.leaves(of: document)
        let computedRootBytes = try EvidenceMerkle.root(of: computedLeaves)
        computedRoot = Hex.encode(computedRootBytes, prefix: true)
        computedBundleHash = Hex.encode(try EvidenceBundle.bundleHash(of: document), prefix: true)

        let algorithm = evidence["rootAlgo"]?.stringValue
        if algorithm != EvidenceMerkle.algorithm {
            problems.append("rootAlgo is \(algorithm.map { "'\($0)'" } ?? "missing"), expected '\(EvidenceMerkle.algorithm)'")
        }

        var stated = [String: String]()
        for item in evidence["leaves"]?.arrayValue ?? [] {
            guard let path = item["path"]?.stringValue, let hash = item["hash"]?.stringValue else {
                problems.append("evidence.leaves holds an entry without a path and a hash")
                continue
            }
            stated[path] = hash.lowercased()
        }
        var differing: String? = nil
        let computed = Dictionary(computedLeaves.map { ($0.path, Hex.encode($0.hash, prefix: true)) }, uniquingKeysWith: { a, _ in a })
        let allPaths = Set(stated.keys).union(computed.keys).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for path in allPaths {
            switch (stated[path], computed[path]) {
            case let (s?, c?) where s != c:
                problems.append("leaf '\(path)': stated \(s), recomputed \(c) — its content was changed")
            case (nil, _?):
                problems.append("leaf '\(path)' is in the document but not listed in evidence.leaves")
            case (_?, nil):
                problems.append("leaf '\(path)' is listed in evidence.leaves but absent from the document")
            default: continue
            }
            if differing == nil { differing = path }
        }
        firstDifferingLeaf = differing

        statedRoot = evidence["root"]?.stringValue
        if statedRoot?.lowercased() != computedRoot {
            problems.append("root: stated \(statedRoot ?? "nothing"), recomputed \(computedRoot)")
        }
        statedBundleHash = evidence["bundleHash"]?.stringValue
        if statedBundleHash?.lowercased() != computedBundleHash {
            problems.append("bundleHash: stated \(statedBundleHash ?? "nothing"), recomputed \(computedBundleHash)")
        }
        evidenceId = evidence["evidenceId"]?.stringValue
        if let verifiedAt = document["meta"]?["verifiedAt"]?.stringValue,
           let expected = try? EvidenceBundle.evidenceId(root: computedRootBytes, verifiedAt: verifiedAt) {
            if evidenceId != expected { problems.append("evidenceId: stated \(evidenceId ?? "nothing"), derived \(expected)") }
        } else {
            problems.append("meta.verifiedAt is missing or not a timestamp, so the evidence id cannot be derived")
        }
        self.problems = problems
    }
}
