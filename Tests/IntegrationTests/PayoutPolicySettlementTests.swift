import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Settlement
@testable import Store

/// Issue 6's payout policy and fee bumping, through `lg-keeper run` against a devnode and okxsim:
/// the daily limit (the keeper's day is the chain's), the pool reserve, operator review, and a
/// transaction outbid in full blocks and replaced at the same nonce. With the harness's policy
/// (coverage 50 %, maxPayoutPerClaim 50) each liquidation used here pays 25.
@Suite(.serialized) struct PayoutPolicySettlementTests {
    /// Liquidated scenarios of three different OKX accounts, one per devnet user.
    static let liquidations = ["01-full-liquidation-long.json", "02-full-liquidation-short.json", "03-partial-liquidation.json"]

    /// Which daily limit is the tighter one: the keeper's `policy.dailyLimit` (60), or the contract's
    /// `dailyPayoutLimit`, lowered by its owner to 60 below a keeper limit of 1000.
    enum BindingLimit: String, CaseIterable, CustomTestStringConvertible {
        case keeper, contract
        var testDescription: String { "the \(rawValue)'s" }
    }

    @Test(.serialized, .timeLimit(.minutes(3)), arguments: BindingLimit.allCases)
    func theDailyLimitDefersTheOverflowToTheNextChainDay(binding: BindingLimit) async throws {
        let harness = try SettlementHarness(policy: ["dailyLimit": binding == .keeper ? "60" : "1000"])
        defer { harness.stop() }
        if binding == .contract { try await harness.ownerTransaction("setDailyPayoutLimit", [.uint(try harness.units(60))]) }
        let claims = try fileClaims(harness, Self.liquidations)
        let reader = try harness.reader

        let stopped = try await whileKeeperRuns(harness) {
            try #require(try await harness.waitForClaims(seconds: 90) { $0.count(.paid) == 2 && $0.count(.awaitingLimit) == 1 })
            let day = try await reader.chainDay()
            #expect(try await reader.paidToday() == (try harness.units(50)))
            // Later rounds of the same day (one every 250 ms) leave it waiting.
            try await Task.sleep(for: .seconds(1))
            let waiting = try #require(try harness.ledger().list(state: .awaitingLimit).first)
            #expect(waiting.reason?.contains(binding == .keeper ? "daily limit \(try harness.units(60))" : "the contract's daily limit") == true,
                    "\(waiting.reason ?? "")")

            // Midnight UTC on the chain: the next block opens a new day.
            let head = try #require(try await harness.rpc.block(.latest))
            try await harness.rpc.setNextBlockTimestamp((head.timestamp / 86_400 + 1) * 86_400)
            try await harness.rpc.mine()
            try #require(try await harness.waitForClaims(seconds: 60) { $0.count(.paid) == 3 })
            let paidLater = try #require(try harness.ledger().claim(id: waiting.id))
            #expect(paidLater.payoutDay == day + 1)
            #expect(try await reader.chainDay() == day + 1)
            #expect(try await reader.paidToday() == paidLater.amount, "the new day holds only the deferred payout")
            let others = try harness.ledger().list(state: .paid).filter { $0.id != waiting.id }
            #expect(others.map(\.payoutDay) == [day, day])
        }

        for (user, s) in claims {
            let claim = try #require(try harness.claim(user: user, s))
            let (onChain, expected) = (try await harness.onChainClaim(user: user, s), try harness.expectedAmount(s))
            #expect(claim.state == .paid && onChain.claimed, "\(s.file)")
            #expect(claim.amount == expected && onChain.amount == expected, "\(s.file)")
        }
        try expectSettledOnce(harness, verified: 3, paid: 3, log: stopped.stderr)
    }

    /// A payout sent before midnight (chain time) and mined after counts on the next day, as the
    /// contract counts it: the claim's payout day is its block's, and the reconciler, comparing the
    /// day's total with `paidToday()` every second, finds nothing apart while it is in flight or after.
    /// (Seen on a loaded machine: the day stayed the one the payment was sent for, the reconciler
    /// paused the keeper at midnight, and `lg-keeper reconcile` kept finding the day's total apart.)
    @Test(.timeLimit(.minutes(3))) func aPaymentSentBeforeMidnightAndMinedAfterCountsOnTheNextDay() async throws {
        let harness = try SettlementHarness()
        defer { harness.stop() }
        // Two confirmations: the payment stays `execute_pending` for two blocks after it is mined.
        var chain = try #require(harness.configDocument["chain"]?.objectValue)
        chain["confirmations"] = 2
        _ = try harness.writeConfig("keeper.json", ["chain": .object(chain)])
        // The contract's limit (10) below the claim (25): the verdict goes alone and the payment waits.
        try await harness.ownerTransaction("setDailyPayoutLimit", [.uint(try harness.units(10))])
        let s = try SettlementHarness.scenario(Self.liquidations[0])
        try harness.addKey(user: 0, scenario: s)
        try harness.requestClaim(user: 0, scenario: s)
        let (rpc, reader, database) = (harness.rpc, try harness.reader, try harness.database())
        let reconciliations = { try database.fetchOne("SELECT count(*) FROM audit_log WHERE kind = 'reconcile.run'", as: Int.self) ?? 0 }
        // From here a block is mined only when this test mines one.
        try await rpc.setAutomine(false)
        func mineUntil(_ done: @escaping () async throws -> Bool) async throws -> Bool {
            try await harness.waitUntil(seconds: 90) {
                if try await done() { return true }
                try await rpc.mine()
                return false
            }
        }

        let stopped = try await whileKeeperRuns(harness) {
            let ledger = try harness.ledger()
            try #require(try await mineUntil { try ledger.list(state: .awaitingLimit).count == 1 })
            let abi = try ContractABI(json: Data(contentsOf: ReferencePython.repositoryRoot.appendingPathComponent("abi/LeverageGuard.json")))
            _ = try await rpc.send(from: try PrivateKey(hex: harness.devnet.deployment.owner.privateKey), chainID: harness.devnet.deployment.chainId,
                                   to: try harness.contract, data: try abi.function("setDailyPayoutLimit").encodeCall([.uint(try harness.units(1_000))]))
            try await rpc.mine()
            // The payment is sent and waits in the node's pool.
            try #require(try await harness.waitForClaims(seconds: 60) { $0.count(.executePending) == 1 }, "no payment was sent")
            let sent = try #require(try ledger.list(state: .executePending).first)
            let day = try await reader.chainDay()
            #expect(sent.payoutDay == day, "sent for the day of the head")
            // Midnight: the block holding the payment opens the next day.
            let head = try #require(try await rpc.block(.latest))
            try await rpc.setNextBlockTimestamp((head.timestamp / 86_400 + 1) * 86_400)
            try await rpc.mine()
            #expect(try await harness.onChainClaim(user: 0, s).claimed)
            // Reconciliations (one a second) while it is mined, on the new day, and not yet confirmed.
            let before = try reconciliations()
            #expect(try await harness.waitUntil(seconds: 60) { try reconciliations() >= before + 3 })
            #expect(try ledger.claim(id: sent.id)?.state == .executePending)
            try #require(try await mineUntil { try ledger.claim(id: sent.id)?.state == .paid })
            let paid = try #require(try ledger.claim(id: sent.id))
            #expect(paid.payoutDay == day + 1, "paid on the day of its block")
            #expect(try await reader.paidToday() == paid.amount)
        }
        // No mismatch raised while the keeper ran, and `lg-keeper reconcile` agrees afterwards.
        try expectSettledOnce(harness, verified: 1, paid: 1, log: stopped.stderr)
    }

    @Test(.timeLimit(.minutes(3))) func aPoolShortfallWaitsAndAlertsUntilTheOwnerDeposits() async throws {
        let secret = "whsec-\(UUID().uuidString)"
        let secretFile = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-webhook-\(UUID().uuidString)")
        try Data(secret.utf8).write(to: secretFile)
        defer { try? FileManager.default.removeItem(at: secretFile) }  // scratch file: a leftover harms nothing
        let receiver = try ServerProcess(script: "webhook_receiver.py", arguments: ["--port", "0", "--secret-file", secretFile.path])
        defer { receiver.stop() }
        // The pool holds 1000; with a reserve of 960 one payout of 25 fits, the second does not.
        let harness = try SettlementHarness(policy: ["minPoolReserve": "960"],
                                            sections: ["alerts": ["webhookURL": .string(receiver.baseURL + "/hook"), "secretEnv": "LGK_WEBHOOK_SECRET"]],
                                            environment: ["LGK_WEBHOOK_SECRET": secret])
        defer { harness.stop() }
        let claims = try fileClaims(harness, Array(Self.liquidations.prefix(2)))
        let reader = try harness.reader

        let stopped = try await whileKeeperRuns(harness) {
            try #require(try await harness.waitForClaims(seconds: 90) { $0.count(.paid) == 1 && $0.count(.awaitingFunds) == 1 })
            #expect(try await reader.poolBalance() == (try harness.units(975)))
            let waiting = try #require(try harness.ledger().list(state: .awaitingFunds).first)
            #expect(waiting.reason?.contains("reserve \(try harness.units(960))") == true, "\(waiting.reason ?? "")")

            let alerts = try harness.database().fetchAll("SELECT body FROM alerts WHERE kind = 'pool_shortfall'").map { try JSON(parsing: try $0.get("body", as: String.self)) }
            #expect(alerts.count == 1)
            #expect(alerts.first?["message"]?.stringValue?.contains(waiting.subject) == true)
            // Delivered to the webhook, signed with the secret.
            let delivered = try await harness.waitUntil(seconds: 60) {
                try Self.received(receiver).contains { $0["verified"] == .bool(true) && $0["body"]?["kind"]?.stringValue == "pool_shortfall" }
            }
            #expect(delivered, "the webhook received no signed pool_shortfall alert")

            try await harness.ownerDeposit(try harness.units(10))
            try #require(try await harness.waitForClaims(seconds: 60) { $0.count(.paid) == 2 })
            #expect(try await reader.poolBalance() == (try harness.units(960)), "paid down to the reserve, not below")
        }

        for (user, s) in claims {
            let (onChain, expected) = (try await harness.onChainClaim(user: user, s), try harness.expectedAmount(s))
            #expect(onChain.claimed && onChain.amount == expected, "\(s.file)")
        }
        try expectSettledOnce(harness, verified: 2, paid: 2, log: stopped.stderr)
        #expect(!stopped.stderr.contains(secret), "the webhook secret is not logged")
        let leaks = try harness.filesContainingSecrets([secret])
        #expect(leaks.isEmpty, "\(leaks)")
    }

    /// Issue 13, item 5: a verdict above `reviewAbove` is held before `verifyPayout`. Approve writes
    /// it and pays; reject writes "not paid" (amount 0) with the operator's decision sealed into new
    /// evidence; a keeper rebuilt from the chain with a fresh database pays nothing more, and knows
    /// the transactions on-chain as its own.
    @Test(.timeLimit(.minutes(4))) func aPayoutAboveReviewAboveIsHeldBeforeItsVerdictAndARejectionIsWrittenAsNotPaid() async throws {
        let harness = try SettlementHarness(policy: ["reviewAbove": "20"])
        defer { harness.stop() }
        let claims = try fileClaims(harness, Array(Self.liquidations.prefix(2)))
        let (approved, rejected) = (claims[0], claims[1])
        func decide(_ action: String, _ c: (user: Int, scenario: OKXScenario), _ extra: [String] = []) throws -> KeeperBinary.Result {
            try KeeperBinary.run(["claims", action, harness.devnet.deployment.users[c.user].address, c.scenario.ordId, "--by", "test-operator"] + extra
                                 + ["--config", harness.configPath])
        }
        var heldRoot: Hash?

        let stopped = try await whileKeeperRuns(harness) {
            try #require(try await harness.waitForClaims(seconds: 90) { $0.count(.heldReview) == 2 })
            // Held, not written, however many rounds pass: nothing is on-chain yet.
            try await Task.sleep(for: .seconds(1))
            let held = try harness.ledger().list(state: .heldReview)
            #expect(held.count == 2)
            #expect(held.allSatisfy { $0.reason?.contains("reviewAbove") == true && $0.evidenceRoot != nil && $0.liquidated == true })
            #expect(try harness.database().fetchOne("SELECT count(*) FROM txs", as: Int.self) == 0, "no verifyPayout before the review")
            for c in claims { #expect(try await harness.onChainClaim(user: c.user, c.scenario).verified == false) }
            heldRoot = try harness.claim(user: rejected.user, rejected.scenario)?.evidenceRoot

            let rejecting = try decide("reject", rejected, ["--note", "fills do not match the position"])
            #expect(rejecting.status == 0, "\(rejecting.stderr)")
            let approving = try decide("approve", approved)
            #expect(approving.status == 0, "\(approving.stderr)")
            try #require(try await harness.waitForClaims(seconds: 60) { $0.count(.paid) == 1 && $0.count(.rejected) == 1 })
            // A reconciliation pass (every second) runs after the rejection; `expectSettledOnce` checks it found nothing.
            try await Task.sleep(for: .seconds(1.5))
        }

        let paid = try #require(try harness.claim(user: approved.user, approved.scenario))
        let expected = try harness.expectedAmount(approved.scenario)
        #expect(paid.state == .paid && paid.review == .approved && paid.amount == expected)
        #expect(try await harness.onChainClaim(user: approved.user, approved.scenario).claimed)

        let refused = try #require(try harness.claim(user: rejected.user, rejected.scenario))
        #expect(refused.state == .rejected && refused.review == .rejected && refused.reviewBy == "test-operator", "\(refused.state.rawValue)")
        #expect(refused.amount == .zero && refused.reason == "rejected by operator test-operator: fills do not match the position", "\(refused.reason ?? "")")
        let refusedOnChain = try await harness.onChainClaim(user: rejected.user, rejected.scenario)
        #expect(refusedOnChain.verified && refusedOnChain.amount == .zero && refusedOnChain.liquidated && !refusedOnChain.claimed,
                "\"not paid\" on-chain, the liquidation as found")
        #expect(refusedOnChain.evidenceRoot == refused.evidenceRoot && refused.evidenceRoot != heldRoot, "a new bundle, resealed")
        // The new bundle holds the decision and names the bundle it amends; it verifies against the chain.
        let evidenceID = try #require(refused.evidenceID)
        let path = try #require(try harness.database().fetchOne("SELECT path FROM evidence WHERE evidence_id = ?", [evidenceID], as: String.self))
        let document = try JSON(parsing: String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self))
        let review = document["normalized"]?["review"]
        #expect(review?["decision"]?.stringValue == "rejected-by-operator" && review?["operator"]?.stringValue == "test-operator")
        #expect(review?["note"]?.stringValue == "fills do not match the position")
        #expect(document["normalized"]?["payout"]?["amount"]?.stringValue == "0")
        #expect(document["evidence"]?["parentRoot"]?.stringValue == heldRoot?.description)
        let checked = try KeeperBinary.run(["evidence", "verify", evidenceID, "--chain", "--config", harness.configPath], environment: harness.environment)
        #expect(checked.status == 0, "\(checked.stdout) \(checked.stderr)")

        let again = try decide("approve", rejected)
        #expect(again.status != 0 && again.stderr.contains("not held_review"), "a rejected claim cannot be approved later: \(again.stderr)")
        try expectSettledOnce(harness, verified: 2, paid: 1, log: stopped.stderr)

        // `claims show` prints the claim as recorded, and nothing secret.
        let shown = try KeeperBinary.run(["claims", "show", paid.user.description, paid.orderID.description, "--json", "--config", harness.configPath],
                                         environment: harness.environment)
        #expect(shown.status == 0, "\(shown.stderr)")
        let json = try JSON(parsing: shown.stdout)
        let readable = try KeeperBinary.run(["claims", "show", paid.user.description, paid.orderID.description, "--config", harness.configPath],
                                            environment: harness.environment)
        #expect(readable.status == 0 && readable.stdout.split(separator: "\n").contains { $0.hasPrefix("review ") && $0.contains("approved by") } && readable.stdout.contains("history\n"), "\(readable.stdout)")
        #expect(readable.stdout.contains("execute_pending → paid"), "\(readable.stdout)")
        #expect(json["state"]?.stringValue == "paid" && json["review"]?.stringValue == "approved")
        #expect(json["amount"]?.stringValue == paid.amount?.description && json["evidenceRoot"]?.stringValue == paid.evidenceRoot?.description)
        for secret in harness.secrets { #expect(!shown.stdout.contains(secret) && !shown.stderr.contains(secret) && !stopped.stderr.contains(secret)) }
        let leaks = try harness.filesContainingSecrets()
        #expect(leaks.isEmpty, "\(leaks)")

        // The database is lost. A keeper indexing the same chain from scratch (no keys, no
        // approvals) adopts both verdicts: the rejected claim stays unpaid, nothing is sent.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: harness.databasePath + suffix) }  // absent -wal/-shm are fine
        let rebuilt = try await whileKeeperRuns(harness) {
            let fresh = try harness.database()
            try #require(try await harness.waitUntil(seconds: 30) {
                try fresh.fetchOne("SELECT count(*) FROM sqlite_master WHERE name = 'claims'", as: Int.self) == 1
            }, "the rebuilt keeper never created its tables")
            try #require(try await harness.waitForClaims(seconds: 60) { $0.count == 2 && $0.allSatisfy(\.state.isFinal) })
            try await Task.sleep(for: .seconds(1.5))  // reconciliation passes run on the rebuilt database
        }
        #expect(try harness.claim(user: rejected.user, rejected.scenario)?.state == .rejected)
        let adopted = try #require(try harness.claim(user: approved.user, approved.scenario))
        #expect(adopted.state == .paid && adopted.amount == paid.amount)
        // The evidence files survived the database: the adopted verdict finds its evidence and position there.
        #expect(adopted.evidenceID == paid.evidenceID && adopted.positionID == paid.positionID && adopted.positionID != nil,
                "\(adopted.evidenceID ?? "-") \(adopted.positionID ?? "-")")
        let database = try harness.database()
        #expect(try database.fetchOne("SELECT count(*) FROM txs", as: Int.self) == 0, "the rebuilt keeper sent nothing: \(rebuilt.stderr.suffix(2_000))")
        let executed = try await CrashSafetyTests.eventCounts(LeverageGuardContract.payoutExecuted, harness: harness, contract: try harness.contract)
        #expect(executed.values.reduce(0, +) == 1)
        // Its own transactions are recognised by their sender: no foreign_verification / foreign_payout.
        let mismatches = try database.fetchAll("SELECT body FROM alerts WHERE kind = 'reconciliation_mismatch'").map { try $0.get(0, as: String.self) }
        #expect(mismatches.isEmpty, "\(mismatches)")
        let reconcile = try KeeperBinary.run(["reconcile", "--json", "--config", harness.configPath], environment: harness.environment)
        #expect(reconcile.status == 0, "\(reconcile.stdout) \(reconcile.stderr)")
    }

    /// Other users' transactions that each burn a whole block's gas at a 5 gwei tip crowd out the
    /// keeper's `verifyAndPay` (priced at the node's 1 gwei suggestion): after `bumpAfterBlocks`
    /// blocks the keeper re-signs it at the same nonce, and the claim settles once.
    @Test(.timeLimit(.minutes(3))) func aTransactionOutbidInFullBlocksIsBumpedAtTheSameNonce() async throws {
        let harness = try SettlementHarness(sections: ["fees": ["bumpAfterBlocks": 3, "bumpPercent": 15]])
        defer { harness.stop() }
        let claims = try fileClaims(harness, Array(Self.liquidations.prefix(1)))
        let rpc = harness.rpc
        let keeperAddress = try Address(hex: harness.devnet.deployment.keeper.address)
        let crowd = try PrivateKey(hex: harness.devnet.deployment.users[4].privateKey)
        let database = try harness.database()
        func attempts() throws -> [Row] {
            try database.fetchAll("SELECT a.* FROM tx_attempts a ORDER BY a.attempt")
        }
        try await rpc.setAutomine(false)

        let stopped = try await whileKeeperRuns(harness) {
            try #require(try await harness.waitUntil(seconds: 90) {
                try database.fetchOne("SELECT count(*) FROM txs WHERE sent_at IS NOT NULL", as: Int.self) == 1
            })
            for _ in 0..<3 {
                let gasLimit = try #require(try await rpc.block(.latest)).gasLimit
                try await rpc.send(from: crowd, chainID: harness.devnet.deployment.chainId, to: nil, data: [0xfe], gas: gasLimit,
                                   tip: UInt256(5_000_000_000))
                try await rpc.mine()
                let block = try #require(try await rpc.block(.latest))
                #expect(block.gasUsed == block.gasLimit, "a full block")
            }
            #expect(try await rpc.transactionCount(of: keeperAddress, block: .latest) == 0, "the keeper's transaction is still waiting")
            try #require(try await harness.waitUntil(seconds: 30) { try attempts().count == 2 })
            try await rpc.setAutomine(true)
            try await rpc.mine()
            try #require(try await harness.waitForClaims(seconds: 60) { $0.count(.paid) == 1 })
        }

        let rows = try attempts()
        let signed = try rows.map { try SignedTransaction(raw: try $0.get("raw", as: [UInt8].self)) }
        let fees = try rows.map { (try UInt256(decimal: try $0.get("max_fee", as: String.self)), try UInt256(decimal: try $0.get("max_priority_fee", as: String.self))) }
        #expect(signed.map(\.sender) == [keeperAddress, keeperAddress])
        #expect(signed[0].transaction.nonce == signed[1].transaction.nonce, "replaced at the same nonce")
        #expect(fees[1].0 >= FeeBump.raised(fees[0].0, perMille: 125) && fees[1].1 >= FeeBump.raised(fees[0].1, perMille: 125),
                "both fee fields raised by at least 12.5 %: \(fees)")
        #expect(try rows.map { try $0.get("state", as: String.self) } == ["replaced", "mined"])
        #expect(try await rpc.transactionReceipt(signed[0].hash) == nil, "the outbid attempt never mined")
        let verify = try #require(try database.fetchOne("SELECT hash, state, attempts FROM txs"))
        #expect(try verify.get("hash", as: String.self) == signed[1].hash.description, "the job's transaction is the replacement")
        #expect(try verify.get("attempts", as: Int.self) == 2)

        let (user, s) = claims[0]
        let (onChain, expected) = (try await harness.onChainClaim(user: user, s), try harness.expectedAmount(s))
        #expect(onChain.verified && onChain.claimed && onChain.amount == expected)
        #expect(try await rpc.transactionCount(of: keeperAddress, block: .latest) == 1, "one verifyAndPay, nothing else")
        try expectSettledOnce(harness, verified: 1, paid: 1, log: stopped.stderr)
    }
}

extension PayoutPolicySettlementTests {
    /// Registers each scenario's OKX key for devnet user `index` and files its claim on-chain.
    func fileClaims(_ harness: SettlementHarness, _ files: [String]) throws -> [(user: Int, scenario: OKXScenario)] {
        try files.enumerated().map { user, file in
            let s = try SettlementHarness.scenario(file)
            try harness.addKey(user: user, scenario: s)
            try harness.requestClaim(user: user, scenario: s)
            return (user, s)
        }
    }

    /// Runs `lg-keeper run` around `body` and stops it whatever happens; a failure shows the keeper's log.
    func whileKeeperRuns(_ harness: SettlementHarness, _ body: () async throws -> Void) async throws -> KeeperBinary.Result {
        let keeper = try harness.startKeeper()
        do { try await body() } catch {
            Issue.record("lg-keeper run log: \(keeper.terminate().stderr.suffix(4_000))")
            throw error
        }
        let stopped = keeper.terminate()
        #expect(stopped.status == 0, "lg-keeper run exited \(stopped.status): \(stopped.stderr.suffix(2_000))")
        return stopped
    }

    /// One verdict per decided claim and one payment per paid one, each done by one confirmed
    /// transaction (its own, a batch or `verifyAndPay`), nothing reverted, and the chain agreed with
    /// the database throughout (no mismatch, no pause) and at the end.
    func expectSettledOnce(_ harness: SettlementHarness, verified: Int, paid: Int, log: String) throws {
        let database = try harness.database()
        #expect(try database.fetchOne("SELECT count(*) FROM events WHERE name = 'PayoutVerified'", as: Int.self) == verified)
        try SettlementHarness.expectEachJobDoneOnce(database)
        #expect(try database.fetchOne("SELECT count(*) FROM txs WHERE state != 'confirmed'", as: Int.self) == 0, "\(log.suffix(2_000))")
        #expect(try database.fetchOne("SELECT count(*) FROM events WHERE name = 'PayoutExecuted'", as: Int.self) == paid)
        #expect(try AuditLog.verify(database).broken == nil)
        // The reconciler (every second) never found the chain and the database apart during the run.
        let mismatches = try database.fetchAll("SELECT body FROM alerts WHERE kind = 'reconciliation_mismatch'").map { try $0.get("body", as: String.self) }
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(try KeeperControl.state(database).paused == false)
        let reconcile = try KeeperBinary.run(["reconcile", "--json", "--config", harness.configPath], environment: harness.environment)
        #expect(reconcile.status == 0, "\(reconcile.stdout) \(reconcile.stderr)")
    }

    /// What the webhook receiver has been sent: `{verified, body}` per delivery.
    static func received(_ receiver: ServerProcess) throws -> [JSON] {
        let response = try HTTPClient().sendBlocking(HTTPRequest(method: .get, url: receiver.baseURL + "/received"))
        guard case .array(let items) = try JSON(parsing: response.body) else { throw ScenarioError(description: "/received is not a list") }
        return items
    }
}

extension [Claim] {
    func count(_ state: ClaimState) -> Int { filter { $0.state == state }.count }
}
