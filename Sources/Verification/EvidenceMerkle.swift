import Crypto
import Wire

/// One committed part of a verification response: its path (`meta`, `normalized.position`,
/// `raw.trade/order`, …) and the leaf hash of its value.
public struct EvidenceLeaf: Sendable, Equatable {
    public let path: String
    public let hash: [UInt8]

    public init(path: String, hash: [UInt8]) {
        self.path = path
        self.hash = hash
    }

    /// The leaf for `value` at `path`.
    public init(path: String, value: JSON) {
        self.init(path: path, hash: EvidenceMerkle.leafHash(path: path, value: value))
    }

    /// `{"path": …, "hash": "0x…"}` as it appears in `evidence.leaves`.
    public var json: JSON { .object(["path": .string(path), "hash": .string(Hex.encode(hash, prefix: true))]) }
}

/// `keccak256-merkle-v1`: the Merkle tree over evidence leaves (DESIGN.md §7, docs/EVIDENCE.md).
///
/// - leaf = keccak256(0x00 ‖ utf8(path) ‖ 0x00 ‖ canonicalJSON(value));
/// - node = keccak256(0x01 ‖ left ‖ right);
/// - leaves sorted by the UTF-8 bytes of their paths; paths are unique;
/// - at each level, pairs are hashed left to right and an odd last node is carried up unchanged;
/// - the root of a single leaf is that leaf's hash.
public enum EvidenceMerkle {
    public static let algorithm = "keccak256-merkle-v1"

    static let leafPrefix: UInt8 = 0x00
    static let nodePrefix: UInt8 = 0x01

    /// keccak256(0x00 ‖ utf8(path) ‖ 0x00 ‖ canonicalJSON(value)).
    public static func leafHash(path: String, value: JSON) -> [UInt8] {
        var hasher = Keccak256()
        hasher.update([leafPrefix])
        hasher.update(Array(path.utf8))
        hasher.update([leafPrefix])
        hasher.update(CanonicalJSON.bytes(value))
        return hasher.finalize()
    }

    /// keccak256(0x01 ‖ left ‖ right).
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        Keccak256.hash([nodePrefix] + left + right)
    }

    /// `leaves` ordered by the UTF-8 bytes of their paths.
    public static func sorted(_ leaves: [EvidenceLeaf]) -> [EvidenceLeaf] {
        leaves.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    /// The root over `leaves` (sorted here, whatever their order). Throws when there are no
    /// leaves or two share a path.
    public static func root(of leaves: [EvidenceLeaf]) throws(VerificationError) -> [UInt8] {
        let ordered = sorted(leaves)
        guard !ordered.isEmpty else { throw VerificationError(.malformedDocument, "an evidence tree needs at least one leaf") }
        for (previous, next) in zip(ordered, ordered.dropFirst()) where previous.path == next.path {
            throw VerificationError(.malformedDocument, "two evidence leaves share the path '\(next.path)'")
        }
        var level = ordered.map(\.hash)
        while level.count > 1 {
            var next = [[UInt8]]()
            next.reserveCapacity((level.count + 1) / 2)
            var index = 0
            while index + 1 < level.count {
                next.append(nodeHash(level[index], level[index + 1]))
                index += 2
            }
            if index < level.count { next.append(level[index]) }
            level = next
        }
        return level[0]
    }
}
