import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Settlement
@testable import Store

/// Issue 13, items 4 and 6, through `lg-keeper run` on a devnode with okxsim: an operator's
/// `claims retry`, a trader's new key resuming a claim, and a deep reorg that undoes the keeper's
/// transactions together with the claim — the re-indexed claim resumes from the contract's state,
/// and a job whose transaction the reorg undid is issued again rather than taken as done.
@Suite(.serialized) struct ClaimRecoveryTests {
    static let liquidation = "01-full-liquidation-long.json"

    func whileKeeperRuns(_ harness: SettlementHarness, _ body: () async throws -> Void) async throws -> KeeperBinary.Result {
        try await PayoutPolicySettlementTests().whileKeeperRuns(harness, body)
    }

    @Test(.timeLimit(.minutes(3))) func aFailedClaimRetriedByTheOperatorIsSettledFromTheContractsState() async throws {
        let user0 = try SettlementHarness.scenario(Self.liquidation)
        let harness = try SettlementHarness()
        defer { harness.stop() }
        // The payout policy refuses the user: the verdict is written, the payout refused, the claim fails.
        try rewritePolicy(harness) { $0["denylist"] = [.string(harness.devnet.deployment.users[0].address)] }
        try harness.addKey(user: 0, scenario: user0)
        try harness.requestClaim(user: 0, scenario: user0)
        let first = try await whileKeeperRuns(harness) {
            try #require(try await harness.waitForClaims(seconds: 60) { $0.first?.state == .failed })
        }
        let failed = try #require(try harness.claim(user: 0, user0))
        #expect(failed.reason?.contains("denylist") == true, "\(failed.reason ?? "") \(first.stderr.suffix(1_000))")
        let paidRetry = try KeeperBinary.run(["claims", "retry", failed.user.description, "99", "--config", harness.configPath])
        #expect(paidRetry.status != 0 && paidRetry.stderr.contains("no claim"), "\(paidRetry.stderr)")

        // The operator lifts the refusal and retries: the verdict on-chain is adopted, the payout sent.
        try rewritePolicy(harness) { $0["denylist"] = nil }
        let retry = try KeeperBinary.run(["claims", "retry", failed.user.description, failed.orderID.description, "--by", "ops", "--config", harness.configPath])
        #expect(retry.status == 0 && retry.stdout.contains("retried by ops; state requested"), "\(retry.stdout) \(retry.stderr)")
        let second = try await whileKeeperRuns(harness) {
            try #require(try await harness.waitForClaims(seconds: 60) { $0.first?.state == .paid })
        }
        let paid = try #require(try harness.claim(user: 0, user0))
        #expect(try paid.amount == harness.expectedAmount(user0) && paid.evidenceRoot == failed.evidenceRoot)
        #expect(try await harness.onChainClaim(user: 0, user0).claimed)
        let database = try harness.database()
        #expect(try database.fetchOne("SELECT count(*) FROM txs WHERE action = 'verify'", as: Int.self) == 1, "the verdict was not signed twice")
        #expect(try database.fetchOne("SELECT count(*) FROM txs WHERE action = 'execute'", as: Int.self) == 1, "\(second.stderr.suffix(1_000))")
        let history = try ClaimLedger(database: database).history(of: paid).map { $0.detail["why"]?.stringValue ?? $0.kind }
        #expect(history.contains("operator retry by ops") && history.contains("verdict adopted from the contract"), "\(history)")
        #expect(try AuditLog.verify(database).broken == nil)
        // A paid claim is not retried.
        let again = try KeeperBinary.run(["claims", "retry", paid.user.description, paid.orderID.description, "--config", harness.configPath])
        #expect(again.status != 0 && again.stderr.contains("is paid"), "\(again.stderr)")
    }

    @Test(.timeLimit(.minutes(3))) func aClaimWaitingForAKeyIsPaidOnceTheTraderAddsOne() async throws {
        let s = try SettlementHarness.scenario(Self.liquidation)
        let harness = try SettlementHarness()
        defer { harness.stop() }
        try harness.requestClaim(user: 0, scenario: s)
        _ = try await whileKeeperRuns(harness) {
            let database = try harness.database()
            try #require(try await harness.waitUntil(seconds: 30) {
                try database.fetchOne("SELECT count(*) FROM sqlite_master WHERE name = 'claims'", as: Int.self) == 1
            }, "the keeper never created its tables")
            try #require(try await harness.waitForClaims(seconds: 60) { $0.first?.state == .needsKey })
            let added = try KeeperBinary.runWithInput(["keys", "add", "--unchecked", "--wallet", harness.devnet.deployment.users[0].address, "--alias", "user0",
                                                       "--db", harness.databasePath],
                                                      input: "\(s.credentials.apiKey)\n\(s.credentials.secretKey)\n\(s.credentials.passphrase)\n",
                                                      environment: harness.environment)
            #expect(added.status == 0 && added.stdout.contains("1 claim(s) waiting for a key resumed"), "\(added.stdout) \(added.stderr)")
            try #require(try await harness.waitForClaims(seconds: 60) { $0.first?.state == .paid })
        }
        let claim = try #require(try harness.claim(user: 0, s))
        #expect(try claim.attempts == 0 && claim.amount == harness.expectedAmount(s))
        #expect(try harness.database().fetchOne("SELECT count(*) FROM audit_log WHERE kind = 'claims.key_added'", as: Int.self) == 1)
    }

    /// A key that can trade, stored unchecked (or given more powers on OKX after it was registered):
    /// the keeper asks OKX what the key may do before using it, removes it from the vault (audited),
    /// and the claim waits in `needs_key` with `key_invalid` saying why; the trader's read-only key,
    /// which `keys add` checks with OKX, resumes the claim and it is paid. Scenario 26: one account,
    /// `zane-trade` (perm "read_only,trade") and `zane` (perm "read_only").
    @Test(.timeLimit(.minutes(3))) func aHeldKeyThatCanTradeIsRemovedAndTheClaimWaitsForAReadOnlyOne() async throws {
        let s = try SettlementHarness.scenario("26-trade-key.json")
        let trade = try #require(try OKXScenario.accounts()["zane-trade"])
        let harness = try SettlementHarness()
        defer { harness.stop() }
        let wallet = harness.devnet.deployment.users[0].address.lowercased()
        let unchecked = try KeeperBinary.runWithInput(["keys", "add", "--unchecked", "--wallet", wallet, "--alias", "zane-trade", "--db", harness.databasePath],
                                                      input: "\(trade.apiKey)\n\(trade.secretKey)\n\(trade.passphrase)\n", environment: harness.environment)
        #expect(unchecked.status == 0, "\(unchecked.stderr)")
        try harness.requestClaim(user: 0, scenario: s)
        _ = try await whileKeeperRuns(harness) {
            try #require(try await harness.waitForClaims(seconds: 60) { $0.first?.state == .needsKey })
        }
        let database = try harness.database()
        let waiting = try #require(try harness.claim(user: 0, s))
        #expect(waiting.reason?.hasPrefix("OKX says the key 'zane-trade' of \(wallet) can trade (perm read_only,trade): it was removed from the vault; "
            + "the trader registers a read-only key") == true, "\(waiting.reason ?? "")")
        #expect(try database.fetchOne("SELECT count(*) FROM vault_keys", as: Int.self) == 0, "the key is no longer held")
        let removal = try database.fetchAll("SELECT subject, detail FROM audit_log WHERE kind = 'keys.removed'")
        #expect(try removal.count == 1 && removal.first?.get("subject", as: String.self) == wallet)
        let detail = try JSON(parsing: Array(try #require(removal.first).get("detail", as: String.self).utf8))
        #expect(detail["by"]?.stringValue == "keeper" && detail["perm"]?.stringValue == "read_only,trade" && detail["alias"]?.stringValue == "zane-trade")
        let alerts = try database.fetchAll("SELECT body FROM alerts WHERE kind = 'key_invalid'").map { try $0.get("body", as: String.self) }
        #expect(alerts.count == 1 && alerts.first?.contains("can trade") == true, "\(alerts)")
        #expect(try database.fetchOne("SELECT count(*) FROM txs", as: Int.self) == 0, "no verdict from a key the keeper will not hold")

        // The trader's read-only key, checked with OKX by `keys add` (okxsim through the configuration), resumes the claim.
        let added = try KeeperBinary.runWithInput(["keys", "add", "--wallet", wallet, "--alias", "zane", "--config", harness.configPath],
                                                  input: "\(s.credentials.apiKey)\n\(s.credentials.secretKey)\n\(s.credentials.passphrase)\n",
                                                  environment: harness.environment)
        #expect(added.status == 0 && added.stdout.contains("1 claim(s) waiting for a key resumed"), "\(added.stdout) \(added.stderr)")
        let run = try await whileKeeperRuns(harness) {
            try #require(try await harness.waitForClaims(seconds: 60) { $0.first?.state == .paid })
        }
        let paid = try #require(try harness.claim(user: 0, s))
        #expect(try paid.amount == harness.expectedAmount(s))
        #expect(try AuditLog.verify(database).broken == nil)
        #expect(try harness.filesContainingSecrets([trade.secretKey, trade.passphrase]).isEmpty)
        for secret in [trade.secretKey, trade.passphrase, s.credentials.secretKey, s.credentials.passphrase] {
            #expect(!run.stderr.contains(secret) && !unchecked.stdout.contains(secret) && !added.stdout.contains(secret))
        }
    }

    /// The keeper's verifyAndPay waits in the pool when another transaction signed with the keeper's
    /// key takes its nonce: the job is dropped, which is not the claim's fault. The verdict is issued
    /// again at a new nonce, and the claim is paid.
    @Test(.timeLimit(.minutes(3))) func aVerdictWhoseNonceAnotherTransactionTookIsIssuedAgain() async throws {
        let s = try SettlementHarness.scenario(Self.liquidation)
        let harness = try SettlementHarness()
        defer { harness.stop() }
        try harness.addKey(user: 0, scenario: s)
        try harness.requestClaim(user: 0, scenario: s)
        let rpc = harness.rpc
        let database = try harness.database()
        try await rpc.setAutomine(false)
        let stopped = try await whileKeeperRuns(harness) {
            try #require(try await harness.waitUntil(seconds: 60) {
                try database.fetchOne("SELECT count(*) FROM txs WHERE sent_at IS NOT NULL", as: Int.self) == 1
            }, "no verifyAndPay was sent")
            // The same key signs a transfer at nonce 0 with higher fees: it replaces the verdict in the pool.
            let key = try PrivateKey(hex: harness.devnet.deployment.keeper.privateKey)
            let gwei = UInt256(1_000_000_000)
            let other = try EIP1559Transaction(chainId: harness.devnet.deployment.chainId, nonce: 0, maxPriorityFeePerGas: gwei &* UInt256(50),
                                               maxFeePerGas: gwei &* UInt256(500), gasLimit: 21_000, to: key.address, value: UInt256(1)).signed(with: key)
            _ = try await rpc.sendRawTransaction(other.rawBytes)
            try await rpc.mine()
            // From here blocks keep coming, as on a real chain. Automine would not do: it mines only when a
            // transaction arrives, so a verdict issued again before it was back on would wait for a block that never comes.
            let blocks = Task {
                while !Task.isCancelled {
                    try? await rpc.mine()  // a failed block is only a later one: the wait below judges the keeper
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
            defer { blocks.cancel() }
            // The drop is seen once the other transaction is mined; then the verdict is issued again, mined and paid.
            try #require(try await harness.waitForClaims(seconds: 60) { $0.first?.state == .paid })
        }
        let claim = try #require(try harness.claim(user: 0, s))
        #expect(try claim.attempts == 0 && claim.amount == harness.expectedAmount(s), "\(stopped.stderr.suffix(2_000))")
        let rows = try database.fetchAll("SELECT action, generation, nonce, state FROM txs ORDER BY nonce").map {
            "\(try $0.get("action", as: String.self)) \(try $0.get("generation", as: Int.self)) \(try $0.get("nonce", as: Int.self)) \(try $0.get("state", as: String.self))"
        }
        // The dropped verifyAndPay's verdict went again in a new one (its own key) at the next nonce.
        #expect(rows == ["execute 0 0 dropped", "execute 0 1 confirmed"], "\(rows)")
        let history = try ClaimLedger(database: database).history(of: claim).compactMap { $0.detail["why"]?.stringValue }
        #expect(history.contains { $0.contains("ended dropped without the verdict on-chain: sent again") }, "\(history)")
        let onChain = try await harness.onChainClaim(user: 0, s)
        #expect(onChain.verified && onChain.claimed && onChain.amount == claim.amount)
        #expect(try AuditLog.verify(database).broken == nil)
    }

    /// What the reorg tests share: user 0's claim for scenario 01, filed with a transaction signed
    /// here so that the very same bytes can be mined again after the reorg, settled by the keeper.
    struct Settled {
        let harness: SettlementHarness
        let snapshot: JSON
        let request: [UInt8]
        let claim: Claim
    }

    func settleOnce() async throws -> Settled {
        let s = try SettlementHarness.scenario(Self.liquidation)
        let harness = try SettlementHarness()
        try harness.addKey(user: 0, scenario: s)
        let snapshot = try await harness.rpc.call("evm_snapshot")
        let request = try await signedRequest(harness, s)
        _ = try await harness.rpc.sendRawTransaction(request)
        _ = try await whileKeeperRuns(harness) {
            try #require(try await harness.waitForClaims(seconds: 60) { $0.first?.state == .paid })
        }
        let claim = try #require(try harness.claim(user: 0, s))
        #expect(claim.positionID != nil && claim.evidenceID != nil)
        return Settled(harness: harness, snapshot: snapshot, request: request, claim: claim)
    }

    /// The chain goes back to before the claim was filed (the keeper is stopped); new blocks follow.
    func reorg(_ settled: Settled) async throws {
        #expect(try await settled.harness.rpc.call("evm_revert", [settled.snapshot]) == .bool(true))
        try await settled.harness.rpc.mine(2)
    }

    func waitForHalt(_ harness: SettlementHarness) async throws {
        let database = try harness.database()
        try #require(try await harness.waitUntil(seconds: 30) {
            try database.fetchOne("SELECT halted FROM cursor WHERE id = 1", as: Bool.self) == true
        }, "the deep reorg did not halt claim processing")
    }

    func resumeHalt(_ harness: SettlementHarness) throws {
        let resumed = try KeeperBinary.run(["resume", "--halt", "--by", "test", "--config", harness.configPath], environment: harness.environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
    }

    @Test(.timeLimit(.minutes(3))) func aJobWhoseTransactionADeepReorgUndidIsIssuedAgainWithANewNonce() async throws {
        let settled = try await settleOnce()
        let harness = settled.harness
        defer { harness.stop() }
        let database = try harness.database()
        let keeper = try Address(hex: harness.devnet.deployment.keeper.address)
        try await reorg(settled)
        #expect(try await harness.rpc.transactionCount(of: keeper, block: .latest) == 0, "the reorg undid the keeper's verifyAndPay")

        let stopped = try await whileKeeperRuns(harness) {
            try await waitForHalt(harness)
            // The keeper sends what it stored again, filling its nonce; without the claim on-chain it fails.
            try #require(try await harness.waitUntil(seconds: 30) {
                try database.fetchOne("SELECT count(*) FROM txs WHERE generation = 0 AND state = 'reverted'", as: Int.self) == 1
            }, "the undone transaction was not sent again")
            // The trader's request is mined again (the same transaction: the same job keys); the operator clears the halt.
            _ = try await harness.rpc.sendRawTransaction(settled.request)
            try resumeHalt(harness)
            try #require(try await harness.waitForClaims(seconds: 60) { $0.first?.state == .paid })
        }

        let claim = try #require(try harness.ledger().claim(user: settled.claim.user, orderID: settled.claim.orderID))
        #expect(claim.requestTxHash == settled.claim.requestTxHash && claim.amount == settled.claim.amount, "\(stopped.stderr.suffix(2_000))")
        let rows = try database.fetchAll("SELECT action, generation, nonce, state FROM txs ORDER BY nonce").map {
            "\(try $0.get("action", as: String.self)) \(try $0.get("generation", as: Int.self)) \(try $0.get("nonce", as: Int.self)) \(try $0.get("state", as: String.self))"
        }
        // The claim's verdict and payment went again in a new verifyAndPay (its own key), at the next nonce.
        #expect(rows == ["execute 0 0 reverted", "execute 0 1 confirmed"], "\(rows)")
        #expect(try await harness.rpc.transactionCount(of: keeper, block: .latest) == 2)
        let onChain = try await harness.reader.claim(user: claim.user, orderID: claim.orderID)
        #expect(onChain.verified && onChain.claimed && onChain.amount == claim.amount)
        let executed = try await CrashSafetyTests.eventCounts(LeverageGuardContract.payoutExecuted, harness: harness, contract: try harness.contract)
        #expect(executed.values.reduce(0, +) == 1, "paid once")
        let reconcile = try KeeperBinary.run(["reconcile", "--json", "--config", harness.configPath], environment: harness.environment)
        #expect(reconcile.status == 0, "\(reconcile.stdout) \(reconcile.stderr)")
        #expect(try AuditLog.verify(database).broken == nil)
    }

    @Test(.timeLimit(.minutes(3))) func aClaimReindexedAfterADeepReorgAdoptsTheContractsStateWithItsPosition() async throws {
        let settled = try await settleOnce()
        let harness = settled.harness
        defer { harness.stop() }
        let database = try harness.database()
        try await reorg(settled)
        // The request is mined again before the keeper looks: its stored transactions, sent again, succeed.
        _ = try await harness.rpc.sendRawTransaction(settled.request)

        let stopped = try await whileKeeperRuns(harness) {
            try await waitForHalt(harness)
            try #require(try await harness.waitUntil(seconds: 30) {
                try database.fetchOne("SELECT count(*) FROM txs WHERE state = 'confirmed'", as: Int.self) == 1
            }, "the undone transaction was not mined again")
            // The transaction can be confirmed in the round that found the reorg, before the follower's
            // next round indexes the request again: the claim comes back as requested, and stays so while halted.
            let reindexed = try await harness.waitForClaims(seconds: 30) { $0.count == 1 && $0.first?.state == .requested }
            let states = try harness.ledger().list().map(\.state)
            #expect(reindexed, "re-indexed, and halted: \(states)")
            try resumeHalt(harness)
            try #require(try await harness.waitForClaims(seconds: 60) { $0.first?.state == .paid })
            try await Task.sleep(for: .seconds(1.5))  // reconciliation passes run after the adoption
        }

        let claim = try #require(try harness.ledger().claim(user: settled.claim.user, orderID: settled.claim.orderID))
        #expect(claim.positionID == settled.claim.positionID, "the position identity comes back from the local evidence")
        #expect(claim.evidenceID == settled.claim.evidenceID && claim.evidenceRoot == settled.claim.evidenceRoot)
        #expect(claim.payoutDay == settled.claim.payoutDay, "\(String(describing: claim.payoutDay))")
        #expect(try database.fetchOne("SELECT count(*) FROM txs", as: Int.self) == 1, "nothing new signed: \(stopped.stderr.suffix(2_000))")
        let history = try harness.ledger().history(of: claim).compactMap { $0.detail["why"]?.stringValue }
        #expect(history.last == "verdict adopted from the contract", "\(history)")
        let mismatches = try database.fetchAll("SELECT body FROM alerts WHERE kind = 'reconciliation_mismatch'").map { try $0.get(0, as: String.self) }
        #expect(mismatches.isEmpty, "\(mismatches)")
        let reconcile = try KeeperBinary.run(["reconcile", "--json", "--config", harness.configPath], environment: harness.environment)
        #expect(reconcile.status == 0, "\(reconcile.stdout) \(reconcile.stderr)")
    }
}

extension ClaimRecoveryTests {
    /// `requestClaim` for `s` from devnet user 0, signed at its next nonce with fixed fees.
    func signedRequest(_ harness: SettlementHarness, _ s: OKXScenario) async throws -> [UInt8] {
        let key = try PrivateKey(hex: harness.devnet.deployment.users[0].privateKey)
        let abi = try ContractABI(json: Data(contentsOf: ReferencePython.repositoryRoot.appendingPathComponent("abi/LeverageGuard.json")))
        // In pool base units, as the harness files claims: pool.decimals (or the older policy.poolDecimals).
        let config = try JSON(parsing: String(decoding: try Data(contentsOf: URL(fileURLWithPath: harness.configPath)), as: UTF8.self))
        let decimals = config["pool"]?["decimals"]?.intValue ?? config["policy"]?["poolDecimals"]?.intValue ?? 18
        let principal = try UInt256(decimal: NSDecimalNumber(decimal: s.principal * pow(10, decimals)).stringValue)
        let data = try abi.function("requestClaim").encodeCall([.uint(try UInt256(decimal: s.ordId)), .string(s.instId), .uint(principal),
                                                                 .uint(UInt256(UInt64(s.leverage)))])
        let nonce = try await harness.rpc.transactionCount(of: key.address, block: .pending)
        let gwei = UInt256(1_000_000_000)
        return try EIP1559Transaction(chainId: harness.devnet.deployment.chainId, nonce: nonce, maxPriorityFeePerGas: gwei, maxFeePerGas: gwei &* UInt256(100),
                                      gasLimit: 500_000, to: try harness.contract, data: data).signed(with: key).rawBytes
    }

    /// Rewrites the harness's `policy` section with `change`.
    func rewritePolicy(_ harness: SettlementHarness, _ change: (inout [String: JSON]) -> Void) throws {
        let url = URL(fileURLWithPath: harness.configPath)
        var config = try JSON(parsing: String(decoding: try Data(contentsOf: url), as: UTF8.self)).objectValue ?? [:]
        var policy = config["policy"]?.objectValue ?? [:]
        change(&policy)
        config["policy"] = .object(policy)
        try Data(JSON.object(config).serialized()).write(to: url)
    }
}
