import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Store

/// `lg-keeper run` settling claims through `devnet/faultproxy.py` in the Erigon and Nethermind
/// broadcast modes with every send answered as a second send would be ("resend"): each
/// `eth_sendRawTransaction` reaches the node, and the keeper hears "INTERNAL_ERROR: nonce too low" /
/// "OldNonce, Current nonce: …" instead of a hash. Each claim is paid once, nothing reverts, and every
/// answer is read as the node meant it (resolved through receipts, never retried as a failure).
@Suite(.serialized) struct BroadcastWordingSettlementTests {
    static let paid: [(file: String, user: Int)] = [("01-full-liquidation-long.json", 0), ("04-adl.json", 1)]

    @Test(.timeLimit(.minutes(4)), arguments: ["erigon", "nethermind"])
    func settlementPaysEachClaimOnceWithNoRevertedTransaction(mode: String) async throws {
        let harness = try SettlementHarness()
        defer { harness.stop() }
        let proxy = try ServerProcess(script: "faultproxy.py", arguments: ["--upstream", harness.devnet.rpcURL])
        defer { proxy.stop() }
        let settings = #"{"fault":"none","broadcast":"\#(mode)","resend":true}"#
        let set = try await HTTPClient().send(HTTPRequest(method: .post, url: proxy.baseURL + "/__admin",
                                                          headers: [("Content-Type", "application/json")], body: Array(settings.utf8)))
        try #require(set.status == 200)
        var chain = try #require(harness.configDocument["chain"]?.objectValue)
        chain["rpcUrls"] = [.string(proxy.baseURL)]
        let config = try harness.writeConfig("proxied.json", ["chain": .object(chain)])

        var before = [Int: UInt256]()
        for (file, user) in Self.paid {
            let s = try SettlementHarness.scenario(file)
            try harness.addKey(user: user, scenario: s)
            try harness.requestClaim(user: user, scenario: s)
            before[user] = try await harness.assetBalance(of: try harness.userAddress(user))
        }
        let keeper = try KeeperBinary.start(["run", "--config", config], environment: harness.environment)
        let settled = try await harness.waitForClaims(seconds: 150) { claims in
            claims.count == Self.paid.count && claims.allSatisfy { $0.state == .paid }
        }
        let stopped = keeper.terminate()
        let states = try harness.ledger().list().map { "\($0.state.rawValue) \($0.reason ?? "")" }
        #expect(settled, "claims: \(states)")
        #expect(stopped.status == 0, "lg-keeper run exited \(stopped.status): \(stopped.stderr.suffix(2_000))")

        for (file, user) in Self.paid {
            let s = try SettlementHarness.scenario(file)
            let onChain = try await harness.onChainClaim(user: user, s)
            let expected = try harness.expectedAmount(s)
            #expect(onChain.verified && onChain.claimed && onChain.amount == expected, "\(mode) \(file)")
            #expect(try await harness.assetBalance(of: try harness.userAddress(user)) == (before[user] ?? .zero) &+ expected,
                    "\(mode) \(file): paid exactly once")
        }
        let database = try harness.database()
        #expect(try database.fetchOne("SELECT count(*) FROM txs WHERE state = 'reverted'", as: Int.self) == 0)
        #expect(try database.fetchOne("SELECT count(*) FROM txs WHERE state != 'confirmed'", as: Int.self) == 0)
        #expect(try database.fetchOne("SELECT count(*) FROM txs WHERE generation > 0", as: Int.self) == 0, "no job was issued twice")
        let (attempts, transactions) = (try database.fetchOne("SELECT count(*) FROM tx_attempts", as: Int.self),
                                        try database.fetchOne("SELECT count(*) FROM txs", as: Int.self))
        #expect(attempts == transactions && (transactions ?? 0) > 0, "nothing was re-signed")
        #expect(try database.fetchOne("SELECT count(*) FROM alerts WHERE kind = 'tx_refused'", as: Int.self) == 0)
        // Each refusal was read as the node meant it: resolved through receipts, never a failed broadcast.
        #expect(stopped.stderr.contains("nonce too low: resolving through receipts"), "\(stopped.stderr.suffix(2_000))")
        #expect(!stopped.stderr.contains("broadcast failed"), "\(stopped.stderr.suffix(2_000))")
        let state = try JSON(parsing: try await HTTPClient().send(HTTPRequest(method: .get, url: proxy.baseURL + "/__admin")).body)
        #expect((state["injected"]?.intValue ?? 0) >= transactions ?? 1, "the proxy reworded the node's answer to each transaction")
    }
}
