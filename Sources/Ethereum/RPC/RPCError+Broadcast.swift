/// How a node refused `eth_sendRawTransaction`, read from each client's own wording (the tables
/// below, each row with the file and line it was read from; `BroadcastRefusalTests` holds the known answers). A keeper resolves `alreadyKnown` and
/// `nonceTooLow` through receipts and nonces, never by signing again; the others say what the node
/// wants before it takes the transaction.
public enum BroadcastRefusal: String, Sendable, Hashable, CaseIterable {
    /// The node already holds this exact transaction.
    case alreadyKnown = "already_known"
    /// The sender's nonce has moved past this transaction's: it, or another transaction with the
    /// same nonce, has been mined.
    case nonceTooLow = "nonce_too_low"
    /// A transaction with the same nonce is pooled and this one does not pay enough more.
    case replacementUnderpriced = "replacement_underpriced"
    /// The fees are under the pool's floor (its minimum tip or price): a higher price is taken.
    case underpriced
    /// The fee cap is under the current block's base fee: a higher fee cap is taken.
    case feeCapBelowBaseFee = "fee_cap_below_base_fee"
    /// The signer cannot pay gas × fee cap + value. Nothing the keeper signs helps until it is funded.
    case insufficientFunds = "insufficient_funds"
    /// The gas limit is under what the transaction needs to start (on Arbitrum: with its L1 data
    /// part, which moves with L1 prices). A fresh estimate is taken.
    case intrinsicGasTooLow = "intrinsic_gas_too_low"
    /// The gas limit is above the block's: no block can hold the transaction as signed.
    case gasLimitExceeded = "gas_limit_exceeded"

    /// True when the node will not take this transaction as it is signed and time alone will not
    /// change that: the keeper alerts (`tx_refused`) and re-signs what it can.
    public var isUntakeable: Bool {
        switch self {
        case .insufficientFunds, .intrinsicGasTooLow, .gasLimitExceeded: true
        case .alreadyKnown, .nonceTooLow, .replacementUnderpriced, .underpriced, .feeCapBelowBaseFee: false
        }
    }

    /// True when the same nonce re-signed at the market price is taken.
    public var wantsHigherFees: Bool { self == .underpriced || self == .feeCapBelowBaseFee }

    /// Reads a node's refusal message. Erigon prefixes its txpool's reason with the gRPC import
    /// result ("ALREADY_EXISTS: already known"); Nethermind answers its result code, optionally
    /// followed by ", detail" ("OldNonce, Current nonce: 5, …"), in older releases PascalCase and
    /// since 2026 geth's phrases; geth, reth and Nitro share geth's phrases with ": detail" appended.
    public static func classify(_ message: String) -> BroadcastRefusal? {
        let text = message.lowercased()
        // Nethermind's code is the text before the first comma, compared whole.
        let code = String(message.prefix { $0 != "," }).trimmingCharacters(in: .whitespaces)
        if let refusal = nethermindCodes[code] { return refusal }
        // Erigon: "RESULT: reason"; the reason is compared whole, the phrases below by prefix.
        var reason = text
        if let colon = text.firstIndex(of: ":"), erigonResults.contains(String(text[..<colon])) {
            reason = String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            if let refusal = erigonReasons[reason] { return refusal }
        }
        for (phrase, refusal) in phrases where reason.hasPrefix(phrase) { return refusal }
        return nil
    }

    /// geth's phrases and their variants, matched at the start of the message (details follow them).
    /// Longer phrases first: "replacement transaction underpriced" before "transaction underpriced".
    static let phrases: [(String, BroadcastRefusal)] = [
        ("already known", .alreadyKnown),                        // geth core/txpool/errors.go:26 ErrAlreadyKnown; reth RpcPoolError::AlreadyKnown
        ("known transaction", .alreadyKnown),                    // older clients' form, kept from the first classifier
        ("already imported", .alreadyKnown),                     // older clients' form, kept from the first classifier
        ("nonce too low", .nonceTooLow),                         // geth core/error.go:47 ErrNonceTooLow; reth "nonce too low: next nonce N, tx nonce M"
        ("nonce has already been used", .nonceTooLow),           // older clients' form, kept from the first classifier
        ("replacement transaction underpriced", .replacementUnderpriced), // geth core/txpool/errors.go:38 ErrReplaceUnderpriced
        ("replacement fee too low", .replacementUnderpriced),    // older clients' form, kept from the first classifier
        ("transaction underpriced", .underpriced),               // geth core/txpool/errors.go:34 ErrUnderpriced; Nethermind 2026 TxPoolErrorMessages
        ("transaction gas price below minimum", .underpriced),   // geth core/txpool/errors.go:42 ErrTxGasPriceTooLow
        ("max fee per gas less than block base fee", .feeCapBelowBaseFee), // geth core/error.go:102 ErrFeeCapTooLow; Nitro tx_pre_checker.go:152
        ("insufficient funds for gas * price + value", .insufficientFunds), // geth core/error.go:71 ErrInsufficientFunds; Nitro tx_pre_checker.go:208
        ("intrinsic gas too low", .intrinsicGasTooLow),          // geth core/error.go:78 ErrIntrinsicGas; Nitro tx_pre_checker.go:220 (L1 data gas)
        ("exceeds block gas limit", .gasLimitExceeded),          // geth core/txpool/errors.go:50 ErrGasLimit; reth RpcPoolError::ExceedsGasLimit
        ("gas limit reached", .gasLimitExceeded),                // Nethermind 2026 TxPoolErrorMessages.GasLimitReached
    ]

    /// The gRPC import results Erigon's `eth_sendRawTransaction` puts before the reason
    /// (erigon rpc/jsonrpc/send_transaction.go:61, `fmt.Errorf("%s: %s", ImportResult_name, Errors[0])`).
    static let erigonResults: Set<String> = ["already_exists", "fee_too_low", "stale", "invalid", "internal_error"]

    /// Erigon's txpool discard reasons that are not geth's phrases
    /// (erigon-lib txpool/txpoolcfg/txpoolcfg.go:112-148, `DiscardReason.String()`; pool.go lines at erigon-lib 8936d4e1).
    static let erigonReasons: [String: BroadcastRefusal] = [
        "underpriced": .underpriced,                          // UnderPriced, txpool/pool.go:781 (under the minimum fee cap)
        "fee too low": .underpriced,                          // FeeTooLow, txpool/pool.go:1287
        "could not replace existing tx": .replacementUnderpriced, // NotReplaced, txpool/pool.go:1268
        "insufficient funds": .insufficientFunds,             // InsufficientFunds, txpool/pool.go:826
        "intrinsicgas": .intrinsicGasTooLow,                  // IntrinsicGas, txpool/pool.go:797
        "existing txn with same hash": .alreadyKnown,         // DuplicateHash
        "mined": .nonceTooLow,                                // Mined: the transaction is in a block already
        "gas limit is too high": .gasLimitExceeded,           // GasLimitTooHigh
    ]

    /// Nethermind's `AcceptTxResult` codes as its releases before 2026 answered them
    /// (Nethermind.TxPool/AcceptTxResult.cs, `new(10, nameof(OldNonce))`; `ToString()` is
    /// "Code" or "Code, Message"; eth_sendRawTransaction fails with it and code -32010).
    static let nethermindCodes: [String: BroadcastRefusal] = [
        "AlreadyKnown": .alreadyKnown,
        "OldNonce": .nonceTooLow,
        "ReplacementNotAllowed": .replacementUnderpriced,
        "OwnNonceAlreadyUsed": .replacementUnderpriced,
        "FeeTooLow": .underpriced,
        "FeeTooLowToCompete": .underpriced,
        "InsufficientFunds": .insufficientFunds,
        "GasLimitExceeded": .gasLimitExceeded,
    ]
}

extension RPCError {
    /// The refusal this error reports, or nil for any other failure (only a node's error object counts).
    public var broadcastRefusal: BroadcastRefusal? {
        guard case .rpc(_, let message, _) = self else { return nil }
        return BroadcastRefusal.classify(message)
    }
}
