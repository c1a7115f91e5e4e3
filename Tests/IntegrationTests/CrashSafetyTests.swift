import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Settlement
@testable import Store

/// Issue 6, crash safety: `lg-keeper run` kills itself with SIGKILL at each crash point of the
/// settlement path (`CrashPoint`, armed by LGK_CRASH_AT) and is restarted, point after point, then
/// runs unarmed until every claim is final. Every liquidated claim must be paid exactly once with
/// the computed amount, no keeper transaction may revert, and the keeper's nonces have no gap.
@Suite(.serialized) struct CrashSafetyTests {
    /// (scenario file, devnet user index); the verdict each must reach is the scenario's.
    static let claims: [(file: String, user: Int)] = [
        ("01-full-liquidation-long.json", 0),
        ("05-manual-close-loss.json", 1),
        ("02-full-liquidation-short.json", 2),
        ("05-manual-close-loss.json", 3),  // the same manual close claimed from a second wallet: decided, not paid
        ("04-adl.json", 4),
    ]

    /// One process per entry, each killed at the point's first occurrence in that process, then
    /// restarted armed with the next. The keeper verifies one claim at a time and sends one claim per
    /// transaction here (`pipeline.maxConcurrentVerifications` and `maxBatchItems` 1), so that each
    /// process gets one step further: a liquidated verdict goes with its payment (`verifyAndPay`), a
    /// decided one alone (`verifyPayout`, whose confirmation reaches `afterVerdict`). The chaos run
    /// kills the keeper at these points with batches and concurrent verification.
    /// Claims: L1 (01), N1 (05), L2 (02), N2 (05 from another wallet), L3 (04).
    static let crashes: [(point: CrashPoint, occurrence: Int)] = [
        (.beforeCommit, 1),     // L1's verifyAndPay signed, not stored: signed again after the restart
        (.afterCommit, 1),      // stored, never sent: resync() sends it
        (.beforeBroadcast, 1),  // resync() about to send it
        (.afterBroadcast, 1),   // sent, sent_at not written: the next send hears "nonce too low" or finds it mined
        (.beforeReceipt, 1),    // a receipt about to be stored
        (.afterReceipt, 1),     // stored mined, not yet confirmed
        (.afterFinal, 1),       // confirmed, its claim not yet moved
        (.afterVerdict, 1),     // N1's verdict confirmed and the claim moved
        (.beforeCommit, 1),     // the next claim's transaction signed, not stored
        (.afterCommit, 1),
        (.afterBroadcast, 1),
        (.afterReceipt, 1),
        (.afterFinal, 1),
    ]

    @Test(.timeLimit(.minutes(4))) func killedAtEveryCrashPointEachLiquidationIsPaidOnce() async throws {
        #expect(Set(Self.crashes.map(\.point)) == Set(CrashPoint.allCases), "every crash point is exercised")
        let harness = try SettlementHarness(sections: ["pipeline": ["maxConcurrentVerifications": 1, "maxBatchItems": 1]])
        defer { harness.stop() }
        var scenarios = [OKXScenario]()
        for (file, user) in Self.claims {
            let s = try SettlementHarness.scenario(file)
            try harness.addKey(user: user, scenario: s)
            try harness.requestClaim(user: user, scenario: s)
            scenarios.append(s)
        }

        let misspelt = try KeeperBinary.run(["run", "--config", harness.configPath],
                                            environment: harness.environment.merging([CrashPoint.environmentVariable: "afterBroadcst"]) { _, new in new })
        #expect(misspelt.status == 78 && misspelt.stderr.contains("afterBroadcast"), "a misspelt crash point refuses to start: \(misspelt.stderr)")

        for (point, occurrence) in Self.crashes {
            let trigger = "\(point.rawValue):\(occurrence)"
            let keeper = try harness.startKeeper(extraEnvironment: [CrashPoint.environmentVariable: trigger])
            guard let ended = try await keeper.waitForExit(seconds: 30) else {
                let log = keeper.terminate().stderr
                Issue.record("LGK_CRASH_AT=\(trigger) was never reached: \(log.suffix(3_000))")
                return
            }
            let log = keeper.stderr
            #expect(ended == .killed(signal: SIGKILL), "LGK_CRASH_AT=\(trigger): \(ended) \(log.suffix(3_000))")
            #expect(log.contains("crash_at=\(trigger)"), "LGK_CRASH_AT=\(trigger): \(log.suffix(3_000))")
            // What a crash leaves behind is a state the keeper can be in, never a mismatch.
            let reconcile = try KeeperBinary.run(["reconcile", "--json", "--config", harness.configPath], environment: harness.environment)
            #expect(reconcile.status == 0, "after LGK_CRASH_AT=\(trigger): \(reconcile.stdout) \(reconcile.stderr)")
        }

        let keeper = try harness.startKeeper()
        let settled = try await harness.waitForClaims(seconds: 60) { $0.count == Self.claims.count && $0.allSatisfy(\.state.isFinal) }
        let stopped = keeper.terminate()
        #expect(settled, "claims not final after the last restart: \(stopped.stderr.suffix(3_000))")
        #expect(stopped.status == 0, "lg-keeper run exited \(stopped.status): \(stopped.stderr.suffix(2_000))")

        let database = try harness.database()
        let ledger = ClaimLedger(database: database)
        let reader = try harness.reader
        let contract = try Address(hex: harness.devnet.deployment.contract)
        let verified = try await Self.eventCounts(LeverageGuardContract.payoutVerified, harness: harness, contract: contract)
        let executed = try await Self.eventCounts(LeverageGuardContract.payoutExecuted, harness: harness, contract: contract)
        for ((file, user), s) in zip(Self.claims, scenarios) {
            let address = try harness.userAddress(user)
            let orderID = try UInt256(decimal: s.ordId)
            let key = "\(address.description.lowercased())/\(orderID)"
            let claim = try #require(try ledger.claim(user: address, orderID: orderID), "\(file)")
            let onChain = try await reader.claim(user: address, orderID: orderID)
            #expect(verified[key] == 1, "\(file): \(verified[key] ?? 0) PayoutVerified events")
            if s.liquidated {
                let expected = try harness.expectedAmount(s)
                #expect(claim.state == .paid, "\(file): \(claim.state.rawValue) \(claim.reason ?? "")")
                #expect(onChain.verified && onChain.liquidated && onChain.claimed && onChain.amount == expected, "\(file): \(onChain)")
                #expect(executed[key] == 1, "\(file): \(executed[key] ?? 0) PayoutExecuted events")
            } else {
                #expect(claim.state == .rejected, "\(file): \(claim.state.rawValue) \(claim.reason ?? "")")
                #expect(onChain.verified && !onChain.liquidated && !onChain.claimed && onChain.amount == .zero, "\(file): \(onChain)")
                #expect(executed[key] == nil, "\(file): paid although not liquidated")
            }
        }

        // One transaction per claim (verifyAndPay or verifyPayout), nonces 0..<n with the chain at n, and none
        // reverted: every hash the keeper ever signed either has a successful receipt or was never mined.
        try SettlementHarness.expectEachJobDoneOnce(database)
        let nonces = try database.fetchAll("SELECT nonce FROM txs ORDER BY nonce").map { try $0.get(0, as: UInt64.self) }
        #expect(nonces == Array(0..<UInt64(Self.claims.count)), "nonces \(nonces)")
        let keeperAddress = try Address(hex: harness.devnet.deployment.keeper.address)
        #expect(try await harness.rpc.transactionCount(of: keeperAddress, block: .latest) == UInt64(nonces.count))
        #expect(try await harness.rpc.transactionCount(of: keeperAddress, block: .pending) == UInt64(nonces.count))
        #expect(try database.fetchOne("SELECT count(*) FROM txs WHERE state != 'confirmed'", as: Int.self) == 0)
        let hashes = try database.fetchAll("SELECT hash FROM txs UNION SELECT hash FROM tx_attempts").map { try Hash(hex: try $0.get(0, as: String.self)) }
        for hash in hashes {
            if let receipt = try await harness.rpc.transactionReceipt(hash) {
                #expect(receipt.succeeded, "keeper transaction \(hash) reverted")
            }
        }

        let reconcile = try KeeperBinary.run(["reconcile", "--json", "--config", harness.configPath], environment: harness.environment)
        #expect(reconcile.status == 0, "\(reconcile.stdout) \(reconcile.stderr)")
        let audit = try KeeperBinary.run(["audit", "verify", "--config", harness.configPath])
        #expect(audit.status == 0, "\(audit.stderr)")
    }

    /// How many logs of `event` the contract emitted per claim ("user/orderId"), read from the node.
    static func eventCounts(_ event: ABIEvent, harness: SettlementHarness, contract: Address) async throws -> [String: Int] {
        let logs = try await harness.rpc.logs(LogFilter(range: .blocks(from: .number(harness.devnet.deployment.deployBlock), to: .latest),
                                                        addresses: [contract], topics: [[event.topic0]]))
        var counts = [String: Int]()
        for log in logs {
            let decoded = try event.decodeLog(topics: log.topics, data: log.data)
            guard case .value(.address(let user)) = decoded.values[0], case .value(.uint(let orderID)) = decoded.values[1] else {
                throw ScenarioError(description: "\(event.name) log without user and orderId: \(decoded)")
            }
            counts["\(user.description.lowercased())/\(orderID)", default: 0] += 1
        }
        return counts
    }
}
