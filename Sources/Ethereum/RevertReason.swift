import Crypto

/// Why a call reverted, decoded from its revert data
/// (https://docs.soliditylang.org/en/latest/control-structures.html#revert).
public enum RevertReason: Sendable, Hashable {
    /// No data: `revert()`, `require(cond)` without a message, or running out of gas.
    case empty
    /// `Error(string)`: `require(cond, "message")` / `revert("message")`, Vyper's `assert … , "…"`.
    case error(String)
    /// `Panic(uint256)`: a failed assert or a checked-arithmetic, bounds or memory failure.
    case panic(code: UInt256)
    /// A custom error of the contract's ABI.
    case custom(ABICustomError, [ABIValue])
    /// Data that matches none of the above (unknown selector or malformed payload).
    case raw([UInt8])

    /// `Error(string)`'s selector, 0x08c379a0.
    public static let errorSelector: [UInt8] = [0x08, 0xC3, 0x79, 0xA0]
    /// `Panic(uint256)`'s selector, 0x4e487b71.
    public static let panicSelector: [UInt8] = [0x4E, 0x48, 0x7B, 0x71]

    /// Decodes revert data; custom errors are looked up in `abi` by selector.
    public init(data: some Collection<UInt8>, abi: ContractABI? = nil) {
        let bytes = Array(data)
        guard !bytes.isEmpty else { self = .empty; return }
        guard bytes.count >= 4 else { self = .raw(bytes); return }
        let selector = Array(bytes.prefix(4)), payload = bytes.dropFirst(4)
        if selector == Self.errorSelector, let values = try? ABI.decode([.string], from: payload),
           case .string(let message)? = values.first {
            self = .error(message)
        } else if selector == Self.panicSelector, let values = try? ABI.decode([.uint(256)], from: payload),
                  case .uint(let code)? = values.first {
            self = .panic(code: code)
        } else if let custom = abi?.error(selector: selector),
                  let values = try? ABI.decode(custom.inputs.map(\.type), from: payload) {
            self = .custom(custom, values)
        } else {
            self = .raw(bytes)
        }
    }

    /// What a Solidity panic code means (https://docs.soliditylang.org/en/latest/control-structures.html#panic-via-assert-and-error-via-require).
    public static func panicMeaning(_ code: UInt256) -> String {
        switch UInt64(exactly: code) {
        case 0x00?: return "generic compiler-inserted panic"
        case 0x01?: return "assert(false)"
        case 0x11?: return "arithmetic overflow or underflow"
        case 0x12?: return "division or modulo by zero"
        case 0x21?: return "conversion to an invalid enum value"
        case 0x22?: return "incorrectly encoded storage byte array"
        case 0x31?: return "pop() on an empty array"
        case 0x32?: return "array index out of bounds"
        case 0x41?: return "too much memory allocated"
        case 0x51?: return "call to a zero-initialized internal function"
        default: return "unknown panic code"
        }
    }
}

extension RevertReason: CustomStringConvertible {
    public var description: String {
        switch self {
        case .empty: return "reverted without data"
        case .error(let message): return "reverted: \(message)"
        case .panic(let code): return "panic \(code.hexString): \(Self.panicMeaning(code))"
        case .custom(let error, let values):
            return "reverted with \(error.name)(" + values.map(\.description).joined(separator: ", ") + ")"
        case .raw(let bytes): return "reverted with unrecognized data \(Hex.encode(bytes, prefix: true))"
        }
    }
}
