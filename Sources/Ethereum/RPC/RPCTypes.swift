import Wire

/// A block as named in JSON-RPC calls.
public enum BlockTag: Sendable, Hashable, CustomStringConvertible {
    case number(UInt64)
    case latest, earliest, pending, safe, finalized

    var json: JSON {
        switch self {
        case .number(let n): WireFormat.quantity(n)
        case .latest: "latest"
        case .earliest: "earliest"
        case .pending: "pending"
        case .safe: "safe"
        case .finalized: "finalized"
        }
    }

    public var description: String {
        if case .number(let n) = self { return String(n) }
        return json.stringValue ?? ""
    }
}

/// An `eth_getLogs` filter: a block range or one block hash; addresses; topics by position,
/// each position nil (any) or a list of alternatives.
public struct LogFilter: Sendable, Hashable {
    public enum Range: Sendable, Hashable {
        case blocks(from: BlockTag, to: BlockTag)
        case blockHash(Hash)
    }
    public var range: Range
    public var addresses: [Address]
    public var topics: [[Hash]?]

    public init(range: Range, addresses: [Address], topics: [[Hash]?] = []) {
        self.range = range
        self.addresses = addresses
        self.topics = topics
    }

    var json: JSON {
        var object: [String: JSON] = [:]
        switch range {
        case .blocks(let from, let to):
            object["fromBlock"] = from.json
            object["toBlock"] = to.json
        case .blockHash(let hash):
            object["blockHash"] = .string(hash.description)
        }
        if addresses.count == 1 { object["address"] = .string(addresses[0].description) }
        else if !addresses.isEmpty { object["address"] = .array(addresses.map { .string($0.description) }) }
        if !topics.isEmpty {
            object["topics"] = .array(topics.map { position in
                guard let position else { return .null }
                return position.count == 1 ? .string(position[0].description) : .array(position.map { .string($0.description) })
            })
        }
        return .object(object)
    }
}

/// A log as `eth_getLogs` and receipts return it.
public struct Log: Sendable, Hashable {
    public let address: Address
    public let topics: [Hash]
    public let data: [UInt8]
    public let blockNumber: UInt64
    public let blockHash: Hash
    public let transactionHash: Hash
    public let transactionIndex: UInt64
    public let logIndex: UInt64
    public let removed: Bool

    /// A list of logs read one at a time: only one log's `JSON` exists at once.
    static func list(reading reader: inout JSONReader) throws -> [Log] {
        var logs = [Log]()
        try reader.beginArray()
        while try reader.nextElement() { logs.append(try Log(json: try reader.readValue())) }
        return logs
    }

    package init(json: JSON) throws(RPCError) {
        address = try WireFormat.address(json["address"], "log.address")
        guard let topicList = json["topics"]?.arrayValue, topicList.count <= 4 else { throw .malformed("log.topics is not a list of at most 4") }
        var parsed = [Hash]()
        for topic in topicList { parsed.append(try WireFormat.hash(topic, "log.topics")) }
        topics = parsed
        data = try WireFormat.bytes(json["data"], "log.data")
        blockNumber = try WireFormat.uint64(json["blockNumber"], "log.blockNumber")
        blockHash = try WireFormat.hash(json["blockHash"], "log.blockHash")
        transactionHash = try WireFormat.hash(json["transactionHash"], "log.transactionHash")
        transactionIndex = try WireFormat.uint64(json["transactionIndex"], "log.transactionIndex")
        logIndex = try WireFormat.uint64(json["logIndex"], "log.logIndex")
        removed = json["removed"]?.boolValue ?? false
    }
}

/// The header fields the keeper relies on.
public struct BlockHeader: Sendable, Hashable {
    public let number: UInt64
    public let hash: Hash
    public let parentHash: Hash
    public let timestamp: UInt64
    public let baseFeePerGas: UInt256?
    public let gasLimit: UInt64
    public let gasUsed: UInt64

    package init(json: JSON) throws(RPCError) {
        number = try WireFormat.uint64(json["number"], "block.number")
        hash = try WireFormat.hash(json["hash"], "block.hash")
        parentHash = try WireFormat.hash(json["parentHash"], "block.parentHash")
        timestamp = try WireFormat.uint64(json["timestamp"], "block.timestamp")
        baseFeePerGas = try json["baseFeePerGas"].map { j throws(RPCError) in try WireFormat.uint256(j, "block.baseFeePerGas") }
        gasLimit = try WireFormat.uint64(json["gasLimit"], "block.gasLimit")
        gasUsed = try WireFormat.uint64(json["gasUsed"], "block.gasUsed")
    }
}

public struct TransactionReceipt: Sendable, Hashable {
    public let transactionHash: Hash
    public let blockHash: Hash
    public let blockNumber: UInt64
    public let from: Address
    public let to: Address?
    public let contractAddress: Address?
    public let gasUsed: UInt64
    public let effectiveGasPrice: UInt256
    /// True when the transaction succeeded (status 0x1).
    public let succeeded: Bool
    public let logs: [Log]

    package init(json: JSON) throws(RPCError) {
        transactionHash = try WireFormat.hash(json["transactionHash"], "receipt.transactionHash")
        blockHash = try WireFormat.hash(json["blockHash"], "receipt.blockHash")
        blockNumber = try WireFormat.uint64(json["blockNumber"], "receipt.blockNumber")
        from = try WireFormat.address(json["from"], "receipt.from")
        to = try WireFormat.optionalAddress(json["to"], "receipt.to")
        contractAddress = try WireFormat.optionalAddress(json["contractAddress"], "receipt.contractAddress")
        gasUsed = try WireFormat.uint64(json["gasUsed"], "receipt.gasUsed")
        effectiveGasPrice = try WireFormat.uint256(json["effectiveGasPrice"], "receipt.effectiveGasPrice")
        succeeded = try WireFormat.uint64(json["status"], "receipt.status") == 1
        var parsed = [Log]()
        for log in json["logs"]?.arrayValue ?? [] { parsed.append(try Log(json: log)) }
        logs = parsed
    }
}

public struct FeeHistory: Sendable, Hashable {
    public let oldestBlock: UInt64
    /// One more entry than blocks: the last is the next block's base fee.
    public let baseFeePerGas: [UInt256]
    public let gasUsedRatio: [Double]
    /// Per block, the priority fee at each requested percentile.
    public let reward: [[UInt256]]

    package init(json: JSON) throws(RPCError) {
        oldestBlock = try WireFormat.uint64(json["oldestBlock"], "feeHistory.oldestBlock")
        var fees = [UInt256]()
        for fee in json["baseFeePerGas"]?.arrayValue ?? [] { fees.append(try WireFormat.uint256(fee, "feeHistory.baseFeePerGas")) }
        baseFeePerGas = fees
        gasUsedRatio = (json["gasUsedRatio"]?.arrayValue ?? []).compactMap { if case .number(let t) = $0 { Double(t) } else { nil } }
        var rewards = [[UInt256]]()
        for row in json["reward"]?.arrayValue ?? [] {
            var values = [UInt256]()
            for value in row.arrayValue ?? [] { values.append(try WireFormat.uint256(value, "feeHistory.reward")) }
            rewards.append(values)
        }
        reward = rewards
    }
}

/// A call for `eth_call` / `eth_estimateGas`.
public struct CallRequest: Sendable, Hashable {
    public var from: Address?
    public var to: Address
    public var data: [UInt8]
    public var value: UInt256?

    public init(from: Address? = nil, to: Address, data: [UInt8], value: UInt256? = nil) {
        self.from = from
        self.to = to
        self.data = data
        self.value = value
    }

    var json: JSON {
        var object: [String: JSON] = ["to": .string(to.description), "data": WireFormat.data(data)]
        if let from { object["from"] = .string(from.description) }
        if let value { object["value"] = WireFormat.quantity(value) }
        return .object(object)
    }
}
