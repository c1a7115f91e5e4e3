import Testing
import Foundation
import Crypto
import TestSupport
@testable import Ethereum

@Suite struct ContractABITests {
    /// The shape of the keeper's contract (DESIGN §3) plus a struct-returning view, a custom
    /// error, an anonymous event and an overload, as solc writes JSON ABIs.
    static let json = #"""
    [
      {"type":"constructor","inputs":[{"name":"keeper","type":"address"}],"stateMutability":"nonpayable"},
      {"type":"function","name":"requestClaim","stateMutability":"nonpayable","outputs":[],
       "inputs":[{"name":"orderId","type":"uint256"},{"name":"instId","type":"string"},{"name":"principal","type":"uint256"},{"name":"leverage","type":"uint16"}]},
      {"type":"function","name":"verifyPayout","stateMutability":"nonpayable","outputs":[],
       "inputs":[{"name":"user","type":"address"},{"name":"orderId","type":"uint256"},{"name":"amount","type":"uint256"},{"name":"liquidated","type":"bool"},{"name":"evidenceRoot","type":"bytes32"}]},
      {"type":"function","name":"getPayoutRecord","stateMutability":"view",
       "inputs":[{"name":"user","type":"address"},{"name":"orderId","type":"uint256"}],
       "outputs":[{"name":"orderId","type":"uint256"},{"name":"amount","type":"uint256"},{"name":"verified","type":"bool"},{"name":"claimed","type":"bool"}]},
      {"type":"function","name":"claimsOf","stateMutability":"view",
       "inputs":[{"name":"user","type":"address"}],
       "outputs":[{"name":"","type":"tuple[]","internalType":"struct Claim[]","components":[
          {"name":"orderId","type":"uint256"},{"name":"instId","type":"string"},{"name":"flags","type":"bool[2]"}]}]},
      {"type":"function","name":"deposit","stateMutability":"payable","inputs":[],"outputs":[]},
      {"type":"function","name":"paidToday","constant":true,"inputs":[],"outputs":[{"name":"","type":"uint256"}]},
      {"type":"function","name":"withdraw","stateMutability":"nonpayable","inputs":[{"name":"amount","type":"uint256"}],"outputs":[]},
      {"type":"function","name":"withdraw","stateMutability":"nonpayable","inputs":[{"name":"to","type":"address"},{"name":"amount","type":"uint256"}],"outputs":[]},
      {"type":"event","name":"ClaimRequested","anonymous":false,"inputs":[
          {"name":"user","type":"address","indexed":true},{"name":"orderId","type":"uint256","indexed":true},
          {"name":"instId","type":"string","indexed":false},{"name":"principal","type":"uint256","indexed":false},{"name":"leverage","type":"uint16","indexed":false}]},
      {"type":"event","name":"PayoutVerified","anonymous":false,"inputs":[
          {"name":"user","type":"address","indexed":true},{"name":"orderId","type":"uint256","indexed":true},
          {"name":"amount","type":"uint256","indexed":false},{"name":"liquidated","type":"bool","indexed":false},{"name":"evidenceRoot","type":"bytes32","indexed":false}]},
      {"type":"event","name":"Tagged","anonymous":false,"inputs":[
          {"name":"tag","type":"string","indexed":true},{"name":"pair","type":"tuple","indexed":true,"components":[{"name":"a","type":"uint256"},{"name":"b","type":"string"}]},
          {"name":"value","type":"int16","indexed":false}]},
      {"type":"event","name":"Raw","anonymous":true,"inputs":[{"name":"who","type":"address","indexed":true},{"name":"n","type":"uint8","indexed":false}]},
      {"type":"error","name":"InsufficientPool","inputs":[{"name":"needed","type":"uint256"},{"name":"available","type":"uint256"}]},
      {"type":"error","name":"AlreadyClaimed","inputs":[]},
      {"type":"receive","stateMutability":"payable"}
    ]
    """#

    static let abi: ContractABI = {
        do { return try ContractABI(json: Data(json.utf8)) } catch { return ContractABI() }
    }()

    @Test func loadsMembers() throws {
        let abi = try ContractABI(json: Data(Self.json.utf8))
        #expect(abi.functions.map(\.name) == ["requestClaim", "verifyPayout", "getPayoutRecord", "claimsOf", "deposit", "paidToday", "withdraw", "withdraw"])
        #expect(abi.events.map(\.name) == ["ClaimRequested", "PayoutVerified", "Tagged", "Raw"])
        #expect(abi.errors.map(\.signature) == ["InsufficientPool(uint256,uint256)", "AlreadyClaimed()"])
        #expect(try abi.function("verifyPayout").signature == "verifyPayout(address,uint256,uint256,bool,bytes32)")
        #expect(try abi.function("claimsOf").outputs[0].type.canonicalName == "(uint256,string,bool[2])[]")
        #expect(try abi.function("claimsOf").outputs[0].components.map(\.name) == ["orderId", "instId", "flags"])
        #expect(try abi.function("deposit").stateMutability == .payable)
        #expect(try abi.function("paidToday").stateMutability == .view)
        #expect(try abi.event("Tagged").signature == "Tagged(string,(uint256,string),int16)")
        expectError(.abiUnknownMember) { try abi.function("withdraw") }
        #expect(try abi.function("withdraw(address,uint256)").inputs.count == 2)
        expectError(.abiUnknownMember) { try abi.function("nope") }
        // A build artifact wrapping the ABI loads the same.
        let artifact = try ContractABI(json: Data(#"{"contractName":"X","abi":\#(Self.json)}"#.utf8))
        #expect(artifact == abi)
    }

    /// Selectors, topics and an eth-abi-encoded log against eth-utils / eth-abi, in one Python run.
    @Test func selectorsTopicsAndLogsMatchReference() throws {
        let abi = try ContractABI(json: Data(Self.json.utf8))
        let signatures = abi.functions.map(\.signature) + abi.errors.map(\.signature)
        let events = abi.events.map(\.signature)
        let script = """
        import json, sys
        from eth_utils import function_signature_to_4byte_selector, event_signature_to_log_topic
        from eth_abi import encode
        req = json.load(sys.stdin)
        data = encode(['string', 'uint256', 'uint16'], ['BTC-USDT-SWAP', 12345 * 10**18, 20])
        print(json.dumps({
            'selectors': [function_signature_to_4byte_selector(s).hex() for s in req['functions']],
            'topics': ['0x' + event_signature_to_log_topic(s).hex() for s in req['events']],
            'data': data.hex()}))
        """
        let answer = try jsonObject(try ReferencePython.run(script, stdin: try jsonText(["functions": signatures, "events": events]))) as? [String: Any] ?? [:]
        #expect(answer["selectors"] as? [String] == (abi.functions.map(\.selector) + abi.errors.map(\.selector)).map { Hex.encode($0) })
        #expect(answer["topics"] as? [String] == abi.events.map(\.topic0.description))

        let user = try Address(hex: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")
        let topics = [try abi.event("ClaimRequested").topic0, Hash(unchecked: user.word), Hash(UInt256(77))]
        let log = try abi.decodeLog(topics: topics, data: hex(answer["data"] as? String ?? ""))
        #expect(log.event.name == "ClaimRequested")
        #expect(try log.value("user") == .address(user))
        #expect(try log.value("orderId") == .uint(77))
        #expect(try log.value("instId") == .string("BTC-USDT-SWAP"))
        #expect(try log.value("principal").asUInt() == UInt256(decimal: "12345000000000000000000"))
        #expect(try log.value("leverage") == .uint(20))
        expectError(.abiUnknownMember) { try log.value("missing") }
    }

    @Test func indexedDynamicValuesComeBackAsTheirHash() throws {
        let event = try Self.abi.event("Tagged")
        let pair = ABIValue.tuple([.uint(1), .string("ab")])
        let tagTopic = try ABI.topic(for: .string("hello"), as: .string)
        let pairTopic = try ABI.topic(for: pair, as: .tuple([.uint(256), .string]))
        // Spec "Encoding of Indexed Event Parameters": strings hash their bytes alone; struct
        // members are concatenated, each padded to 32 bytes, without lengths or offsets.
        #expect(tagTopic == Hash.keccak256(Array("hello".utf8)))
        #expect(pairTopic == Hash.keccak256(UInt256(1).bytes + Array("ab".utf8) + [UInt8](repeating: 0, count: 30)))
        let log = try event.decodeLog(topics: [event.topic0, tagTopic, pairTopic], data: try ABI.encode([.int(-2)], as: [.int(16)]))
        #expect(log["tag"] == .hashed(tagTopic))
        #expect(log["pair"] == .hashed(pairTopic))
        #expect(log["value"] == .value(.int(-2)))
        expectError(.abiTypeMismatch) { try log.value("tag") }
        // Value types are stored as their word.
        #expect(try ABI.topic(for: .uint(5), as: .uint(256)) == Hash(UInt256(5)))
        #expect(try ABI.topic(for: .int(-1), as: .int(8)) == Hash(UInt256.max))
    }

    @Test func logShapeIsChecked() throws {
        let abi = Self.abi
        let event = try abi.event("ClaimRequested")
        let data = try ABI.encode([.string("x"), .uint(1), .uint(2)], as: [.string, .uint(256), .uint(16)])
        let user = Hash(unchecked: Address.zero.word)
        expectError(.abiInvalidLog) { try event.decodeLog(topics: [event.topic0, user], data: data) }
        expectError(.abiInvalidLog) { try event.decodeLog(topics: [Hash.zero, user, Hash(UInt256(1))], data: data) }
        expectError(.abiUnknownMember) { try abi.decodeLog(topics: [Hash.zero], data: data) }
        expectError(.abiUnknownMember) { try abi.decodeLog(topics: [], data: data) }
        // A dirty address topic is refused like dirty ABI data.
        expectError(.abiValueOutOfRange) { try event.decodeLog(topics: [event.topic0, Hash(UInt256.max), Hash(UInt256(1))], data: data) }
        // uint16 data out of range.
        let wide = try ABI.encode([.string("x"), .uint(1), .uint(70000)], as: [.string, .uint(256), .uint(256)])
        expectError(.abiValueOutOfRange) { try event.decodeLog(topics: [event.topic0, user, Hash(UInt256(1))], data: wide) }
        // Anonymous events have no topic0.
        let raw = try abi.event("Raw")
        let decoded = try raw.decodeLog(topics: [user], data: ABI.encode([.uint(9)], as: [.uint(8)]))
        #expect(try decoded.value("who") == .address(.zero))
        #expect(try decoded.value("n") == .uint(9))
    }

    @Test func callsAndOutputs() throws {
        let abi = Self.abi
        let user = try Address(hex: "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359")
        let calldata = try abi.encodeCall("getPayoutRecord", [.address(user), .uint(42)])
        #expect(Array(calldata.prefix(4)) == ABI.selector("getPayoutRecord(address,uint256)"))
        #expect(calldata.count == 4 + 64)
        #expect(abi.function(selector: calldata.prefix(4))?.name == "getPayoutRecord")
        #expect(try abi.function("getPayoutRecord").decodeCall(calldata) == [.address(user), .uint(42)])
        let output = try ABI.encode([.uint(42), .uint(1000), .bool(true), .bool(false)], as: [.uint(256), .uint(256), .bool, .bool])
        #expect(try abi.decodeOutput("getPayoutRecord", from: output) == [.uint(42), .uint(1000), .bool(true), .bool(false)])
        let claims = ABIValue.array([.tuple([.uint(1), .string("ETH-USDT"), .array([.bool(true), .bool(false)])])])
        let claimsOutput = try ABI.encode([claims], as: [try ABIType("(uint256,string,bool[2])[]")])
        #expect(try abi.decodeOutput("claimsOf", from: claimsOutput) == [claims])
        expectError(.abiTypeMismatch) { try abi.encodeCall("getPayoutRecord", [.address(user)]) }
        expectError(.abiUnknownMember) { try abi.function("getPayoutRecord").decodeCall([0, 0, 0, 0]) }
    }

    @Test func revertReasons() throws {
        // Solidity docs, "Panic via assert and Error via require": revert("Not enough Ether provided.").
        let error = hex("0x08c379a0"
            + "0000000000000000000000000000000000000000000000000000000000000020"
            + "000000000000000000000000000000000000000000000000000000000000001a"
            + "4e6f7420656e6f7567682045746865722070726f76696465642e000000000000")
        #expect(RevertReason(data: error) == .error("Not enough Ether provided."))
        #expect(RevertReason(data: error).description == "reverted: Not enough Ether provided.")

        let panic = RevertReason.panicSelector + UInt256(0x11).bytes
        #expect(RevertReason(data: panic) == .panic(code: 0x11))
        #expect(RevertReason(data: panic).description == "panic 0x11: arithmetic overflow or underflow")
        #expect(RevertReason.panicMeaning(0x12) == "division or modulo by zero")
        #expect(RevertReason.panicMeaning(0x32) == "array index out of bounds")
        #expect(RevertReason.panicMeaning(0x01) == "assert(false)")
        #expect(RevertReason.panicMeaning(0x99) == "unknown panic code")

        let pool = Self.abi.errors[0]
        let custom = pool.selector + (try ABI.encode([.uint(10), .uint(3)], as: [.uint(256), .uint(256)]))
        #expect(Self.abi.decodeRevert(custom) == .custom(pool, [.uint(10), .uint(3)]))
        #expect(Self.abi.decodeRevert(custom).description == "reverted with InsufficientPool(10, 3)")
        #expect(Self.abi.decodeRevert(Self.abi.errors[1].selector) == .custom(Self.abi.errors[1], []))
        // Without the ABI, or with a malformed payload, the data is kept raw.
        #expect(RevertReason(data: custom) == .raw(custom))
        #expect(RevertReason(data: Array(error.prefix(40))) == .raw(Array(error.prefix(40))))
        #expect(RevertReason(data: [UInt8]()) == .empty)
        #expect(RevertReason(data: [0x08, 0xC3]) == .raw([0x08, 0xC3]))
    }

    @Test func malformedJSONIsRefusedWithTheMemberNamed() {
        expectError(.abiInvalidJSON) { try ContractABI(json: Data("not json".utf8)) }
        expectError(.abiInvalidJSON) { try ContractABI(json: Data(#"[{"type":"function","inputs":[]}]"#.utf8)) }
        expectError(.abiInvalidJSON) { try ContractABI(json: Data(#"[{"type":"wat","name":"x"}]"#.utf8)) }
        expectError(.abiInvalidJSON) { try ContractABI(json: Data(#"[{"type":"function","name":"f","stateMutability":"sometimes","inputs":[]}]"#.utf8)) }
        do {
            _ = try ContractABI(json: Data(#"[{"type":"function","name":"f","inputs":[{"name":"x","type":"uint7"}]}]"#.utf8))
            Issue.record("accepted uint7")
        } catch {
            #expect(error.code == .abiInvalidType)
            #expect(error.message.contains("f, parameter \"x\""))
        }
        expectError(.abiInvalidType) { try ContractABI(json: Data(#"[{"type":"event","name":"E","inputs":[{"name":"t","type":"tuple"}]}]"#.utf8)) }
        expectError(.abiInvalidType) { try ContractABI(json: Data(#"[{"type":"event","name":"E","inputs":[{"name":"t","type":"uint256","components":[{"name":"a","type":"bool"}]}]}]"#.utf8)) }
    }
}
