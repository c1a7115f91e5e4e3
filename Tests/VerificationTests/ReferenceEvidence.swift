import TestSupport
import Wire

/// An independent implementation of docs/EVIDENCE.md in Python (json.dumps for canonical JSON,
/// eth-hash's keccak), run in the devnet venv: the Swift results must equal its results.
enum ReferenceEvidence {
    static let prelude = #"""
    import json, sys
    from eth_hash.auto import keccak

    def canon(v):
        return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def leaf(path, value):
        return keccak(b"\x00" + path.encode("utf-8") + b"\x00" + canon(value))

    def root(leaves):
        level = [h for _, h in sorted(leaves, key=lambda x: x[0].encode("utf-8"))]
        while len(level) > 1:
            nxt = [keccak(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
        return level[0]

    def response_leaves(doc):
        out = [("meta", leaf("meta", doc["meta"]))]
        if doc.get("error") is not None:
            out.append(("error", leaf("error", doc["error"])))
        for section in ("normalized", "raw"):
            for k, v in (doc.get(section) or {}).items():
                out.append((section + "." + k, leaf(section + "." + k, v)))
        return out

    def bundle_hash(doc):
        d = dict(doc)
        d.pop("perf", None)
        ev = dict(d["evidence"])
        ev.pop("bundleHash", None)
        ev.pop("evidenceId", None)
        d["evidence"] = ev
        return keccak(canon(d))
    """#

    /// Canonical JSON of the document on stdin, as Python writes it.
    static func canonical(_ value: JSON) throws -> String {
        try ReferencePython.run(prelude + "\nsys.stdout.write(canon(json.loads(sys.stdin.read())).decode('utf-8'))",
                                stdin: value.serializedString)
    }

    /// The root over `[(path, value)]`, `0x…`.
    static func root(_ leaves: [(String, JSON)]) throws -> String {
        let input = JSON.array(leaves.map { JSON.array([.string($0.0), $0.1]) })
        return try ReferencePython.run(prelude + """

            pairs = json.loads(sys.stdin.read())
            print("0x" + root([(p, leaf(p, v)) for p, v in pairs]).hex())
            """, stdin: input.serializedString)
    }

    /// `root bundleHash` of a sealed response, recomputed from the document alone.
    static func rootAndBundleHash(of document: JSON) throws -> (root: String, bundleHash: String) {
        let output = try ReferencePython.run(prelude + """

            doc = json.loads(sys.stdin.read())
            print("0x" + root(response_leaves(doc)).hex(), "0x" + bundle_hash(doc).hex())
            """, stdin: document.serializedString)
        let parts = output.split(separator: " ").map(String.init)
        return (parts.first ?? "", parts.last ?? "")
    }
}
