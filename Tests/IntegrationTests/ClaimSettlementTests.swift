import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Settlement
@testable import Store

/// `lg-keeper run` against a devnode and okxsim: users file claims for okxsim's scenarios; the
/// keeper verifies each with the user's key from the vault, writes the verdict on-chain and pays
/// the liquidated ones in USDT (devnode `--pool-token`). Expected verdicts and losses come from devnet/scenarios.
@Suite(.serialized) struct ClaimSettlementTests {
    /// (scenario file, devnet user index, the state the claim must end in)
    static let cases: [(file: String, user: Int, state: ClaimState)] = [
        ("01-full-liquidation-long.json", 0, .paid),
        ("04-adl.json", 1, .paid),
        ("05-manual-close-loss.json", 2, .rejected),
        ("07-order-of-another-account.json", 4, .failed),
    ]
    /// A claim whose position is still open: no verdict may be written; it waits, undecided.
    static let waiting = (file: "06-position-still-open.json", user: 3)

    @Test(.timeLimit(.minutes(4))) func everyClaimSettlesOnceWithTheComputedAmount() async throws {
        let harness = try SettlementHarness()
        defer { harness.stop() }
        for (file, user) in Self.cases.map({ ($0.file, $0.user) }) + [Self.waiting] {
            let s = try SettlementHarness.scenario(file)
            try harness.addKey(user: user, scenario: s)
            try harness.requestClaim(user: user, scenario: s)
        }

        var usdtBefore = [Int: UInt256]()
        for (_, user, _) in Self.cases { usdtBefore[user] = try await harness.assetBalance(of: try harness.userAddress(user)) }
        let poolBefore = try await harness.assetBalance(of: try harness.contract)

        let keeper = try harness.startKeeper()
        try await harness.waitForClaims(seconds: 150) { claims in
            claims.count == Self.cases.count + 1 && claims.filter(\.state.isFinal).count == Self.cases.count
        }
        let stopped = keeper.terminate()
        #expect(stopped.status == 0, "lg-keeper run exited \(stopped.status): \(stopped.stderr.suffix(2_000))")

        let database = try harness.database()
        let ledger = ClaimLedger(database: database)
        let reader = try harness.reader
        #expect(harness.devnet.isTokenPool && harness.devnet.deployment.assetSymbol == "USDT")
        var paidTotal = UInt256.zero
        for (file, user, state) in Self.cases {
            let s = try SettlementHarness.scenario(file)
            let address = try harness.userAddress(user)
            let orderID = try UInt256(decimal: s.ordId)
            let claim = try #require(try ledger.claim(user: address, orderID: orderID), "\(file)")
            #expect(claim.state == state, "\(file): \(claim.state.rawValue) \(claim.reason ?? "")")
            let onChain = try await reader.claim(user: address, orderID: orderID)
            switch state {
            case .paid:
                let expected = try harness.expectedAmount(s)
                #expect(onChain.verified && onChain.liquidated && onChain.claimed, "\(file)")
                #expect(onChain.amount == expected, "\(file)")
                #expect(claim.amount == expected, "\(file)")
                #expect(onChain.evidenceRoot == claim.evidenceRoot, "\(file)")
                // Paid in USDT: the user's token balance grew by exactly the amount.
                let usdt = try await harness.assetBalance(of: address)
                #expect(usdt == (usdtBefore[user] ?? .zero) &+ expected, "\(file): USDT \(usdt)")
                paidTotal = paidTotal &+ expected
                // Its move to paid names the claim, the amount in USDT and the transaction; a transaction line names it too.
                let subject = "\(address.description.lowercased())/\(s.ordId)"
                let lines = stopped.stderr.split(separator: "\n")
                let paidLine = try #require(lines.first { $0.contains(#"msg="claim moved" claim=\#(subject) "#) && $0.contains(" to=paid ") }, "\(file)")
                #expect(paidLine.contains(" amount=\(PoolUnits.text(expected, decimals: 6)) currency=USDT tx=0x"), "\(paidLine)")
                let paidHash = String(try #require(paidLine.split(separator: " ").first { $0.hasPrefix("tx=") }).dropFirst(3))
                #expect(try database.fetchOne("SELECT count(*) FROM txs WHERE hash = ? AND state = 'confirmed'", [paidHash], as: Int.self) == 1, "\(paidLine)")
                #expect(lines.contains { $0.contains(#"msg="tx confirmed""#) && $0.contains(subject) && $0.contains("hash=\(paidHash)") }, "\(file)")
            case .rejected:
                #expect(onChain.verified && !onChain.liquidated && !onChain.claimed && onChain.amount == .zero, "\(file)")
            default:
                #expect(!onChain.verified, "\(file)")
            }
            if state != .paid { #expect(try await harness.assetBalance(of: address) == usdtBefore[user], "\(file): no USDT moved") }
        }
        // The open position's claim is neither decided nor failed: it waits, with the reason, and nothing is on-chain.
        let open = try SettlementHarness.scenario(Self.waiting.file)
        let waiting = try #require(try harness.claim(user: Self.waiting.user, open))
        #expect(!waiting.state.isFinal && waiting.reason?.contains("positions-history") == true, "\(waiting.state.rawValue) \(waiting.reason ?? "")")
        #expect(!(try await harness.onChainClaim(user: Self.waiting.user, open)).verified)
        #expect(paidTotal > .zero)
        #expect(try await reader.poolBalance() == poolBefore &- paidTotal, "the pool's USDT went down by what was paid")
        // One verdict per decided claim and one payment per paid claim, each done by exactly one
        // transaction (its own, a batch, or `verifyAndPay`), none reverted.
        #expect(try database.fetchOne("SELECT count(*) FROM events WHERE name = 'PayoutVerified'", as: Int.self) == 3)
        #expect(try database.fetchOne("SELECT count(*) FROM events WHERE name = 'PayoutExecuted'", as: Int.self) == 2)
        #expect(try database.fetchOne("SELECT count(*) FROM events WHERE name = 'PayoutSkipped'", as: Int.self) == 0)
        try SettlementHarness.expectEachJobDoneOnce(database)
        #expect(try database.fetchOne("SELECT count(*) FROM txs WHERE state != 'confirmed'", as: Int.self) == 0)
        #expect(try AuditLog.verify(database).broken == nil)

        let reconcile = try KeeperBinary.run(["reconcile", "--json", "--config", harness.configPath], environment: harness.environment)
        #expect(reconcile.status == 0, "\(reconcile.stdout) \(reconcile.stderr)")
        let audit = try KeeperBinary.run(["audit", "verify", "--config", harness.configPath])
        #expect(audit.status == 0, "\(audit.stderr)")
        let shown = try KeeperBinary.run(["claims", "list", "--json", "--config", harness.configPath])
        for secret in harness.secrets {
            #expect(!shown.stdout.contains(secret) && !stopped.stderr.contains(secret))
        }
        let leaks = try harness.filesContainingSecrets()
        #expect(leaks.isEmpty, "\(leaks)")
    }

    /// One liquidation is insured once: the trader claims both the opening order and the liquidation
    /// order of the same position (scenario 01's account holds both). The first is paid; the second
    /// is written on-chain as liquidated with nothing to pay (`position-already-claimed`).
    @Test(.timeLimit(.minutes(3))) func twoOrdersOfOnePositionArePaidOnce() async throws {
        let harness = try SettlementHarness()
        defer { harness.stop() }
        let opening = try SettlementHarness.scenario("01-full-liquidation-long.json")
        let liquidationOrder = "2940455327716859904"  // the forced close of the same position (posId in the scenario)
        try harness.addKey(user: 0, scenario: opening)
        try harness.requestClaim(user: 0, scenario: opening)
        _ = try ReferencePython.runDevnetScript("request_claim.py", ["--deployment", harness.devnet.deploymentFile, "--user", "0",
                                                                     "--order-id", liquidationOrder, "--inst-id", opening.instId,
                                                                     "--principal", try harness.units(opening.principal).description,
                                                                     "--leverage", String(opening.leverage)])
        let keeper = try harness.startKeeper()
        let settled = try await harness.waitForClaims(seconds: 90) { $0.count == 2 && $0.allSatisfy(\.state.isFinal) }
        let stopped = keeper.terminate()
        #expect(settled && stopped.status == 0, "\(stopped.stderr.suffix(1_500))")

        let user = try harness.userAddress(0)
        let ledger = try harness.ledger()
        let first = try #require(try ledger.claim(user: user, orderID: try UInt256(decimal: opening.ordId)))
        let second = try #require(try ledger.claim(user: user, orderID: try UInt256(decimal: liquidationOrder)))
        let expected = try harness.expectedAmount(opening)
        #expect(first.state == .paid && first.amount == expected)
        #expect(first.positionID?.hasPrefix("\(try #require(opening.posId))@") == true && second.positionID == first.positionID)
        #expect(second.state == .rejected && second.amount == .zero && second.liquidated == true, "\(second.state) \(second.reason ?? "")")
        #expect(second.reason == "position-already-claimed")
        let onChain = try await harness.reader.claim(user: user, orderID: try UInt256(decimal: liquidationOrder))
        #expect(onChain.verified && onChain.liquidated && !onChain.claimed && onChain.amount == .zero)
        let reconcile = try KeeperBinary.run(["reconcile", "--json", "--config", harness.configPath], environment: harness.environment)
        #expect(reconcile.status == 0, "\(reconcile.stdout)")
    }
}
