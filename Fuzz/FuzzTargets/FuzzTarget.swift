/// The fuzz targets of issue 8. Each feeds arbitrary bytes to one decoder and checks that it
/// returns a value or throws its typed error — a trap (force unwrap, overflow, index out of
/// range) crashes the process, which is what libFuzzer and the regression tests catch — and
/// that the cheap invariants hold, throwing `InvariantViolation` when one does not.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `RLP.decode`, the typed accessors, and `SignedTransaction(raw:)`.
    case rlp
    /// `ABIType` parsing, `ABI.decode`, `ABIEvent.decodeLog` of the contract's events, `RevertReason`.
    case abi
    /// `JSON(parsing:)` (Wire), the parser under both response parsers.
    case json
    /// The JSON-RPC response decoder and the typed results (logs, headers, receipts, fee history).
    case jsonrpc
    /// OKX v5 envelopes and records (orders, positions history, instruments, fills), error classes.
    case okx
    /// `HTTPRequestParser`, the HTTP server's request parser (module HTTPServer).
    case http
    /// `SignInMessage(parsing:)` (EIP-4361) and `personal_sign` signatures: what a trader sends to register a key.
    case siwe

    /// Runs one input through the target; true when the decoder returned a value (rather than
    /// throwing its error), so that the seeds can be shown to reach the decoders' success paths.
    @discardableResult
    public func run(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        switch self {
        case .rlp: try RLPFuzz.run(input)
        case .abi: try ABIFuzz.run(input)
        case .json: try JSONFuzz.run(input)
        case .jsonrpc: try JSONRPCFuzz.run(input)
        case .okx: try OKXFuzz.run(input)
        case .http: try HTTPRequestFuzz.run(input)
        case .siwe: try SignInFuzz.run(input)
        }
    }

    /// The libFuzzer entry point's body: an invariant violation is a crash like any other.
    public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
        do {
            try run(Array(UnsafeBufferPointer(start: data, count: size)))
        } catch {
            fatalError("fuzz-\(rawValue): \(error)")
        }
        return 0
    }
}

/// A decoder returned, but its answer broke an invariant (a round trip, a limit).
public struct InvariantViolation: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Throws `InvariantViolation(message)` unless `condition` holds.
func require(_ condition: Bool, _ message: @autoclosure () -> String) throws(InvariantViolation) {
    if !condition { throw InvariantViolation(message()) }
}
