import Crypto
import Settlement

/// A deterministic synthetic chain carrying `totalLogs` LeverageGuard logs: block 0 is empty, then
/// every block from 1 to `head` holds between `minimumPerBlock` and `maximumPerBlock` logs (the
/// last one fewer, so that the total is exact). Every value is a pure function of the seed and the
/// log's position, so the replay server renders any range on demand and the ceiling and the check
/// build the very rows the keeper should store, without holding the corpus in memory.
struct LogCorpus: Sendable {
    let seed: UInt64
    let totalLogs: Int
    let chainID: UInt64
    let contract: Word160
    let head: UInt64
    /// `prefix[b]` is the number of logs in blocks below `b`; `prefix[head + 1] == totalLogs`.
    private let prefix: [Int]
    let users: [Word160]

    static let instruments = ["BTC-USDT-SWAP", "ETH-USDT-SWAP", "SOL-USDT-SWAP", "DOGE-USDT-SWAP", "BTC-USD-250627", "ETH-USDC-SWAP"]
    static let firstOrderID: UInt64 = 1_000_000_000
    static let genesisTimestamp: UInt64 = 1_700_000_000

    init(seed: UInt64, totalLogs: Int, minimumPerBlock: Int = 10, maximumPerBlock: Int = 50, chainID: UInt64 = 31337, userCount: Int = 4096) {
        precondition(totalLogs >= 0 && minimumPerBlock >= 1 && maximumPerBlock >= minimumPerBlock)
        self.seed = seed
        self.totalLogs = totalLogs
        self.chainID = chainID
        contract = Word160(seed: seed, domain: 0xC0, index: 0)
        users = (0..<userCount).map { Word160(seed: seed, domain: 0x05, index: UInt64($0)) }
        var prefix = [0, 0]  // block 0 holds nothing
        var block: UInt64 = 1
        while prefix[prefix.count - 1] < totalLogs {
            let span = UInt64(maximumPerBlock - minimumPerBlock + 1)
            let count = minimumPerBlock + Int(mix(seed ^ mix(block ^ 0xB10C_0000_0000_0000)) % span)
            prefix.append(min(totalLogs, prefix[prefix.count - 1] + count))
            block += 1
        }
        self.prefix = prefix
        head = UInt64(prefix.count - 2)
    }

    // MARK: Blocks

    func logCount(inBlock number: UInt64) -> Int {
        guard number <= head else { return 0 }
        return prefix[Int(number) + 1] - prefix[Int(number)]
    }

    /// Logs in blocks `range` (clamped to the chain).
    func logCount(in range: ClosedRange<UInt64>) -> Int {
        guard range.lowerBound <= head else { return 0 }
        return prefix[Int(min(range.upperBound, head)) + 1] - prefix[Int(range.lowerBound)]
    }

    /// The global position of the first log of `number`.
    func firstLog(ofBlock number: UInt64) -> Int { prefix[Int(min(number, head + 1))] }

    /// The block holding global log `index`.
    func block(ofLog index: Int) -> UInt64 {
        var low = 0, high = prefix.count - 1  // prefix[low] <= index < prefix[high]
        while high - low > 1 {
            let middle = (low + high) / 2
            if prefix[middle] <= index { low = middle } else { high = middle }
        }
        return UInt64(low)
    }

    func blockHash(_ number: UInt64) -> Word256 { Word256(seed: seed, domain: 0xB1, index: number) }
    func timestamp(_ number: UInt64) -> UInt64 { Self.genesisTimestamp + 12 * number }
    func transactionHash(block: UInt64, index: Int) -> Word256 { Word256(seed: seed, domain: 0x7A, index: block << 16 | UInt64(index)) }

    /// The newest block at or below `number` such that blocks `from…` hold at most `limit` logs
    /// (for a provider-style "too many results" refusal); nil when even block `from` alone exceeds it.
    func lastBlock(from: UInt64, holdingAtMost limit: Int) -> UInt64? {
        guard from <= head else { return nil }
        let base = prefix[Int(from)]
        var low = Int(from), high = Int(head) + 1  // find the largest b with prefix[b + 1] - base <= limit
        guard prefix[low + 1] - base <= limit else { return nil }
        while high - low > 1 {
            let middle = (low + high) / 2
            if prefix[middle + 1] - base <= limit { low = middle } else { high = middle }
        }
        return UInt64(low)
    }

    // MARK: Logs

    enum Kind: Int, Sendable, CaseIterable {
        case claimRequested, payoutVerified, payoutExecuted, fundsDeposited

        var name: String {
            switch self {
            case .claimRequested: "ClaimRequested"
            case .payoutVerified: "PayoutVerified"
            case .payoutExecuted: "PayoutExecuted"
            case .fundsDeposited: "FundsDeposited"
            }
        }

        var signature: String {
            switch self {
            case .claimRequested: "ClaimRequested(address,uint256,string,uint256,uint16)"
            case .payoutVerified: "PayoutVerified(address,uint256,uint256,bool,bytes32)"
            case .payoutExecuted: "PayoutExecuted(address,uint256,uint256)"
            case .fundsDeposited: "FundsDeposited(address,uint256)"
            }
        }

        var topic0: Word256 { Word256(bytes: Keccak256.hash(Array(signature.utf8))) }
    }

    /// The event mix: 35% claims, 25% verifications, 25% executions, 15% deposits.
    static func kind(_ roll: UInt64) -> Kind {
        switch roll % 100 {
        case 0..<35: .claimRequested
        case 35..<60: .payoutVerified
        case 60..<85: .payoutExecuted
        default: .fundsDeposited
        }
    }

    /// One log's values; everything else about it (hashes, encodings) is derived from these.
    struct Entry: Sendable {
        let block: UInt64
        let logIndex: Int
        let kind: Kind
        let user: Int
        let orderID: UInt64
        /// principal for claims, amount otherwise (wei, below 2^64).
        let amount: UInt64
        let instrument: Int
        let leverage: UInt64
        let liquidated: Bool
        let evidenceRoot: Word256
        var transactionIndex: Int { logIndex }
    }

    func entry(block: UInt64, logIndex: Int) -> Entry {
        let global = UInt64(firstLog(ofBlock: block) + logIndex)
        let r0 = mix(seed ^ mix(global &* 0x9E37_79B9 ^ 0x1061))
        let r1 = mix(r0 ^ 0x5151), r2 = mix(r1 ^ 0x7272)
        let kind = Self.kind(r0)
        // A claim's order id is unique (one claims row each); payouts name an earlier order.
        let orderID = kind == .claimRequested ? Self.firstOrderID + global : Self.firstOrderID + r2 % (global + 1)
        return Entry(block: block, logIndex: logIndex, kind: kind, user: Int(r1 % UInt64(users.count)), orderID: orderID,
                     amount: (r2 >> 8) % 1_000_000 * 1_000_000_000_000 + 1, instrument: Int((r1 >> 20) % UInt64(Self.instruments.count)),
                     leverage: 1 + (r2 >> 40) % 125, liquidated: (r1 >> 50) & 1 == 1,
                     evidenceRoot: kind == .payoutVerified ? Word256(seed: seed, domain: 0xE1, index: global) : .zero)
    }

    /// The `events` row (and `claims` row) the keeper must write for `entry`, built from the values,
    /// never from the encoding, so that comparing it with the keeper's row checks its decoding.
    func expectedRow(_ entry: Entry) -> ExpectedRow {
        let user = users[entry.user].hex
        let data: String
        switch entry.kind {
        case .claimRequested:
            data = #"{"instId":"\#(Self.instruments[entry.instrument])","leverage":"\#(entry.leverage)","orderId":"\#(entry.orderID)","principal":"\#(entry.amount)","user":"\#(user)"}"#
        case .payoutVerified:
            data = #"{"amount":"\#(entry.amount)","evidenceRoot":"\#(entry.evidenceRoot.hex)","liquidated":\#(entry.liquidated),"orderId":"\#(entry.orderID)","user":"\#(user)"}"#
        case .payoutExecuted:
            data = #"{"amount":"\#(entry.amount)","orderId":"\#(entry.orderID)","user":"\#(user)"}"#
        case .fundsDeposited:
            data = #"{"amount":"\#(entry.amount)","sender":"\#(user)"}"#
        }
        let hasClaimKey = entry.kind != .fundsDeposited
        return ExpectedRow(blockNumber: entry.block, blockHash: blockHash(entry.block).hex,
                           transactionHash: transactionHash(block: entry.block, index: entry.transactionIndex).hex,
                           transactionIndex: entry.transactionIndex, logIndex: entry.logIndex, address: contract.hex, name: entry.kind.name,
                           user: hasClaimKey ? user : nil, orderID: hasClaimKey ? String(entry.orderID) : nil, data: data,
                           claim: entry.kind == .claimRequested
                               ? .init(user: user, orderID: String(entry.orderID), instrument: Self.instruments[entry.instrument],
                                       principal: String(entry.amount), leverage: Int(entry.leverage))
                               : nil)
    }
}

/// One `events` row's values (without `id`, `chain_id` and `indexed_at`), and its claim.
struct ExpectedRow: Sendable, Equatable {
    struct Claim: Sendable, Equatable {
        let user: String
        let orderID: String
        let instrument: String
        let principal: String
        let leverage: Int
    }

    let blockNumber: UInt64
    let blockHash: String
    let transactionHash: String
    let transactionIndex: Int
    let logIndex: Int
    let address: String
    let name: String
    let user: String?
    let orderID: String?
    let data: String
    let claim: Claim?
}

/// SplitMix64's finaliser: a cheap, well-mixed 64-bit hash.
@inline(__always)
func mix(_ x: UInt64) -> UInt64 {
    var z = x &+ 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// 32 bytes as four big-endian words.
struct Word256: Sendable, Hashable {
    var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    static let zero = Word256(w0: 0, w1: 0, w2: 0, w3: 0)

    init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    init(seed: UInt64, domain: UInt64, index: UInt64) {
        let base = mix(seed ^ mix(domain << 56 ^ index))
        self.init(w0: mix(base ^ 1), w1: mix(base ^ 2), w2: mix(base ^ 3), w3: mix(base ^ 4))
    }

    init(bytes: [UInt8]) {
        precondition(bytes.count == 32)
        func word(_ at: Int) -> UInt64 { bytes[at..<at + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        self.init(w0: word(0), w1: word(8), w2: word(16), w3: word(24))
    }

    var hex: String {
        var writer = ByteWriter(capacity: 66)
        writer.hex(self)
        return writer.string
    }
}

/// 20 bytes: the high 4 bytes in `high`, the rest in `low`.
struct Word160: Sendable, Hashable {
    let high: UInt32
    let low: UInt64
    let low2: UInt64

    init(seed: UInt64, domain: UInt64, index: UInt64) {
        let base = mix(seed ^ mix(domain << 56 ^ index))
        high = UInt32(truncatingIfNeeded: mix(base ^ 1))
        low = mix(base ^ 2)
        low2 = mix(base ^ 3)
    }

    var hex: String {
        var writer = ByteWriter(capacity: 42)
        writer.hex(self)
        return writer.string
    }
}
