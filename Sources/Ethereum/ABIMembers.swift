/// A named input or output of a function, event or error. `components` carries the field names
/// of a tuple type (also inside arrays of tuples); `indexed` applies to event inputs only.
public struct ABIParameter: Sendable, Hashable {
    public let name: String
    public let type: ABIType
    public let indexed: Bool
    public let components: [ABIParameter]

    public init(name: String = "", type: ABIType, indexed: Bool = false, components: [ABIParameter] = []) {
        self.name = name
        self.type = type
        self.indexed = indexed
        self.components = components
    }
}

extension ABI {
    /// `name(type1,type2,…)` with canonical type names: what selectors and topics hash.
    public static func signature(_ name: String, _ parameters: [ABIParameter]) -> String {
        name + "(" + parameters.map(\.type.canonicalName).joined(separator: ",") + ")"
    }
}

public enum StateMutability: String, Sendable, Hashable {
    case pure, view, nonpayable, payable
}

/// A contract function: its selector, call encoding and output decoding.
public struct ABIFunction: Sendable, Hashable {
    public let name: String
    public let inputs: [ABIParameter]
    public let outputs: [ABIParameter]
    public let stateMutability: StateMutability

    public init(name: String, inputs: [ABIParameter], outputs: [ABIParameter] = [], stateMutability: StateMutability = .nonpayable) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.stateMutability = stateMutability
    }

    /// A function from a human-written signature such as `transfer(address,uint256)`
    /// (no outputs; `uint` is read as `uint256`).
    public init(signature text: String, stateMutability: StateMutability = .nonpayable) throws(EthereumError) {
        guard let open = text.firstIndex(of: "("), text.hasSuffix(")"), open > text.startIndex else {
            throw EthereumError(.abiInvalidType, "\"\(UInt256.excerpt(text))\" is not a signature like name(type,…)")
        }
        let name = String(text[..<open])
        let types = String(text[open...])
        var inputs: [ABIParameter] = []
        if types != "()" {
            guard case .tuple(let components) = try ABIType(types) else {
                throw EthereumError(.abiInvalidType, "\"\(UInt256.excerpt(text))\" is not a signature like name(type,…)")
            }
            inputs = components.map { ABIParameter(type: $0) }
        }
        self.init(name: name, inputs: inputs, stateMutability: stateMutability)
    }

    /// `name(canonical input types)`, e.g. `verifyPayout(address,uint256,uint256,bool,bytes32)`.
    public var signature: String { ABI.signature(name, inputs) }

    /// The first four bytes of keccak256(signature).
    public var selector: [UInt8] { ABI.selector(signature) }

    /// Calldata: the selector, then the arguments encoded as a tuple.
    public func encodeCall(_ arguments: [ABIValue]) throws(EthereumError) -> [UInt8] {
        selector + (try ABI.encode(arguments, as: inputs.map(\.type)))
    }

    /// The arguments of calldata for this function (the selector must match).
    public func decodeCall(_ calldata: some Collection<UInt8>) throws(EthereumError) -> [ABIValue] {
        let bytes = Array(calldata)
        guard bytes.count >= 4, Array(bytes.prefix(4)) == selector else {
            throw EthereumError(.abiUnknownMember, "calldata does not start with the selector of \(signature)")
        }
        return try ABI.decode(inputs.map(\.type), from: bytes.dropFirst(4))
    }

    /// The return values of an `eth_call` of this function.
    public func decodeOutput(_ data: some Collection<UInt8>) throws(EthereumError) -> [ABIValue] {
        try ABI.decode(outputs.map(\.type), from: data)
    }
}

/// A contract event: its topic0 and log decoding.
public struct ABIEvent: Sendable, Hashable {
    public let name: String
    public let inputs: [ABIParameter]
    public let anonymous: Bool
    /// keccak256(signature): the first topic of every non-anonymous log of this event. Stored, not
    /// computed: `decodeLog` compares it for every log it decodes.
    public let topic0: Hash

    public init(name: String, inputs: [ABIParameter], anonymous: Bool = false) {
        self.name = name
        self.inputs = inputs
        self.anonymous = anonymous
        topic0 = Hash.keccak256(Array(ABI.signature(name, inputs).utf8))
    }

    public var signature: String { ABI.signature(name, inputs) }

    /// Decodes a log: indexed value types from the topics, indexed strings, bytes, arrays and
    /// tuples as the hash stored in their topic, the rest from `data`.
    public func decodeLog(topics: [Hash], data: some Collection<UInt8>) throws(EthereumError) -> DecodedLog {
        var indexedTopics = topics[...]
        if !anonymous {
            guard topics.first == topic0 else {
                throw EthereumError(.abiInvalidLog, "log topic0 \(topics.first?.description ?? "(none)") is not \(signature)'s \(topic0)")
            }
            indexedTopics = indexedTopics.dropFirst()
        }
        let indexedCount = inputs.filter(\.indexed).count
        guard indexedTopics.count == indexedCount else {
            throw EthereumError(.abiInvalidLog, "\(signature) has \(indexedCount) indexed inputs, the log has \(indexedTopics.count) topics for them")
        }
        var dataValues = try ABI.decode(inputs.filter { !$0.indexed }.map(\.type), from: data)[...]
        var values: [DecodedLog.Value] = []
        values.reserveCapacity(inputs.count)
        for input in inputs {
            if input.indexed {
                let topic = indexedTopics.removeFirst()
                values.append(input.type.isHashedWhenIndexed
                              ? .hashed(topic)
                              : .value(try ABI.decodeWord(input.type, from: topic.bytes)))
            } else {
                values.append(.value(dataValues.removeFirst()))
            }
        }
        return DecodedLog(event: self, values: values)
    }
}

/// A decoded log: one value per event input, in declaration order.
public struct DecodedLog: Sendable, Hashable {
    /// An argument's value, or for an indexed string/bytes/array/tuple the hash in its topic.
    public enum Value: Sendable, Hashable {
        case value(ABIValue)
        case hashed(Hash)
    }

    public let event: ABIEvent
    public let values: [Value]

    public subscript(name: String) -> Value? {
        inputIndex(name).map { values[$0] }
    }

    /// The decoded value of the input `name`; throws if there is none or only its hash is known.
    public func value(_ name: String) throws(EthereumError) -> ABIValue {
        guard let index = inputIndex(name) else {
            throw EthereumError(.abiUnknownMember, "\(event.signature) has no input named \(name)")
        }
        guard case .value(let value) = values[index] else {
            throw EthereumError(.abiTypeMismatch, "\(event.name).\(name) is indexed: the log holds only its hash")
        }
        return value
    }

    private func inputIndex(_ name: String) -> Int? {
        event.inputs.firstIndex { $0.name == name }
    }
}

/// A custom Solidity error (`error InsufficientPool(uint256 needed, uint256 available)`).
public struct ABICustomError: Sendable, Hashable {
    public let name: String
    public let inputs: [ABIParameter]

    public init(name: String, inputs: [ABIParameter]) {
        self.name = name
        self.inputs = inputs
    }

    public var signature: String { ABI.signature(name, inputs) }
    public var selector: [UInt8] { ABI.selector(signature) }
}
