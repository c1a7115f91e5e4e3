import Foundation

/// A contract interface loaded from a JSON ABI (https://docs.soliditylang.org/en/latest/abi-spec.html#json),
/// as solc and Vyper emit it, or a build artifact with an `"abi"` member.
public struct ContractABI: Sendable, Hashable {
    public let functions: [ABIFunction]
    public let events: [ABIEvent]
    public let errors: [ABICustomError]

    public init(functions: [ABIFunction] = [], events: [ABIEvent] = [], errors: [ABICustomError] = []) {
        self.functions = functions
        self.events = events
        self.errors = errors
    }

    /// Reads a JSON ABI. Constructor, fallback and receive entries are skipped; any other
    /// malformed entry or type throws `.abiInvalidJSON` / `.abiInvalidType` naming it.
    public init(json: Data) throws(EthereumError) {
        let entries: [JSONEntry]
        do {
            if (try? JSONSerialization.jsonObject(with: json)) is [String: Any] {
                entries = try JSONDecoder().decode(JSONArtifact.self, from: json).abi
            } else {
                entries = try JSONDecoder().decode([JSONEntry].self, from: json)
            }
        } catch {
            throw EthereumError(.abiInvalidJSON, "the JSON ABI cannot be read: \(Self.describe(error))")
        }
        var functions: [ABIFunction] = [], events: [ABIEvent] = [], errors: [ABICustomError] = []
        for (index, entry) in entries.enumerated() {
            let kind = entry.type ?? "function"
            func named() throws(EthereumError) -> String {
                guard let name = entry.name, !name.isEmpty else {
                    throw EthereumError(.abiInvalidJSON, "ABI entry \(index) (\(kind)) has no name")
                }
                return name
            }
            switch kind {
            case "function":
                let name = try named()
                guard let mutability = entry.mutability else {
                    throw EthereumError(.abiInvalidJSON, "function \(name): unknown stateMutability \(entry.stateMutability ?? "")")
                }
                functions.append(ABIFunction(name: name, inputs: try Self.parameters(entry.inputs, in: name),
                                             outputs: try Self.parameters(entry.outputs, in: name),
                                             stateMutability: mutability))
            case "event":
                let name = try named()
                events.append(ABIEvent(name: name, inputs: try Self.parameters(entry.inputs, in: name),
                                       anonymous: entry.anonymous ?? false))
            case "error":
                let name = try named()
                errors.append(ABICustomError(name: name, inputs: try Self.parameters(entry.inputs, in: name)))
            case "constructor", "fallback", "receive":
                continue
            default:
                throw EthereumError(.abiInvalidJSON, "ABI entry \(index) has unknown type \"\(kind)\"")
            }
        }
        self.init(functions: functions, events: events, errors: errors)
    }

    // MARK: Lookup

    /// The function with this name (which must not be overloaded) or exact signature `f(uint256)`.
    public func function(_ nameOrSignature: String) throws(EthereumError) -> ABIFunction {
        try Self.unique(functions, nameOrSignature, kind: "function", name: \.name, signature: \.signature)
    }

    /// The event with this name (which must not be overloaded) or exact signature.
    public func event(_ nameOrSignature: String) throws(EthereumError) -> ABIEvent {
        try Self.unique(events, nameOrSignature, kind: "event", name: \.name, signature: \.signature)
    }

    /// The non-anonymous event whose topic0 is `topic`.
    public func event(topic0 topic: Hash) -> ABIEvent? {
        events.first { !$0.anonymous && $0.topic0 == topic }
    }

    /// The function with this 4-byte selector.
    public func function(selector: some Collection<UInt8>) -> ABIFunction? {
        let wanted = Array(selector)
        return functions.first { $0.selector == wanted }
    }

    /// The custom error with this 4-byte selector.
    public func error(selector: some Collection<UInt8>) -> ABICustomError? {
        let wanted = Array(selector)
        return errors.first { $0.selector == wanted }
    }

    // MARK: Shortcuts

    /// Calldata for `function(arguments…)`.
    public func encodeCall(_ function: String, _ arguments: [ABIValue]) throws(EthereumError) -> [UInt8] {
        try self.function(function).encodeCall(arguments)
    }

    /// The return values of `function` from `eth_call` output.
    public func decodeOutput(_ function: String, from data: some Collection<UInt8>) throws(EthereumError) -> [ABIValue] {
        try self.function(function).decodeOutput(data)
    }

    /// Decodes a log by its topic0 against the non-anonymous events of this ABI.
    public func decodeLog(topics: [Hash], data: some Collection<UInt8>) throws(EthereumError) -> DecodedLog {
        guard let topic = topics.first, let event = event(topic0: topic) else {
            throw EthereumError(.abiUnknownMember, "no event of this ABI has topic0 \(topics.first?.description ?? "(none)")")
        }
        return try event.decodeLog(topics: topics, data: data)
    }

    /// Why a call reverted, from its revert data.
    public func decodeRevert(_ data: some Collection<UInt8>) -> RevertReason {
        RevertReason(data: data, abi: self)
    }

    // MARK: JSON

    private struct JSONArtifact: Decodable {
        let abi: [JSONEntry]
    }

    private struct JSONEntry: Decodable {
        let type: String?
        let name: String?
        let inputs: [JSONParameter]?
        let outputs: [JSONParameter]?
        let stateMutability: String?
        let anonymous: Bool?
        // Pre-0.4.16 solc wrote these instead of stateMutability.
        let constant: Bool?
        let payable: Bool?

        var mutability: StateMutability? {
            if let stateMutability { return StateMutability(rawValue: stateMutability) }
            if constant == true { return .view }
            return payable == true ? .payable : .nonpayable
        }
    }

    private struct JSONParameter: Decodable {
        let name: String?
        let type: String
        let indexed: Bool?
        let components: [JSONParameter]?
    }

    private static func parameters(_ list: [JSONParameter]?, in member: String) throws(EthereumError) -> [ABIParameter] {
        var out: [ABIParameter] = []
        for parameter in list ?? [] { out.append(try self.parameter(parameter, in: member, depth: 0)) }
        return out
    }

    private static func parameter(_ json: JSONParameter, in member: String, depth: Int) throws(EthereumError) -> ABIParameter {
        guard depth <= ABIType.maxDepth else {
            throw EthereumError(.abiInvalidType, "\(member): tuple components nest deeper than \(ABIType.maxDepth)")
        }
        var components: [ABIParameter] = []
        for component in json.components ?? [] {
            components.append(try parameter(component, in: member, depth: depth + 1))
        }
        let type: ABIType
        do throws(EthereumError) {
            if json.type.hasPrefix("tuple") {
                guard !components.isEmpty else {
                    throw EthereumError(.abiInvalidType, "tuple without components")
                }
                type = try ABIType.applyingArraySuffix(json.type.dropFirst("tuple".count), to: .tuple(components.map(\.type)))
            } else {
                guard components.isEmpty else {
                    throw EthereumError(.abiInvalidType, "components given for non-tuple type \(json.type)")
                }
                type = try ABIType(json.type)
            }
        } catch {
            throw EthereumError(error.code, "\(member), parameter \"\(json.name ?? "")\": \(error.message)")
        }
        return ABIParameter(name: json.name ?? "", type: type, indexed: json.indexed ?? false, components: components)
    }

    private static func unique<Member>(_ members: [Member], _ key: String, kind: String,
                                       name: KeyPath<Member, String>, signature: KeyPath<Member, String>) throws(EthereumError) -> Member {
        let matches = key.contains("(")
            ? members.filter { $0[keyPath: signature] == key }
            : members.filter { $0[keyPath: name] == key }
        guard let match = matches.first else {
            throw EthereumError(.abiUnknownMember, "the ABI has no \(kind) \(key)")
        }
        guard matches.count == 1 else {
            let candidates = matches.map { $0[keyPath: signature] }.joined(separator: ", ")
            throw EthereumError(.abiUnknownMember, "\(kind) \(key) is overloaded; name one by signature: \(candidates)")
        }
        return match
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context), DecodingError.typeMismatch(_, let context),
             DecodingError.valueNotFound(_, let context):
            return context.debugDescription + " at " + path(context.codingPath)
        case DecodingError.keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\" at " + path(context.codingPath)
        default:
            return String(describing: error)
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.isEmpty ? "top level" : codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }
}
