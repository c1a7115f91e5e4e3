import Testing
@testable import Ethereum

/// `eth_sendRawTransaction` refusals in each client's exact wording, as its source writes them. Each
/// known answer names the file and line it was read from (the commit in the comment above each group).
@Suite struct BroadcastRefusalTests {
    private static func refusal(_ message: String, code: Int = -32000) -> BroadcastRefusal? {
        RPCError.rpc(code: code, message: message, data: nil).broadcastRefusal
    }

    /// go-ethereum 02b73d4e (2026-08-20): core/txpool/errors.go, core/error.go, and the ": detail"
    /// forms of core/txpool/validation.go and core/state_transition.go.
    @Test(arguments: [
        ("already known", BroadcastRefusal.alreadyKnown),                                             // core/txpool/errors.go:26
        ("nonce too low", .nonceTooLow),                                                              // core/error.go:47
        ("nonce too low: next nonce 7, tx nonce 5", .nonceTooLow),                                    // core/txpool/validation.go:276
        ("nonce too low: address 0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B, tx: 3 state: 5", .nonceTooLow), // core/state_transition.go:554
        ("replacement transaction underpriced", .replacementUnderpriced),                             // core/txpool/errors.go:38
        ("transaction underpriced", .underpriced),                                                    // core/txpool/errors.go:34
        ("transaction gas price below minimum: gas tip cap 1, minimum needed 1000000", .underpriced), // core/txpool/errors.go:42
        ("max fee per gas less than block base fee: address 0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B, maxFeePerGas: 7, baseFee: 9", .feeCapBelowBaseFee), // core/error.go:102, core/state_transition.go:585
        ("insufficient funds for gas * price + value: balance 0, tx cost 21000000, overshot 21000000", .insufficientFunds), // core/error.go:71, core/txpool/validation.go:291
        ("intrinsic gas too low: gas 20000, minimum needed 21000", .intrinsicGasTooLow),              // core/error.go:78, core/txpool/validation.go:137
        ("exceeds block gas limit", .gasLimitExceeded),                                               // core/txpool/errors.go:50
    ])
    func geth(message: String, refusal: BroadcastRefusal) {
        #expect(Self.refusal(message) == refusal, "\(message)")
    }

    /// Erigon: rpc/jsonrpc/send_transaction.go:61 (erigontech/erigon 00769ff3) answers
    /// `fmt.Errorf("%s: %s", ImportResult_name, reason)`; the import result comes from
    /// mapDiscardReasonToProto (erigon-lib 8936d4e1 txpool/txpool_grpc_server.go:236-248) and the reason
    /// from DiscardReason.String() (txpool/txpoolcfg/txpoolcfg.go:112-148).
    @Test(arguments: [
        ("ALREADY_EXISTS: already known", BroadcastRefusal.alreadyKnown),                 // txpoolcfg.go:112, grpc server :240
        ("INTERNAL_ERROR: nonce too low", .nonceTooLow),                                 // txpoolcfg.go:144, pool.go:818
        ("INTERNAL_ERROR: mined", .nonceTooLow),                                         // txpoolcfg.go:114
        ("FEE_TOO_LOW: replacement transaction underpriced", .replacementUnderpriced),   // txpoolcfg.go:120, pool.go:1248
        ("INTERNAL_ERROR: could not replace existing tx", .replacementUnderpriced),      // txpoolcfg.go:148, pool.go:1268
        ("FEE_TOO_LOW: underpriced", .underpriced),                                      // txpoolcfg.go:118, pool.go:781
        ("FEE_TOO_LOW: fee too low", .underpriced),                                      // txpoolcfg.go:122, pool.go:1287
        ("INTERNAL_ERROR: insufficient funds", .insufficientFunds),                      // txpoolcfg.go:146, pool.go:826
        ("INTERNAL_ERROR: IntrinsicGas", .intrinsicGasTooLow),                           // txpoolcfg.go:140, pool.go:797
    ])
    func erigon(message: String, refusal: BroadcastRefusal) {
        #expect(Self.refusal(message) == refusal, "\(message)")
    }

    /// Nethermind before 2026: Nethermind.TxPool/AcceptTxResult.cs (`new(1, nameof(AlreadyKnown))` … `new(10,
    /// nameof(OldNonce))`, ToString() = "Code" or "Code, Message"), the messages from the filters
    /// (Filters/LowNonceFilter.cs "Current nonce: …", Filters/BalanceTooLowFilter.cs "Account balance: …",
    /// the base-fee filter "MaxFeePerGas too low. …"), sent by EthRpcModule.SendTx with code -32010.
    /// Since 2026 (AcceptTxResult.cs at 030cbd1b) the codes are geth's phrases (TxPoolErrorMessages.cs).
    @Test(arguments: [
        ("AlreadyKnown", BroadcastRefusal.alreadyKnown),
        ("OldNonce", .nonceTooLow),
        ("OldNonce, Current nonce: 5, nonce of rejected tx: 3", .nonceTooLow),
        ("ReplacementNotAllowed", .replacementUnderpriced),
        ("OwnNonceAlreadyUsed", .replacementUnderpriced),
        ("FeeTooLow", .underpriced),
        ("FeeTooLow, MaxFeePerGas too low. MaxFeePerGas: 7, BaseFee: 9, MaxPriorityFeePerGas:1, Block number: 12", .underpriced),
        ("FeeTooLowToCompete", .underpriced),
        ("InsufficientFunds, Account balance: 0, cumulative cost: 21000000", .insufficientFunds),
        ("GasLimitExceeded", .gasLimitExceeded),
        ("already known", .alreadyKnown),                                      // TxPoolErrorMessages.AlreadyKnown
        ("nonce too low, Current nonce: 5, nonce of rejected tx: 3", .nonceTooLow), // TxPoolErrorMessages.NonceTooLow
        ("replacement transaction underpriced", .replacementUnderpriced),
        ("transaction underpriced", .underpriced),
        ("gas limit reached", .gasLimitExceeded),                              // TxPoolErrorMessages.GasLimitReached
    ])
    func nethermind(message: String, refusal: BroadcastRefusal) {
        #expect(Self.refusal(message, code: -32010) == refusal, "\(message)")
    }

    /// Nitro (OffchainLabs/nitro 6dce8d13): execution/gethexec/tx_pre_checker.go:152, :208, :220 (the gas
    /// limit under intrinsic + L1 data gas), arbos/tx_processor.go:548 (poster gas), sequencer.go:1481-1483
    /// (strips the detail "as it's incorrect due to L1 data gas").
    @Test(arguments: [
        ("intrinsic gas too low", BroadcastRefusal.intrinsicGasTooLow),
        ("max fee per gas less than block base fee: address 0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B, maxFeePerGas: 10000000 baseFee: 20000000", .feeCapBelowBaseFee),
        ("max fee per gas less than block base fee: maxFeePerGas: 10000000 baseFee: 20000000", .feeCapBelowBaseFee), // sequencer.go:1343
        ("insufficient funds for gas * price + value: address 0xAb5801a7D398351b8bE11C439e05C5B3259aeC9B have 0 want 2100000000000", .insufficientFunds),
    ])
    func nitro(message: String, refusal: BroadcastRefusal) {
        #expect(Self.refusal(message) == refusal, "\(message)")
    }

    /// reth (paradigmxyz/reth 7b3432d9): crates/rpc/rpc-eth-types/src/error/mod.rs.
    @Test(arguments: [
        ("already known", BroadcastRefusal.alreadyKnown),                                        // mod.rs:1006
        ("transaction underpriced", .underpriced),                                               // mod.rs:1012
        ("replacement transaction underpriced", .replacementUnderpriced),                        // mod.rs:1018
        ("nonce too low: next nonce 7, tx nonce 5", .nonceTooLow),                               // mod.rs:645
        ("insufficient funds for gas * price + value: have 0 want 21000000", .insufficientFunds), // mod.rs:667
        ("intrinsic gas too low", .intrinsicGasTooLow),                                          // mod.rs:689
        ("max fee per gas less than block base fee", .feeCapBelowBaseFee),                       // mod.rs:711
        ("exceeds block gas limit", .gasLimitExceeded),
    ])
    func reth(message: String, refusal: BroadcastRefusal) {
        #expect(Self.refusal(message) == refusal, "\(message)")
    }

    @Test func untakeableAndRepriceableAreSeparate() {
        #expect(BroadcastRefusal.allCases.filter(\.isUntakeable) == [.insufficientFunds, .intrinsicGasTooLow, .gasLimitExceeded])
        #expect(BroadcastRefusal.allCases.filter(\.wantsHigherFees) == [.underpriced, .feeCapBelowBaseFee])
    }

    @Test func otherFailuresAreNotRefusals() {
        #expect(Self.refusal("execution reverted") == nil)
        #expect(Self.refusal("txpool is full") == nil, "a full pool is transient: retried, not remedied")
        #expect(Self.refusal("Invalid") == nil)
        #expect(Self.refusal("INVALID: invalid sender") == nil)
        #expect(Self.refusal("the node says: already known") == nil, "phrases count only at the start")
        #expect(Self.refusal("AlreadyKnownish") == nil, "Nethermind codes are compared whole")
        #expect(Self.refusal("") == nil)
        #expect(RPCError.rpc(code: 3, message: "execution reverted", data: [1]).broadcastRefusal == nil)
        #expect(RPCError.malformed("already known").broadcastRefusal == nil, "only a node's error object counts")
    }

    @Test func anyTextIsSafe() {
        // Whatever a node sends is classified or not, never a crash.
        for text in [":", "::", "INTERNAL_ERROR:", ",", "\u{0}", String(repeating: "é", count: 10_000), "FEE_TOO_LOW:   fee too low  "] {
            _ = Self.refusal(text)
        }
        #expect(Self.refusal("FEE_TOO_LOW:   fee too low") == .underpriced)
    }
}
