import Crypto
import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Indexer
@testable import Keeper

/// The devnode seen from Swift: its wire format, its contract, and the keeper's first reads.
@Suite struct DevnodeWireTests {
    let devnet: Devnet
    let rpc: JSONRPCClient
    let http = HTTPClient()

    init() throws {
        devnet = try Devnet.shared()
        rpc = JSONRPCClient(endpoints: [devnet.rpcURL], retry: .none)
    }

    /// One call as bytes on the wire, answer parsed but not interpreted.
    func raw(_ body: String) async throws -> JSON {
        let response = try await http.send(HTTPRequest(method: .post, url: devnet.rpcURL,
                                                       headers: [("Content-Type", "application/json")], body: Array(body.utf8)))
        #expect(response.status == 200)
        return try JSON(parsing: response.body)
    }

    static func isQuantity(_ json: JSON?) -> Bool {
        guard let text = json?.stringValue, text.hasPrefix("0x"), text.count > 2 else { return false }
        let digits = text.dropFirst(2)
        return digits.allSatisfy(\.isHexDigit) && (digits == "0" || !digits.hasPrefix("0")) && digits.lowercased() == digits
    }

    @Test func quantitiesAreMinimalHex() async throws {
        let answer = try await raw(#"{"jsonrpc":"2.0","id":7,"method":"eth_blockNumber","params":[]}"#)
        #expect(answer["id"] == 7)
        #expect(answer["jsonrpc"] == "2.0")
        #expect(Self.isQuantity(answer["result"]))
        let chain = try await raw(#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#)
        #expect(chain["result"]?.stringValue == "0x" + String(devnet.deployment.chainId, radix: 16))
    }

    @Test func blockHasTheStandardFieldsInCamelCase() async throws {
        let answer = try await raw(#"{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["latest",false]}"#)
        let block = try #require(answer["result"]?.objectValue)
        for field in ["number", "hash", "parentHash", "nonce", "sha3Uncles", "logsBloom", "transactionsRoot", "stateRoot",
                      "receiptsRoot", "miner", "difficulty", "extraData", "size", "gasLimit", "gasUsed", "timestamp",
                      "transactions", "uncles", "baseFeePerGas"] {
            #expect(block[field] != nil, "block lacks \(field)")
        }
        #expect(!block.keys.contains { $0.contains("_") }, "snake_case field in \(block.keys.sorted())")
        for field in ["number", "gasLimit", "gasUsed", "timestamp", "baseFeePerGas"] {
            #expect(Self.isQuantity(block[field]), "\(field) = \(String(describing: block[field]))")
        }
        let header = try #require(try await rpc.block(.latest))
        #expect(try await rpc.block(hash: header.hash) == header)
        #expect(try await rpc.block(.number(header.number)) == header)
        let genesis = try #require(try await rpc.block(.earliest))
        #expect(genesis.number == 0)
        #expect(header.parentHash != Hash.zero)
    }

    @Test func unknownHashesAnswerNull() async throws {
        let unknown = "0x" + String(repeating: "ab", count: 32)
        for method in ["eth_getTransactionReceipt", "eth_getTransactionByHash"] {
            let answer = try await raw(#"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":["\#(unknown)"]}"#)
            #expect(answer["result"] == .null, "\(method)")
            #expect(answer["error"] == nil)
        }
        #expect(try await rpc.block(hash: try Hash(hex: unknown)) == nil)
        #expect(try await rpc.block(.number(1_000_000)) == nil)
    }

    @Test func standardErrorCodes() async throws {
        #expect(try await raw("{not json")["error"]?["code"] == -32700)
        #expect(try await raw(#"{"jsonrpc":"2.0","id":1,"method":"eth_noSuchMethod","params":[]}"#)["error"]?["code"] == -32601)
        #expect(try await raw(#"{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["nonsense"]}"#)["error"]?["code"] == -32602)
        #expect(try await raw(#"[]"#)["error"]?["code"] == -32600)
    }

    @Test func revertIsAnErrorObjectWithDecodableData() async throws {
        // executePayout from someone who is not the keeper reverts with Error(string).
        let contract = try Address(hex: devnet.deployment.contract)
        let data = try LeverageGuardContract.executePayout.encodeCall([.address(try Address(hex: devnet.deployment.users[0].address)), .uint(1)])
        let error = await #expect(throws: RPCError.self) {
            _ = try await self.rpc.call(CallRequest(from: try Address(hex: self.devnet.deployment.users[1].address), to: contract, data: data))
        }
        guard case .rpc(let code, let message, let revert)? = error else { Issue.record("expected an RPC error"); return }
        #expect(code == 3)
        #expect(message.hasPrefix("execution reverted"))
        let reason = ContractABI(functions: LeverageGuardContract.functions).decodeRevert(try #require(revert))
        #expect("\(reason)".contains("not keeper"), "decoded revert: \(reason)")
    }

    @Test func batchAnswersEveryCall() async throws {
        let results = try await rpc.batch([RPCRequest("eth_chainId"), RPCRequest("eth_noSuchMethod"), RPCRequest("net_version")])
        #expect(try WireFormat.uint64(results[0].get(), "chainId") == devnet.deployment.chainId)
        #expect(throws: RPCError.self) { try results[1].get() }
        #expect(try results[2].get().stringValue == String(devnet.deployment.chainId))
    }

    @Test func contractIsDeployedAndFunded() async throws {
        let contract = try Address(hex: devnet.deployment.contract)
        #expect(try await rpc.code(at: contract).count > 100)
        #expect(try await rpc.balance(of: contract) > UInt256.zero)
        #expect(try await rpc.chainID() == devnet.deployment.chainId)
    }

    @Test func probeReadsAClaimRequestedByAUser() async throws {
        let orderID = "\(UInt64.random(in: 1...UInt64.max / 2))"
        let output = try ReferencePython.runDevnetScript("request_claim.py", [
            "--deployment", devnet.deploymentFile, "--user", "2", "--order-id", orderID, "--inst-id", "ETH-USDT-SWAP",
            "--principal", "1500000000000000000", "--leverage", "25",
        ])
        #expect(!output.isEmpty)
        let probe = try await ChainProbe.run(rpc: rpc, contract: try Address(hex: devnet.deployment.contract),
                                             fromBlock: devnet.deployment.deployBlock)
        let request = try #require(probe.claimRequests.first { $0.orderID.description == orderID })
        #expect(request.user == (try Address(hex: devnet.deployment.users[2].address)))
        #expect(request.instrument == "ETH-USDT-SWAP")
        #expect(request.principal == (try UInt256(decimal: "1500000000000000000")))
        #expect(request.leverage == UInt256(25))
        #expect(try probe.poolAsset.get() == PoolAsset(token: nil, symbol: nil, decimals: 18), "the shared devnode's pool pays in ETH")
    }
}
