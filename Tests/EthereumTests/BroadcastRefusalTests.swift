import Testing
@testable import Ethereum

/// `eth_sendRawTransaction` refusals are recognised from geth's wording (core/txpool/errors.go) and
/// the variants other clients use; anything else is not a refusal the keeper may resolve by receipts.
@Suite struct BroadcastRefusalTests {
    @Test(arguments: [
        ("already known", BroadcastRefusal.alreadyKnown),
        ("known transaction: 0xabc", .alreadyKnown),
        ("nonce too low: address 0xAb, tx: 3 state: 5", .nonceTooLow),
        ("Nonce too low", .nonceTooLow),
        ("replacement transaction underpriced", .replacementUnderpriced),
    ])
    func gethWordingIsRecognised(message: String, refusal: BroadcastRefusal) {
        #expect(RPCError.rpc(code: -32000, message: message, data: nil).broadcastRefusal == refusal)
    }

    @Test func otherFailuresAreNotRefusals() {
        #expect(RPCError.rpc(code: -32000, message: "insufficient funds for gas * price + value", data: nil).broadcastRefusal == nil)
        #expect(RPCError.rpc(code: 3, message: "execution reverted", data: [1]).broadcastRefusal == nil)
        #expect(RPCError.malformed("already known").broadcastRefusal == nil, "only a node's error object counts")
    }
}
