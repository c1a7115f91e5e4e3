import Ethereum
import Indexer

/// The ABI decoder. The first byte picks what the rest is:
/// - 0: `TYPE\nDATA` — an ABI type as written in signatures (parsed too), then the data;
/// - 1: `K DATA` — the K-th of a fixed list of the types the keeper decodes, then the data;
/// - 2: `E T TOPICS… DATA` — a log of the LeverageGuard event E with T topics (topic0 the
///   event's own unless T ≥ 0x80), decoded as the keeper decodes logs;
/// - 3: revert data, decoded as a reverted call's answer is.
/// Whatever decodes must encode again and decode to the same values.
enum ABIFuzz {
    /// Shapes the keeper reads (getClaim's outputs, the events' data, revert payloads) and the
    /// spec's examples (static and dynamic arrays, nested tuples).
    static let fixedTypes: [[ABIType]] = [
        [.uint(256)],
        [.string],
        [.bytes],
        [.uint(256), .uint(16), .uint(64), .uint(256), .bool, .bool, .bool, .fixedBytes(32)],
        [.string, .uint(256), .uint(16)],
        [.uint(256), .bool, .fixedBytes(32)],
        [.address, .int(8), .int(256), .fixedBytes(1)],
        [.array(.uint(32)), .fixedArray(.string, 2)],
        [.tuple([.uint(256), .array(.uint(256))]), .array(.tuple([.address, .string]))],
        [.fixedArray(.fixedArray(.uint(8), 2), 3), .array(.array(.bytes))],
        [.uint(32), .bool],
        [.bytes, .bool, .array(.uint(256))],
    ]

    static func run(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        guard let mode = input.first else { return false }
        let rest = Array(input.dropFirst())
        switch mode % 4 {
        case 0:
            let newline = rest.firstIndex(of: 0x0A) ?? rest.count
            let text = String(decoding: rest[..<newline], as: UTF8.self)
            guard let type = try? ABIType(text) else { return false }
            try require((try? ABIType(type.canonicalName)) == type, "the canonical name of \(type) does not parse back to it")
            let types: [ABIType] = if case .tuple(let components) = type { components } else { [type] }
            return try roundTrip(types, Array(rest.dropFirst(newline + 1)))
        case 1:
            guard let selector = rest.first else { return false }
            return try roundTrip(fixedTypes[Int(selector) % fixedTypes.count], Array(rest.dropFirst()))
        case 2:
            return try decodeLog(rest)
        default:
            let contract = ContractABI(functions: LeverageGuardContract.functions, events: LeverageGuardContract.events)
            let reason = RevertReason(data: rest, abi: contract)
            _ = reason.description
            if case .raw = reason { return false }
            return true
        }
    }

    private static func roundTrip(_ types: [ABIType], _ data: [UInt8]) throws(InvariantViolation) -> Bool {
        guard let values = try? ABI.decode(types, from: data) else { return false }
        let encoded: [UInt8]
        do {
            encoded = try ABI.encode(values, as: types)
        } catch {
            throw InvariantViolation("decoded values of \(types) do not encode: \(error)")
        }
        try require((try? ABI.decode(types, from: encoded)) == values, "decode(encode(decode(x))) != decode(x) for \(types)")
        return true
    }

    private static func decodeLog(_ bytes: [UInt8]) throws(InvariantViolation) -> Bool {
        guard bytes.count >= 2 else { return false }
        let events = LeverageGuardContract.events
        let event = events[Int(bytes[0]) % events.count]
        let topicCount = Int(bytes[1] & 0x7F) % 5
        var topics: [Hash] = bytes[1] < 0x80 ? [event.topic0] : []
        var position = 2
        while topics.count < topicCount, position + 32 <= bytes.count {
            guard let topic = try? Hash(bytes: bytes[position..<(position + 32)]) else { return false }
            topics.append(topic)
            position += 32
        }
        guard let log = try? event.decodeLog(topics: topics, data: bytes[position...]) else { return false }
        try require(log.values.count == event.inputs.count, "\(event.name): \(log.values.count) values for \(event.inputs.count) inputs")
        for input in event.inputs where !input.name.isEmpty {
            try require(log[input.name] != nil, "\(event.name): no value for \(input.name)")
        }
        return true
    }
}
