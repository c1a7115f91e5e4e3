import Crypto
import Indexer
import Keeper
import Wire

/// Answers the JSON-RPC calls the keeper's log follower makes (eth_chainId, eth_blockNumber,
/// eth_getBlockByNumber by number or tag, eth_getLogs by range and address, batches of them) from
/// a `LogCorpus`, rendering each answer straight into bytes.
struct RPCRenderer: Sendable {
    let corpus: LogCorpus
    /// Refuse an eth_getLogs answer above this many logs the way Infura/Alchemy do (nil: never).
    let maximumResults: Int?
    private let topics: [Word256]
    private let contractHex: String

    init(corpus: LogCorpus, maximumResults: Int? = nil) {
        self.corpus = corpus
        self.maximumResults = maximumResults
        topics = LogCorpus.Kind.allCases.map(\.topic0)
        contractHex = corpus.contract.hex
    }

    /// Renders the answer to one request body (a call or a batch) into `out`.
    func answer(_ body: [UInt8], into out: inout ByteWriter) {
        let document: JSON
        do { document = try JSON(parsing: body) } catch {
            out.literal(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}"#)
            return
        }
        if case .array(let calls) = document {
            out.byte(UInt8(ascii: "["))
            for (offset, call) in calls.enumerated() {
                if offset > 0 { out.byte(UInt8(ascii: ",")) }
                answer(call: call, into: &out)
            }
            out.byte(UInt8(ascii: "]"))
        } else {
            answer(call: document, into: &out)
        }
    }

    private func answer(call: JSON, into out: inout ByteWriter) {
        out.literal(#"{"jsonrpc":"2.0","id":"#)
        let id = call["id"] ?? .null
        for byte in id.serialized() { out.byte(byte) }
        let params = call["params"]?.arrayValue ?? []
        switch call["method"]?.stringValue ?? "" {
        case "eth_chainId":
            out.literal(#","result":""#); out.quantity(corpus.chainID); out.literal(#""}"#)
        case "net_version":
            out.literal(#","result":""#); out.decimal(corpus.chainID); out.literal(#""}"#)
        case "eth_blockNumber":
            out.literal(#","result":""#); out.quantity(corpus.head); out.literal(#""}"#)
        case "eth_getBlockByNumber":
            guard let tag = params.first, let number = block(tag) else { return invalid("bad block tag", into: &out) }
            out.literal(#","result":"#)
            if number <= corpus.head { header(number, into: &out) } else { out.literal("null") }
            out.literal("}")
        case "eth_getLogs":
            logs(params.first, into: &out)
        case "eth_getCode":
            // The keeper's start-up check wants code at chain.contract (issue 14): a stand-in, not LeverageGuard's.
            out.literal(#","result":"0x6000"}"#)
        case "eth_call":
            // Its views answered as a fresh LeverageGuard answers them: all zero, one word each, getClaim eight.
            let data = call["params"]?[0]?["data"]?.stringValue ?? call["params"]?[0]?["input"]?.stringValue ?? ""
            let words = data.lowercased().hasPrefix(Self.getClaimSelector) ? 8 : 1
            out.literal(#","result":"0x"#)
            for _ in 0..<(64 * words) { out.byte(UInt8(ascii: "0")) }
            out.literal(#""}"#)
        default:
            out.literal(#","error":{"code":-32601,"message":"the method does not exist"}}"#)
        }
    }

    static let getClaimSelector = "0x" + Hex.encode(LeverageGuardContract.getClaim.selector)

    private func invalid(_ message: StaticString, into out: inout ByteWriter) {
        out.literal(#","error":{"code":-32602,"message":""#); out.literal(message); out.literal(#""}}"#)
    }

    /// A block tag or number; every tag names the head (the replay chain is final as served).
    private func block(_ tag: JSON) -> UInt64? {
        guard let text = tag.stringValue else { return nil }
        switch text {
        case "latest", "finalized", "safe", "pending": return corpus.head
        case "earliest": return 0
        default:
            guard text.hasPrefix("0x"), text.count > 2 else { return nil }
            return UInt64(text.dropFirst(2), radix: 16)
        }
    }

    private func logs(_ filter: JSON?, into out: inout ByteWriter) {
        guard let filter, case .object = filter else { return invalid("eth_getLogs needs a filter object", into: &out) }
        guard filter["blockHash"] == nil else { return invalid("blockHash filters are not supported by the replay server", into: &out) }
        guard let from = filter["fromBlock"].map(block) ?? corpus.head, let to = filter["toBlock"].map(block) ?? corpus.head else {
            return invalid("bad fromBlock or toBlock", into: &out)
        }
        var wanted = true
        if let address = filter["address"] {
            let list = address.arrayValue ?? [address]
            wanted = list.contains { $0.stringValue?.lowercased() == contractHex }
        }
        var kinds = Set(LogCorpus.Kind.allCases)
        if let first = filter["topics"]?.arrayValue?.first, !first.isNull {
            let alternatives = (first.arrayValue ?? [first]).compactMap { $0.stringValue?.lowercased() }
            kinds = kinds.filter { alternatives.contains(topics[$0.rawValue].hex) }
        }
        let last = min(to, corpus.head)
        if let maximumResults, wanted, from <= last, corpus.logCount(in: from...last) > maximumResults {
            let end = corpus.lastBlock(from: from, holdingAtMost: maximumResults) ?? from
            out.literal(#","error":{"code":-32005,"message":"query returned more than "#)
            out.decimal(UInt64(maximumResults))
            out.literal(#" results. Try with this block range ["#)
            out.quantity(from); out.literal(", "); out.quantity(end); out.literal(#"]."}}"#)
            return
        }
        out.literal(#","result":["#)
        if wanted, from <= last {
            var first = true
            for number in from...last {
                for index in 0..<corpus.logCount(inBlock: number) {
                    let entry = corpus.entry(block: number, logIndex: index)
                    guard kinds.count == 4 || kinds.contains(entry.kind) else { continue }
                    if !first { out.byte(UInt8(ascii: ",")) }
                    first = false
                    log(entry, into: &out)
                }
            }
        }
        out.literal("]}")
    }

    /// One log, with the fields and order of a Geth answer.
    func log(_ entry: LogCorpus.Entry, into out: inout ByteWriter) {
        let user = corpus.users[entry.user]
        out.literal(#"{"address":""#); out.hex(corpus.contract)
        out.literal(#"","topics":[""#); out.hex(topics[entry.kind.rawValue])
        out.literal(#"","0x000000000000000000000000"#); out.hexBody(user)
        if entry.kind != .fundsDeposited {
            out.literal(#"","0x"#); out.abiWord(entry.orderID)
        }
        out.literal(#""],"data":"0x"#)
        switch entry.kind {
        case .claimRequested:
            // (string instId, uint256 principal, uint16 leverage): head of three words, then the string.
            let instrument = LogCorpus.instruments[entry.instrument]
            out.abiWord(0x60); out.abiWord(entry.amount); out.abiWord(entry.leverage)
            out.abiWord(UInt64(instrument.utf8.count))
            var padded = 0
            for byte in instrument.utf8 {
                out.hexWord(UInt64(byte), digits: 2)
                padded += 1
            }
            while padded % 32 != 0 { out.literal("00"); padded += 1 }
        case .payoutVerified:
            out.abiWord(entry.amount); out.abiWord(entry.liquidated ? 1 : 0); out.hexBody(entry.evidenceRoot)
        case .payoutExecuted, .fundsDeposited:
            out.abiWord(entry.amount)
        }
        out.literal(#"","blockNumber":""#); out.quantity(entry.block)
        out.literal(#"","transactionHash":""#); out.hex(corpus.transactionHash(block: entry.block, index: entry.transactionIndex))
        out.literal(#"","transactionIndex":""#); out.quantity(UInt64(entry.transactionIndex))
        out.literal(#"","blockHash":""#); out.hex(corpus.blockHash(entry.block))
        out.literal(#"","logIndex":""#); out.quantity(UInt64(entry.logIndex))
        out.literal(#"","removed":false}"#)
    }

    /// A header as Geth answers eth_getBlockByNumber(n, false): transaction hashes, no bodies.
    func header(_ number: UInt64, into out: inout ByteWriter) {
        let count = corpus.logCount(inBlock: number)
        let parent = number == 0 ? Word256.zero : corpus.blockHash(number - 1)
        let roots = Word256(seed: corpus.seed, domain: 0x12, index: number)
        out.literal(#"{"baseFeePerGas":"0x7","difficulty":"0x0","extraData":"0x","gasLimit":"0x1c9c380","gasUsed":""#)
        out.quantity(UInt64(count) * 60_000)
        out.literal(#"","hash":""#); out.hex(corpus.blockHash(number))
        out.literal(#"","logsBloom":"0x"#)
        for _ in 0..<16 { out.literal("00000000000000000000000000000000") }
        out.literal(#"","miner":"0x0000000000000000000000000000000000000000","mixHash":""#); out.hex(roots)
        out.literal(#"","nonce":"0x0000000000000000","number":""#); out.quantity(number)
        out.literal(#"","parentHash":""#); out.hex(parent)
        out.literal(#"","receiptsRoot":""#); out.hex(Word256(w0: roots.w1, w1: roots.w2, w2: roots.w3, w3: roots.w0))
        out.literal(#"","sha3Uncles":"0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347","size":""#)
        out.quantity(UInt64(600 + 110 * count))
        out.literal(#"","stateRoot":""#); out.hex(Word256(w0: roots.w2, w1: roots.w3, w2: roots.w0, w3: roots.w1))
        out.literal(#"","timestamp":""#); out.quantity(corpus.timestamp(number))
        out.literal(#"","totalDifficulty":"0x0","transactions":["#)
        for index in 0..<count {
            if index > 0 { out.byte(UInt8(ascii: ",")) }
            out.byte(UInt8(ascii: "\"")); out.hex(corpus.transactionHash(block: number, index: index)); out.byte(UInt8(ascii: "\""))
        }
        out.literal(#"],"transactionsRoot":""#); out.hex(Word256(w0: roots.w3, w1: roots.w0, w2: roots.w1, w3: roots.w2))
        out.literal(#"","uncles":[]}"#)
    }
}
