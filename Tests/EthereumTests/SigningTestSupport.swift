import Foundation

/// A reproducible byte stream (SplitMix64) for cross-check inputs: the same cases every run, so a
/// failure can be replayed; the seed varies the set between tests.
struct SeededBytes {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 8)
        while out.count < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            withUnsafeBytes(of: z.bigEndian) { out.append(contentsOf: $0) }
        }
        return Array(out.prefix(count))
    }

    mutating func nextInt(below bound: Int) -> Int { Int(next(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } % UInt64(bound)) }
}

/// JSON in and out of reference Python scripts.
enum ReferenceJSON {
    static func encode(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]), as: UTF8.self)
    }

    static func decodeArray(_ text: String) throws -> [[String: Any]] {
        guard let array = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
            throw CocoaError(.coderReadCorrupt)
        }
        return array
    }
}
