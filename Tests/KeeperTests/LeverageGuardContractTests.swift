import Foundation
import Testing
import Wire
@testable import Ethereum
@testable import Keeper
import Indexer

/// The batch members of LeverageGuardContract against known answers from eth-abi.
///
/// Every expected hex below was produced with the devnet's venv (eth-abi 5, eth-utils):
///
///     from eth_abi import encode; from eth_utils import keccak
///     A, B = "0x" + "11" * 20, "0x" + "22" * 20
///     V = "(address,uint256,uint256,bool,bytes32)[]"
///     items = [(A, 7, 5_000_000, True, b"\x5a" * 32), (B, 2**200 + 1, 0, False, b"\0" * 31 + b"\1")]
///     call = lambda sig, types, args: "0x" + (keccak(text=sig)[:4] + encode(types, args)).hex()
///     call("verifyPayoutBatch(" + V + ")", [V], [items])
///     call("executePayoutBatch((address,uint256)[])", ["(address,uint256)[]"], [[(A, 7), (B, 2**200 + 1)]])
///
/// and likewise for the others; the PayoutSkipped data is `encode(["uint8", "string"], [2, "daily limit"])`.
@Suite struct LeverageGuardContractTests {
    static let a = Address(unchecked: [UInt8](repeating: 0x11, count: 20))
    static let b = Address(unchecked: [UInt8](repeating: 0x22, count: 20))
    static let big = try! UInt256(hex: "0x100000000000000000000000000000000000000000000000001")  // 2^200 + 1

    static func hex(_ bytes: [UInt8]) -> String { "0x" + bytes.map { String(format: "%02x", $0) }.joined() }

    static var verdicts: ABIValue {
        .array([
            .tuple([.address(a), .uint(UInt256(7)), .uint(UInt256(5_000_000)), .bool(true), .fixedBytes([UInt8](repeating: 0x5a, count: 32))]),
            .tuple([.address(b), .uint(big), .uint(UInt256(0)), .bool(false), .fixedBytes([UInt8](repeating: 0, count: 31) + [1])]),
        ])
    }

    static let verdictsBody = "0000000000000000000000000000000000000000000000000000000000000020"
        + "0000000000000000000000000000000000000000000000000000000000000002"
        + "0000000000000000000000001111111111111111111111111111111111111111"
        + "0000000000000000000000000000000000000000000000000000000000000007"
        + "00000000000000000000000000000000000000000000000000000000004c4b40"
        + "0000000000000000000000000000000000000000000000000000000000000001"
        + "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"
        + "0000000000000000000000002222222222222222222222222222222222222222"
        + "0000000000000100000000000000000000000000000000000000000000000001"
        + "0000000000000000000000000000000000000000000000000000000000000000"
        + "0000000000000000000000000000000000000000000000000000000000000000"
        + "0000000000000000000000000000000000000000000000000000000000000001"

    @Test func verdictBatchesEncodeAsEthABIDoes() throws {
        let verify = try LeverageGuardContract.verifyPayoutBatch.encodeCall([Self.verdicts])
        #expect(Self.hex(verify) == "0xd8255371" + Self.verdictsBody)
        let verifyAndPay = try LeverageGuardContract.verifyAndPayBatch.encodeCall([Self.verdicts])
        #expect(Self.hex(verifyAndPay) == "0x5799e77a" + Self.verdictsBody)
        #expect(try LeverageGuardContract.verifyAndPayBatch.decodeCall(verifyAndPay) == [Self.verdicts])
    }

    @Test func executePayoutBatchEncodesAsEthABIDoes() throws {
        let keys = ABIValue.array([.tuple([.address(Self.a), .uint(UInt256(7))]), .tuple([.address(Self.b), .uint(Self.big)])])
        let call = try LeverageGuardContract.executePayoutBatch.encodeCall([keys])
        #expect(Self.hex(call) == "0xc9c25151"
            + "0000000000000000000000000000000000000000000000000000000000000020"
            + "0000000000000000000000000000000000000000000000000000000000000002"
            + "0000000000000000000000001111111111111111111111111111111111111111"
            + "0000000000000000000000000000000000000000000000000000000000000007"
            + "0000000000000000000000002222222222222222222222222222222222222222"
            + "0000000000000100000000000000000000000000000000000000000000000001")
        let empty = try LeverageGuardContract.executePayoutBatch.encodeCall([.array([])])
        #expect(Self.hex(empty) == "0xc9c25151"
            + "0000000000000000000000000000000000000000000000000000000000000020"
            + "0000000000000000000000000000000000000000000000000000000000000000")
    }

    @Test func verifyAndPayEncodesAsEthABIDoes() throws {
        let call = try LeverageGuardContract.verifyAndPay.encodeCall([
            .address(Self.a), .uint(UInt256(7)), .uint(UInt256(5_000_000)), .bool(true), .fixedBytes([UInt8](repeating: 0x5a, count: 32)),
        ])
        #expect(Self.hex(call) == "0x9b95194e"
            + "0000000000000000000000001111111111111111111111111111111111111111"
            + "0000000000000000000000000000000000000000000000000000000000000007"
            + "00000000000000000000000000000000000000000000000000000000004c4b40"
            + "0000000000000000000000000000000000000000000000000000000000000001"
            + "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a")
    }

    /// A PayoutSkipped log is indexed as an event row like the others, with its claim key.
    @Test func payoutSkippedIsIndexedWithItsClaimKey() throws {
        let topic0 = "0x64bd9a8e61adc68b6a26e57cf57f51549a40c0ed07bbfb01397af6e5d9011a95"  // keccak("PayoutSkipped(address,uint256,uint8,string)")
        #expect(LeverageGuardContract.payoutSkipped.topic0.description == topic0)
        #expect(LeverageGuardContract.eventsByTopic[LeverageGuardContract.payoutSkipped.topic0] == LeverageGuardContract.payoutSkipped)
        let data = "0x0000000000000000000000000000000000000000000000000000000000000002"
            + "0000000000000000000000000000000000000000000000000000000000000040"
            + "000000000000000000000000000000000000000000000000000000000000000b"
            + "6461696c79206c696d6974000000000000000000000000000000000000000000"
        let log = try Log(json: [
            "address": .string("0x" + String(repeating: "c0", count: 20)),
            "topics": [.string(topic0), .string("0x" + String(repeating: "0", count: 24) + String(repeating: "11", count: 20)),
                       .string("0x" + String(repeating: "0", count: 63) + "7")],
            "data": .string(data), "blockNumber": "0xa", "blockHash": .string("0x" + String(repeating: "ab", count: 32)),
            "transactionHash": .string("0x" + String(repeating: "cd", count: 32)), "transactionIndex": "0x0", "logIndex": "0x1", "removed": false,
        ])
        let event = try IndexedEvent(log: log)
        #expect(event.name == "PayoutSkipped")
        #expect(event.user == "0x" + String(repeating: "11", count: 20))
        #expect(event.orderID == "7")
        #expect(event.claim == nil)
        #expect(event.data == #"{"action":"2","orderId":"7","reason":"daily limit","user":"0x1111111111111111111111111111111111111111"}"#)
    }
}
