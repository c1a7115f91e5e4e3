import Ethereum

/// The keeper's one error type, shared by `Indexer` and `Keeper` (it lives in the lower of the two): a
/// `code` the CLI maps to an exit status and a one-line message an operator can act on (never a secret).
public struct KeeperError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The configuration file is missing, unreadable or invalid (exit 78).
        case config
        /// The node or another upstream could not be used (exit 69).
        case unavailable
        /// Another keeper holds the database (exit 69: try again when it has stopped).
        case locked
        /// The database does not belong to this chain/contract, or its content is inconsistent (exit 65).
        case badData
        /// A SQLite failure (exit 70).
        case store
        /// A defect in the keeper (exit 70).
        case software
        /// Claim processing is halted after a finality violation (exit 1).
        case halted
        /// A contract call reverted in simulation (`eth_call`); `revertReason` says why (exit 1).
        case reverted
    }

    public let code: Code
    public let message: String
    /// The decoded revert data, for `.reverted`.
    public let revertReason: RevertReason?

    public init(_ code: Code, _ message: String, revertReason: RevertReason? = nil) {
        self.code = code
        self.message = message
        self.revertReason = revertReason
    }

    public var description: String { message }
}
