import Crypto
import Ethereum
import Wire

/// One contract log as the `events` table holds it: position, name, the claim key when the event
/// has one, and every decoded field as canonical JSON (sorted keys, numbers as decimal strings).
public struct IndexedEvent: Sendable, Hashable {
    public let blockNumber: UInt64
    public let blockHash: Hash
    public let transactionHash: Hash
    public let transactionIndex: UInt64
    public let logIndex: UInt64
    public let address: Address
    public let name: String
    /// Lowercase 0x hex, for events with a `user` input.
    public let user: String?
    /// Decimal text, for events with an `orderId` input.
    public let orderID: String?
    public let data: String
    /// Set for `ClaimRequested`.
    public let claim: ClaimRequest?

    /// The fields of a `ClaimRequested` log.
    public struct ClaimRequest: Sendable, Hashable {
        public let user: String
        public let orderID: String
        public let instrument: String
        public let principal: String
        public let leverage: Int
    }

    /// Decodes `log` with the contract's events. A log no event matches is kept as `Unknown`
    /// with its raw topics and data, so that nothing the contract emitted is dropped.
    public init(log: Log) throws(KeeperError) {
        blockNumber = log.blockNumber
        blockHash = log.blockHash
        transactionHash = log.transactionHash
        transactionIndex = log.transactionIndex
        logIndex = log.logIndex
        address = log.address
        guard let topic0 = log.topics.first, let event = LeverageGuardContract.eventsByTopic[topic0] else {
            name = "Unknown"
            user = nil
            orderID = nil
            claim = nil
            data = JSON.object(["topics": .array(log.topics.map { .string($0.description) }),
                                "data": .string(Hex.encode(log.data, prefix: true))]).serializedString
            return
        }
        let decoded: DecodedLog
        do { decoded = try event.decodeLog(topics: log.topics, data: log.data) } catch {
            throw KeeperError(.badData, "log \(log.logIndex) of block \(log.blockNumber) does not decode as \(event.signature): \(error.message)")
        }
        var fields = [String: JSON]()
        for (input, value) in zip(event.inputs, decoded.values) {
            switch value {
            case .value(let v): fields[input.name] = Self.json(v)
            case .hashed(let hash): fields[input.name] = .string(hash.description)
            }
        }
        name = event.name
        user = fields["user"]?.stringValue
        orderID = fields["orderId"]?.stringValue
        data = JSON.object(fields).serializedString
        if event == LeverageGuardContract.claimRequested, let user, let orderID,
           let instrument = fields["instId"]?.stringValue, let principal = fields["principal"]?.stringValue,
           let leverage = fields["leverage"]?.stringValue.flatMap({ Int($0) }) {
            claim = ClaimRequest(user: user, orderID: orderID, instrument: instrument, principal: principal, leverage: leverage)
        } else {
            claim = nil
        }
    }

    /// Canonical JSON for an ABI value: integers as decimal strings, addresses lowercase, bytes as 0x hex.
    static func json(_ value: ABIValue) -> JSON {
        switch value {
        case .uint(let v): .string(v.description)
        case .int(let v): .string(v.description)
        case .address(let a): .string(a.description)
        case .bool(let b): .bool(b)
        case .fixedBytes(let b), .bytes(let b): .string(Hex.encode(b, prefix: true))
        case .string(let s): .string(s)
        case .array(let items), .tuple(let items): .array(items.map(json))
        }
    }
}
