import Foundation
import Logging
import Synchronization
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Settlement
@testable import Store

/// The transaction manager through `devnet/faultproxy.py` in its broadcast modes: refusals in
/// Erigon's, Nethermind's and Nitro's wording, and Nitro's L1 gas that moves between an estimate and
/// the send. A bump estimates gas again; a transaction the node will not take raises `tx_refused`
/// once and keeps its nonce, and the nonces after it go through once it can be taken.
@Suite(.serialized) struct TxManagerRefusalTests {
    final class Fixture: @unchecked Sendable {
        let devnet: Devnet
        let proxy: ServerProcess
        let harness: TxManagerHarness
        let proxied: JSONRPCClient

        init() throws {
            devnet = try Devnet(arguments: ["--pool-token"])
            proxy = try ServerProcess(script: "faultproxy.py", arguments: ["--upstream", devnet.rpcURL])
            harness = try TxManagerHarness(devnet: devnet)
            proxied = JSONRPCClient(endpoints: [proxy.baseURL], retry: .none)
        }
    }
    static let fixture = Result { try Fixture() }

    let f: Fixture
    var h: TxManagerHarness { f.harness }

    init() throws { f = try Self.fixture.get() }

    func root() -> Hash { Hash.keccak256(Array(UUID().uuidString.utf8)) }

    @discardableResult
    func admin(_ body: String) async throws -> JSON {
        let response = try await HTTPClient().send(HTTPRequest(method: .post, url: f.proxy.baseURL + "/__admin",
                                                               headers: [("Content-Type", "application/json")], body: Array(body.utf8)))
        #expect(response.status == 200, "faultproxy refused \(body)")
        return try JSON(parsing: response.body)
    }

    func injected() async throws -> Int {
        let state = try JSON(parsing: try await HTTPClient().send(HTTPRequest(method: .get, url: f.proxy.baseURL + "/__admin")).body)
        return state["injected"]?.intValue ?? -1
    }

    /// A manager that talks to the node through the proxy, signing with `key` (the keeper's by default).
    func manager(key: PrivateKey? = nil, bumpAfterBlocks: UInt64 = 1, feeOracle: (any FeeOracle)? = nil,
                 log: Logger = .discarding) throws -> TxManager {
        let options = TxManager.Options(chainID: h.chainID, confirmations: 1, maxFeePerGas: TxManagerHarness.gwei(200), bumpPercent: 15,
                                        bumpAfterBlocks: bumpAfterBlocks)
        return try TxManager(database: try Database(path: h.newDatabasePath()), rpc: f.proxied,
                             signer: Signer(key: try key ?? PrivateKey(hex: f.devnet.deployment.keeper.privateKey)), options: options,
                             feeOracle: feeOracle, log: log)
    }

    func alerts(_ manager: TxManager) throws -> Int { try h.count(manager, "SELECT count(*) FROM alerts WHERE kind = 'tx_refused'") }

    /// The node's own estimate (no proxy, no margin) of the keeper's call.
    func nodeEstimate(_ data: [UInt8]) async throws -> UInt64 {
        try await h.rpc.estimateGas(CallRequest(from: h.keeper, to: h.contract, data: data))
    }

    @Test func aFeeBumpEstimatesGasAgainWhenTheL1PartHasRisen() async throws {
        _ = try await admin(#"{"fault":"none","broadcast":"nitro","l1Gas":5000}"#)
        let claim = try await h.requestClaim(user: 1)
        let key = claim.key(h.chainID)
        let data = try h.verifyPayoutData(claim, root: root())
        let estimate = try await nodeEstimate(data)
        let manager = try manager(bumpAfterBlocks: 1, feeOracle: StaleFirstQuoteOracle(rpc: f.proxied))
        var attempts = [TxAttempt]()
        try await h.setAutomine(false)
        do {
            let stored = try await manager.submit(key, to: h.contract, data: data)
            #expect(stored.gasLimit == (try manager.withMargin(estimate + 5_000)), "first estimate: the node's plus the L1 part then")
            #expect(stored.sentAt != nil, "taken, though priced below the base fee: it waits")
            // L1 prices rise: the same call now needs 250,000 gas more for its L1 data.
            _ = try await admin(#"{"fault":"none","broadcast":"nitro","l1Gas":250000}"#)
            try await h.mine(1)
            #expect(try await manager.poll().isEmpty)
            attempts = try manager.attempts(for: key)
            try #require(attempts.count == 2, "bumped once")
            let current = try #require(try manager.transaction(for: key))
            #expect(current.gasLimit == (try manager.withMargin(estimate + 250_000)), "the bump's gas limit is a fresh estimate")
            #expect(current.gasLimit > stored.gasLimit)
            #expect(current.sentAt != nil && current.lastError == nil, "the node took the bump")
            #expect(try await injected() == 0, "nothing was refused 'intrinsic gas too low'")
            // The first attempt, as signed, would now be refused: its gas limit is under estimate + L1.
            #expect(stored.gasLimit < estimate + 250_000)
            try await h.mine(1)
        } catch {
            try await h.setAutomine(true)
            throw error
        }
        try await h.setAutomine(true)
        _ = try await h.settle(manager, key)
        let outcome = try #require(try manager.outcome(for: key))
        #expect(outcome.kind == .confirmed && outcome.hash == attempts[0].hash)
        #expect(try await h.onChain(claim).verified)
        _ = try await admin(#"{"fault":"none"}"#)
    }

    @Test func intrinsicGasTooLowAlertsOnceAndIsReSignedWithAFreshEstimate() async throws {
        // L1 prices rise by 300,000 gas between the keeper's estimate and its send.
        _ = try await admin(#"{"fault":"none","broadcast":"nitro","l1Gas":0,"l1GasRise":300000}"#)
        let claim = try await h.requestClaim(user: 2)
        let key = claim.key(h.chainID)
        let data = try h.verifyPayoutData(claim, root: root())
        let estimate = try await nodeEstimate(data)
        let manager = try manager()
        let nonceBefore = try await h.keeperNonce()
        let stored = try await manager.submit(key, to: h.contract, data: data)
        #expect(stored.sentAt == nil, "refused")
        #expect(stored.lastError == "refused intrinsic_gas_too_low: intrinsic gas too low")
        #expect(try alerts(manager) == 1)
        let body = try #require(try manager.database.fetchOne("SELECT body FROM alerts WHERE kind = 'tx_refused'", as: String.self))
        #expect(body.contains("nonce \(stored.nonce)") && body.contains("intrinsic_gas_too_low"))
        #expect(manager.statistics.snapshot.refused == 1)
        #expect(try await h.keeperNonce(.pending) == nonceBefore, "nothing reached the node")

        // L1 prices settle; the next poll meets the same refusal (no second alert) and re-signs with a fresh estimate.
        _ = try await admin(#"{"fault":"none","broadcast":"nitro","l1Gas":300000}"#)
        #expect(try await manager.poll().isEmpty)
        let attempts = try manager.attempts(for: key)
        #expect(attempts.count == 2)
        let current = try #require(try manager.transaction(for: key))
        #expect(current.nonce == stored.nonce, "the same nonce")
        #expect(current.gasLimit == (try manager.withMargin(estimate + 300_000)))
        #expect(current.sentAt != nil)
        #expect(try alerts(manager) == 1, "one alert for the refusal, not one per round")
        _ = try await h.settle(manager, key)
        #expect(try manager.outcome(for: key)?.kind == .confirmed)
        #expect(try await h.keeperNonce() == nonceBefore + 1)
        #expect(try await h.onChain(claim).verified)
        _ = try await admin(#"{"fault":"none"}"#)
    }

    @Test(arguments: [
        ("erigon", "refused insufficient_funds: INTERNAL_ERROR: insufficient funds"),
        ("nethermind", "refused insufficient_funds: InsufficientFunds, Account balance: 0, cumulative cost: "),
        ("nitro", "refused insufficient_funds: insufficient funds for gas * price + value: address "),
    ])
    func insufficientFundsAlertsKeepsTheNonceAndLaterNoncesFollowOnceFunded(mode: String, recorded: String) async throws {
        _ = try await admin(#"{"fault":"none","broadcast":"\#(mode)"}"#)
        let signer = try PrivateKey.generate()
        let manager = try manager(key: signer)
        func job() -> TxJobKey {
            TxJobKey(chainID: h.chainID, requestTxHash: Hash.keccak256(Array(UUID().uuidString.utf8)), requestLogIndex: 0, action: .verify)
        }
        let (first, second) = (job(), job())
        let a = try await manager.submit(first, to: h.keeper, data: [])
        #expect(a.nonce == 0 && a.sentAt == nil)
        #expect(a.lastError?.hasPrefix(recorded) == true, "\(a.lastError ?? "nil")")
        #expect(try alerts(manager) == 1)
        // A later job still gets the next nonce (never a second one for the same job), and is refused too.
        let b = try await manager.submit(second, to: h.keeper, data: [])
        #expect(b.nonce == 1 && b.sentAt == nil)
        #expect(try alerts(manager) == 2)
        let detail = try #require(try manager.database.fetchOne(
            "SELECT body FROM alerts WHERE kind = 'tx_refused' ORDER BY id LIMIT 1", as: String.self))
        #expect(detail.contains("fund the signer"))
        // Rounds go by: resent, refused, not alerted again, nothing final, nothing re-signed.
        for _ in 0..<2 {
            #expect(try await manager.poll().isEmpty)
            try await h.mine(1)
        }
        #expect(try alerts(manager) == 2)
        #expect(try manager.outcome(for: first) == nil && manager.outcome(for: second) == nil)
        #expect(try manager.attempts(for: first).count == 1 && manager.attempts(for: second).count == 1)
        #expect(manager.statistics.snapshot.refused == 2)

        // Funded: the refused nonce goes first, the later one follows; each job once.
        let funder = try PrivateKey(hex: f.devnet.deployment.users[4].privateKey)
        try await h.rpc.send(from: funder, chainID: h.chainID, to: signer.address, value: UInt256(1_000_000_000_000_000_000), gas: 21_000)
        _ = try await h.settle(manager, first)
        _ = try await h.settle(manager, second)
        #expect(try manager.outcome(for: first)?.kind == .confirmed)
        #expect(try manager.outcome(for: second)?.kind == .confirmed)
        #expect(try await h.rpc.transactionCount(of: signer.address, block: .latest) == 2)
        #expect(try alerts(manager) == 2)
        _ = try await admin(#"{"fault":"none"}"#)
    }

    @Test func aNodesWordsCannotForgeALogLineOrAnAlert() async throws {
        _ = try await admin(#"{"fault":"none"}"#)
        let lines = Mutex<[String]>([])
        let manager = try manager(key: try PrivateKey.generate(), log: Logger(level: .debug, sink: LogSink { line in lines.withLock { $0.append(line) } }))
        let job = TxJobKey(chainID: h.chainID, requestTxHash: Hash.keccak256(Array(UUID().uuidString.utf8)), requestLogIndex: 0, action: .verify)
        let stored = try await manager.submit(job, to: h.keeper, data: [])
        #expect(stored.lastError?.hasPrefix("refused insufficient_funds: insufficient funds for gas * price + value") == true)
        let forged = "intrinsic gas too low\nlg-keeper level=error msg=\"signer key exported\"\r\u{2028}" + String(repeating: "x", count: 5_000)
        try manager.recordRefusal(.intrinsicGasTooLow, .rpc(code: -32000, message: forged, data: nil), of: stored)
        let logged = lines.withLock { $0 }
        #expect(!logged.isEmpty && logged.allSatisfy { !$0.contains("\n") && !$0.contains("\r") && !$0.contains("\u{2028}") })
        let refusal = try #require(logged.last)
        #expect(refusal.contains("refusal=intrinsic_gas_too_low") && refusal.contains("error=\"intrinsic gas too low?lg-keeper level=error msg=\\\"signer key exported\\\"??"))
        #expect(refusal.count < 1_000, "cut short")
        let lastError = try #require(try manager.transaction(for: job)?.lastError)
        #expect(!lastError.contains("\n") && lastError.count < 300)
        let bodies = try manager.database.fetchAll("SELECT body FROM alerts WHERE kind = 'tx_refused'").map { row in try row.get("body", as: String.self) }
        #expect(bodies.count == 2)
        for body in bodies { #expect(try JSON(parsing: Array(body.utf8))["message"]?.stringValue?.contains("\n") == false) }
    }

    @Test(arguments: ["erigon", "nethermind", "nitro"])
    func aSecondSendIsAlreadyKnownInEveryWording(mode: String) async throws {
        _ = try await admin(#"{"fault":"none","broadcast":"\#(mode)","resend":true}"#)
        let claim = try await h.requestClaim(user: 3)
        let key = claim.key(h.chainID)
        let manager = try manager()
        try await h.setAutomine(false)
        let stored: StoredTransaction
        do {
            // The node takes the first send and answers the second "already known" in the mode's wording.
            stored = try await manager.submit(key, to: h.contract, data: try h.verifyPayoutData(claim, root: root()))
        } catch {
            try await h.setAutomine(true)
            throw error
        }
        try await h.setAutomine(true)
        #expect(stored.sentAt != nil && stored.lastError == nil, "\(mode): \(stored.lastError ?? "")")
        #expect(try await h.pooledKeeperHashes().contains(stored.hash.description))
        try await h.mine(1)
        _ = try await h.settle(manager, key)
        #expect(try manager.outcome(for: key)?.kind == .confirmed)
        #expect(try manager.attempts(for: key).count == 1, "never signed again")
        #expect(try alerts(manager) == 0)
        _ = try await admin(#"{"fault":"none"}"#)
    }
}
