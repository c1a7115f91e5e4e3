import Crypto
import Wire

/// Why a JSON-RPC call failed, separated so that callers can decide what is safe to repeat.
public enum RPCError: Error, Equatable, CustomStringConvertible {
    /// The exchange did not complete (refused, timed out, broken connection).
    case transport(HTTPError)
    /// The endpoint answered with an HTTP error status (429 rate limit, 5xx, …).
    case http(status: Int, endpoint: String, retryAfterSeconds: Int?)
    /// The node answered with a JSON-RPC error object.
    case rpc(code: Int, message: String, data: [UInt8]?)
    /// The answer was not a well-formed JSON-RPC response.
    case malformed(String)

    /// The revert data carried by an `execution reverted` error (code 3 or -32000), if any.
    public var revertData: [UInt8]? {
        if case .rpc(let code, let message, let data) = self, code == 3 || (code == -32000 && message.contains("revert")) {
            return data
        }
        return nil
    }

    /// True when retrying the same read on the same or another endpoint may succeed.
    public var isTransient: Bool {
        switch self {
        case .transport: true
        case .http(let status, _, _): status == 429 || status >= 500
        case .rpc(let code, _, _):
            // Rate limits, a backend behind or without the header, -32603 internal error. Range and
            // batch refusals are answered by asking differently, reverts and bad params are final.
            switch providerRefusal {
            case .rateLimited?, .beyondHead?, .headerNotFound?: true
            case .some: false
            case nil: code == -32603
            }
        case .malformed: true
        }
    }

    /// True when a write (`eth_sendRawTransaction`) may have reached the node, so that its effect
    /// must be checked (receipt, nonce) rather than assumed absent.
    public var mayHaveReachedNode: Bool {
        switch self {
        case .transport(let error): error.mayHaveReachedServer
        case .http(let status, _, _): status >= 500
        case .rpc, .malformed: true
        }
    }

    public var description: String {
        switch self {
        case .transport(let error): "RPC transport failure: \(error.message)"
        case .http(let status, let endpoint, _): "RPC endpoint \(endpoint) answered HTTP \(status)"
        case .rpc(let code, let message, let data):
            if let data, !data.isEmpty { "RPC error \(code): \(message) (data \(Hex.encode(data, prefix: true)))" }
            else { "RPC error \(code): \(message)" }
        case .malformed(let reason): "malformed RPC answer: \(reason)"
        }
    }
}
