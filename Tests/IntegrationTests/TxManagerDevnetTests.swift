import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Settlement
@testable import Store

/// The transaction manager against a devnode of its own (DESIGN.md §6): `verifyPayout` from the
/// keeper's account, settled exactly once through crashes, node refusals, stuck fees and reorgs.
/// Serialized: every test sends from the keeper's account, and some stop automine or revert the chain.
@Suite(.serialized) struct TxManagerDevnetTests {
    static let sharedDevnet = Result { try Devnet(arguments: ["--pool-token"]) }
    let h: TxManagerHarness

    init() throws {
        h = try TxManagerHarness(devnet: try Self.sharedDevnet.get())
    }

    func hex(_ bytes: [UInt8]) -> String { "0x" + bytes.map { String(format: "%02x", $0) }.joined() }

    func root() -> Hash { Hash.keccak256(Array(UUID().uuidString.utf8)) }

    /// Runs `body` with automine off, turning it back on whatever happens.
    func withoutAutomine(_ body: () async throws -> Void) async throws {
        try await h.setAutomine(false)
        do { try await body() } catch {
            try await h.setAutomine(true)
            throw error
        }
        try await h.setAutomine(true)
    }

    @Test func submitIsConfirmedAndChangesTheContract() async throws {
        let claim = try await h.requestClaim(user: 0)
        let key = claim.key(h.chainID)
        let manager = try h.manager()
        try manager.database.execute("CREATE TABLE marks (job TEXT PRIMARY KEY)")
        let evidence = root()
        let nonceBefore = try await h.keeperNonce()

        let stored = try await manager.submit(key, to: h.contract, data: try h.verifyPayoutData(claim, root: evidence)) { db in
            try db.execute("INSERT INTO marks (job) VALUES (?)", [key.description])
        }
        #expect(stored.nonce == nonceBefore)
        #expect(stored.sentAt != nil)
        #expect(stored.sender == h.keeper)
        #expect(try h.count(manager, "SELECT count(*) FROM marks") == 1, "alsoWrite committed with the transaction")
        #expect(try SignedTransaction(raw: stored.raw).hash == stored.hash)
        #expect(try await h.rpc.transaction(stored.hash)?.nonce == stored.nonce)

        let outcomes = try await h.settle(manager, key)
        #expect(outcomes.filter { $0.key == key } == [try #require(try manager.outcome(for: key))])
        let outcome = try #require(try manager.outcome(for: key))
        #expect(outcome.kind == .confirmed)
        #expect(outcome.hash == stored.hash)
        #expect(try manager.transaction(for: key)?.state == .confirmed)
        let onChain = try await h.onChain(claim)
        #expect(onChain.verified && onChain.root == evidence && onChain.amount == UInt256(1_000_000_000_000_000_000))
        #expect(try await h.keeperNonce() == nonceBefore + 1)

        // Reported once: later polls are silent about it.
        try await h.mine()
        #expect(try await manager.poll().isEmpty)
        let stats = manager.statistics.snapshot
        #expect(stats.sent == 1 && stats.confirmed == 1 && stats.bumped == 0 && stats.nonceGap == 0 && stats.oldestPendingAgeSeconds == 0)
    }

    @Test func submittingTheSameJobTwiceMakesOneTransaction() async throws {
        let claim = try await h.requestClaim(user: 1)
        let key = claim.key(h.chainID)
        let manager = try h.manager()
        let data = try h.verifyPayoutData(claim, root: root())
        let nonceBefore = try await h.keeperNonce()
        var writes = 0
        let first = try await manager.submit(key, to: h.contract, data: data) { _ in writes += 1 }
        let second = try await manager.submit(key, to: h.contract, data: data) { _ in writes += 1 }
        #expect(first.id == second.id && first.hash == second.hash && first.nonce == second.nonce)
        #expect(writes == 1, "alsoWrite runs only with the transaction that is stored")
        #expect(try h.count(manager, "SELECT count(*) FROM txs") == 1)
        #expect(try h.count(manager, "SELECT count(*) FROM tx_attempts") == 1)
        _ = try await h.settle(manager, key)
        #expect(try await h.keeperNonce() == nonceBefore + 1)
        // Even after it is final, the key stands for the same transaction.
        #expect(try await manager.submit(key, to: h.contract, data: data).hash == first.hash)
    }

    @Test func aRevertingCallThrowsItsReasonAndStoresNothing() async throws {
        let manager = try h.manager()
        let ghost = TxManagerHarness.Claim(user: try Address(hex: h.devnet.deployment.users[2].address), orderID: UInt256(424_242),
                                           requestTxHash: Hash.keccak256([1, 2, 3]), requestLogIndex: 0)
        let nonceBefore = try await h.keeperNonce(.pending)
        var writes = 0
        let error = await #expect(throws: KeeperError.self) {
            try await manager.submit(ghost.key(h.chainID), to: h.contract, data: try h.verifyPayoutData(ghost, root: root())) { _ in writes += 1 }
        }
        #expect(error?.code == .reverted)
        #expect(error?.revertReason == .error("no claim"))
        #expect(error?.message.contains("no claim") == true)
        #expect(writes == 0)
        #expect(try h.count(manager, "SELECT count(*) FROM txs") == 0)
        #expect(try h.count(manager, "SELECT count(*) FROM tx_attempts") == 0)
        #expect(try await h.keeperNonce(.pending) == nonceBefore)
    }

    @Test func aCrashBetweenCommitAndBroadcastIsBroadcastOnceByResync() async throws {
        let claim = try await h.requestClaim(user: 2)
        let key = claim.key(h.chainID)
        let path = h.newDatabasePath()
        let nonceBefore = try await h.keeperNonce(.pending)
        let crashed = try h.manager(path: path, broadcastOnSubmit: false)
        let stored = try await crashed.submit(key, to: h.contract, data: try h.verifyPayoutData(claim, root: root()))
        #expect(stored.sentAt == nil)
        #expect(try await h.rpc.transaction(stored.hash) == nil, "never sent")
        #expect(try await h.keeperNonce(.pending) == nonceBefore)

        let restarted = try h.manager(path: path)
        let report = try await restarted.resync()
        #expect(report.broadcast == 1)
        #expect(try await h.rpc.transactionReceipt(stored.hash) != nil)
        #expect(try await restarted.resync().broadcast == 0, "sent once, not again")
        #expect(try await restarted.submit(key, to: h.contract, data: []).hash == stored.hash)
        _ = try await h.settle(restarted, key)
        #expect(try restarted.outcome(for: key)?.kind == .confirmed)
        #expect(try await h.keeperNonce() == nonceBefore + 1)
        #expect(try await h.onChain(claim).verified)
    }

    @Test func alreadyKnownIsResolvedWithoutSigningAgain() async throws {
        let claim = try await h.requestClaim(user: 3)
        let key = claim.key(h.chainID)
        let manager = try h.manager(broadcastOnSubmit: false)
        try await withoutAutomine {
            let stored = try await manager.submit(key, to: h.contract, data: try h.verifyPayoutData(claim, root: root()))
            // The send reached the node, then the keeper died before recording it.
            #expect(try await h.rpc.sendRawTransaction(stored.raw) == stored.hash)
            #expect(try await manager.resync().broadcast == 1)
            let after = try #require(try manager.transaction(for: key))
            #expect(after.sentAt != nil && after.lastError == nil && after.attempts == 1 && after.hash == stored.hash)
            #expect(try await h.pooledKeeperHashes() == [stored.hash.description])
            try await h.mine()
        }
        _ = try await h.settle(manager, key)
        #expect(try manager.outcome(for: key)?.kind == .confirmed)
        #expect(try manager.attempts(for: key).count == 1)
    }

    @Test func nonceTooLowIsResolvedThroughReceipts() async throws {
        let claim = try await h.requestClaim(user: 4)
        let key = claim.key(h.chainID)
        let manager = try h.manager(broadcastOnSubmit: false)
        let stored = try await manager.submit(key, to: h.contract, data: try h.verifyPayoutData(claim, root: root()))
        // Sent and mined behind the keeper's back (it crashed after the send).
        _ = try await h.rpc.sendRawTransaction(stored.raw)
        let refusal = await #expect(throws: RPCError.self) { try await h.rpc.sendRawTransaction(stored.raw) }
        #expect(refusal?.broadcastRefusal == .nonceTooLow, "the node's wording is recognised")
        _ = try await manager.resync()
        let after = try #require(try manager.transaction(for: key))
        #expect(after.state == .mined && after.hash == stored.hash && after.attempts == 1)
        _ = try await h.settle(manager, key)
        #expect(try manager.outcome(for: key)?.kind == .confirmed)
    }

    @Test func theNonceIsTheLargerOfStoredPlusOneAndThePendingCount() async throws {
        // Pending count ahead of the database: the key was used elsewhere.
        let keeperKey = try PrivateKey(hex: h.devnet.deployment.keeper.privateKey)
        try await h.send(from: keeperKey, to: h.keeper, data: [], gas: 21_000)
        let pending = try await h.keeperNonce(.pending)
        let claims = [try await h.requestClaim(user: 0), try await h.requestClaim(user: 1), try await h.requestClaim(user: 2)]
        let fresh = try h.manager()
        let first = try await fresh.submit(claims[0].key(h.chainID), to: h.contract, data: try h.verifyPayoutData(claims[0], root: root()))
        #expect(first.nonce == pending)
        _ = try await h.settle(fresh, claims[0].key(h.chainID))

        // The database ahead of the pending count: stored but unsent transactions.
        let path = h.newDatabasePath()
        let offline = try h.manager(path: path, broadcastOnSubmit: false)
        let chainPending = try await h.keeperNonce(.pending)
        let a = try await offline.submit(claims[1].key(h.chainID), to: h.contract, data: try h.verifyPayoutData(claims[1], root: root()))
        let b = try await offline.submit(claims[2].key(h.chainID), to: h.contract, data: try h.verifyPayoutData(claims[2], root: root()))
        #expect(a.nonce == chainPending && b.nonce == chainPending + 1)
        #expect(try await h.keeperNonce(.pending) == chainPending)
        let report = try await offline.resync()
        #expect(report.broadcast == 2 && report.nextNonce == chainPending + 2)
        _ = try await h.settle(offline, claims[2].key(h.chainID))
        #expect(try offline.outcome(for: claims[1].key(h.chainID))?.kind == .confirmed)
        #expect(try offline.outcome(for: claims[2].key(h.chainID))?.kind == .confirmed)
        #expect(try await h.keeperNonce() == chainPending + 2)
    }

    @Test func aStuckTransactionIsReplacedAtTheSameNonceAndSettlesOnce() async throws {
        let claim = try await h.requestClaim(user: 3)
        let key = claim.key(h.chainID)
        let manager = try h.manager(bumpAfterBlocks: 2, feeOracle: StaleFirstQuoteOracle(rpc: h.rpc))
        let nonceBefore = try await h.keeperNonce()
        var attempts = [TxAttempt]()
        try await withoutAutomine {
            let stored = try await manager.submit(key, to: h.contract, data: try h.verifyPayoutData(claim, root: root()))
            #expect(stored.maxFeePerGas < (try await h.nextBaseFee()), "priced below the base fee: stuck")
            try await h.mine(1)
            #expect(try await manager.poll().isEmpty)
            #expect(try manager.attempts(for: key).count == 1, "no bump before bumpAfterBlocks")
            try await h.mine(1)
            #expect(try await manager.poll().isEmpty)
            attempts = try manager.attempts(for: key)
            try #require(attempts.count == 2)
            let (new, old) = (attempts[0], attempts[1])
            #expect(new.state == .pending && old.state == .replaced)
            #expect(new.maxFeePerGas >= FeeBump.raised(old.maxFeePerGas, perMille: 125))
            #expect(new.maxPriorityFeePerGas >= FeeBump.raised(old.maxPriorityFeePerGas, perMille: 125))
            #expect(try await h.pooledKeeperHashes() == [new.hash.description], "the replacement took the old one's place")
            // eth-account reads both attempts as the keeper's, at the same nonce.
            let decoded = try ReferencePython.run("""
                import json, sys
                from eth_account import Account
                from eth_account.typed_transactions import TypedTransaction
                from hexbytes import HexBytes
                for raw in json.load(sys.stdin):
                    tx = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
                    print(Account.recover_transaction(raw).lower(), tx["nonce"], tx["maxFeePerGas"], tx["maxPriorityFeePerGas"])
                """, stdin: "[\"\(hex(old.raw))\", \"\(hex(new.raw))\"]")
            #expect(decoded.split(separator: "\n").map(String.init) == [old, new].map {
                "\(h.keeper) \(stored.nonce) \($0.maxFeePerGas) \($0.maxPriorityFeePerGas)"
            })
            try await h.mine(1)
        }
        _ = try await h.settle(manager, key)
        let outcome = try #require(try manager.outcome(for: key))
        #expect(outcome.kind == .confirmed && outcome.hash == attempts[0].hash)
        #expect(try await h.rpc.transactionReceipt(attempts[1].hash) == nil, "the replaced attempt never mined")
        #expect(try manager.attempts(for: key).map(\.state) == [.mined, .replaced])
        #expect(try await h.keeperNonce() == nonceBefore + 1)
        #expect(try await h.onChain(claim).verified)
        #expect(manager.statistics.snapshot.bumped == 1)
    }

    @Test func theFeeCapStopsBumpingAndIsReportedOnce() async throws {
        let claim = try await h.requestClaim(user: 4)
        let key = claim.key(h.chainID)
        let snapshot = try await h.snapshot()
        let cap = try (try await h.nextBaseFee()).divided(by: UInt256(3))
        let manager = try h.manager(cap: cap, bumpAfterBlocks: 1)
        try await withoutAutomine {
            let stored = try await manager.submit(key, to: h.contract, data: try h.verifyPayoutData(claim, root: root()))
            #expect(stored.maxFeePerGas == cap)
            try await h.mine(1)
            let outcomes = try await manager.poll()
            #expect(outcomes.map(\.kind) == [.feeCapReached] && outcomes.first?.key == key)
            try await h.mine(1)
            #expect(try await manager.poll().isEmpty, "reported once")
            #expect(try manager.attempts(for: key).count == 1, "no attempt above the cap")
            #expect(try manager.transaction(for: key)?.feeCapReached == true)
            #expect(try manager.outcome(for: key) == nil, "still in flight")
            #expect(manager.statistics.snapshot.feeCapReached == 1)
        }
        try await h.revert(snapshot)
    }

    @Test func aTransactionTheNodeForgotIsRebroadcast() async throws {
        let claim = try await h.requestClaim(user: 0)
        let key = claim.key(h.chainID)
        let manager = try h.manager()
        try await withoutAutomine {
            let snapshot = try await h.snapshot()
            let stored = try await manager.submit(key, to: h.contract, data: try h.verifyPayoutData(claim, root: root()))
            try await h.revert(snapshot)  // the pool forgets it
            #expect(try await h.rpc.transaction(stored.hash) == nil)
            #expect(try await manager.poll().isEmpty)
            #expect(try await h.rpc.transaction(stored.hash) != nil, "the stored bytes were sent again")
            #expect(manager.statistics.snapshot.rebroadcast == 1)
            try await h.mine(1)
        }
        _ = try await h.settle(manager, key)
        #expect(try manager.outcome(for: key)?.kind == .confirmed)
        #expect(try manager.attempts(for: key).count == 1)
    }

    @Test func aMinedTransactionWhoseBlockIsReorgedOutIsSentAgain() async throws {
        let claim = try await h.requestClaim(user: 1)
        let key = claim.key(h.chainID)
        let manager = try h.manager(confirmations: 3)
        let snapshot = try await h.snapshot()
        let stored = try await manager.submit(key, to: h.contract, data: try h.verifyPayoutData(claim, root: root()))
        #expect(try await manager.poll().isEmpty)
        let mined = try #require(try manager.transaction(for: key))
        #expect(mined.state == .mined)
        let oldBlock = try #require(mined.blockHash)

        try await h.revert(snapshot)
        try await h.mine(1)
        #expect(try await manager.poll().isEmpty)
        #expect(manager.statistics.snapshot.reorgedOut == 1)
        _ = try await h.settle(manager, key)
        let final = try #require(try manager.transaction(for: key))
        #expect(final.state == .confirmed && final.hash == stored.hash && final.attempts == 1)
        #expect(final.blockHash != oldBlock)
        #expect(try await h.onChain(claim).verified)
    }

    @Test func aTransactionTheNodeRefusesBelowItsBaseFeeStillReportsTheCap() async throws {
        let claim = try await h.requestClaim(user: 2)
        let key = claim.key(h.chainID)
        let cap = try (try await h.nextBaseFee()).divided(by: UInt256(3))
        let manager = try h.manager(cap: cap, bumpAfterBlocks: 1)
        // With automine on the devnode refuses a fee cap below the base fee, as some nodes do.
        let stored = try await manager.submit(key, to: h.contract, data: try h.verifyPayoutData(claim, root: root()))
        #expect(stored.sentAt == nil && stored.lastError?.contains("base fee") == true)
        try await h.mine(1)
        let outcomes = try await manager.poll()
        #expect(outcomes.map(\.kind) == [.feeCapReached])
        #expect(try manager.attempts(for: key).count == 1)
        #expect(try await manager.poll().isEmpty)
    }

    @Test func aNonceUsedByAnotherTransactionEndsTheJobAsDropped() async throws {
        let claim = try await h.requestClaim(user: 3)
        let key = claim.key(h.chainID)
        let manager = try h.manager(broadcastOnSubmit: false)
        let stored = try await manager.submit(key, to: h.contract, data: try h.verifyPayoutData(claim, root: root()))
        // The same key, used elsewhere, takes the nonce first.
        try await h.send(from: try PrivateKey(hex: h.devnet.deployment.keeper.privateKey), to: h.keeper, data: [], gas: 21_000)
        #expect(try await h.keeperNonce() == stored.nonce + 1)
        _ = try await manager.resync()  // "nonce too low", and no receipt of ours
        #expect(try manager.transaction(for: key)?.state == .pending)
        let outcomes = try await h.settle(manager, key)
        #expect(outcomes.map(\.kind) == [.dropped])
        #expect(try manager.outcome(for: key)?.kind == .dropped)
        #expect(try manager.attempts(for: key).count == 1, "never signed again")
        #expect(try await h.onChain(claim).verified == false)
        try await h.mine()
        #expect(try await manager.poll().isEmpty)

        // submit keeps answering with the dropped transaction; resubmit, after the contract was read, makes the next generation.
        let data = try h.verifyPayoutData(claim, root: root())
        #expect(try await manager.submit(key, to: h.contract, data: data).hash == stored.hash)
        let next = try await manager.resubmit(key, to: h.contract, data: data)
        #expect(next.generation == 1 && next.nonce == stored.nonce + 1 && next.hash != stored.hash)
        #expect(try await manager.resubmit(key, to: h.contract, data: data).hash == next.hash, "in flight: returned as is")
        _ = try await h.settle(manager, key)
        #expect(try manager.outcome(for: key)?.kind == .confirmed)
        #expect(try await h.onChain(claim).verified)
        #expect(try h.count(manager, "SELECT count(*) FROM txs") == 2)
    }

    @Test func aFailingCallerWriteRollsBackTheTransactionAndReservesNoNonce() async throws {
        struct Refused: Error {}
        let claim = try await h.requestClaim(user: 4)
        let key = claim.key(h.chainID)
        let manager = try h.manager()
        let data = try h.verifyPayoutData(claim, root: root())
        let pending = try await h.keeperNonce(.pending)
        await #expect(throws: KeeperError.self) {
            try await manager.submit(key, to: h.contract, data: data) { _ in throw Refused() }
        }
        #expect(try h.count(manager, "SELECT count(*) FROM txs") == 0)
        #expect(try h.count(manager, "SELECT count(*) FROM tx_attempts") == 0)
        #expect(try await h.keeperNonce(.pending) == pending, "nothing was broadcast")
        let stored = try await manager.submit(key, to: h.contract, data: data)
        #expect(stored.nonce == pending, "the nonce was not reserved by the failed attempt")
        _ = try await h.settle(manager, key)
        #expect(try manager.outcome(for: key)?.kind == .confirmed)
    }

    @Test func aTransactionThatRevertsOnChainIsReportedWithItsReason() async throws {
        let claim = try await h.requestClaim(user: 0)
        let key = claim.key(h.chainID)
        // Two keepers (two databases) verify the same claim in the same block: the second one loses.
        let winner = try h.manager(), loser = try h.manager()
        try await withoutAutomine {
            let first = try await winner.submit(key, to: h.contract, data: try h.verifyPayoutData(claim, root: root()))
            let second = try await loser.submit(key, to: h.contract, data: try h.verifyPayoutData(claim, root: root()))
            #expect(second.nonce == first.nonce + 1)
            try await h.mine(1)
        }
        let outcomes = try await h.settle(loser, key)
        #expect(outcomes.map(\.kind) == [.reverted(reason: "reverted: already verified")])
        #expect(try loser.transaction(for: key)?.state == .reverted)
        #expect(loser.statistics.snapshot.reverted == 1)
        _ = try await h.settle(winner, key)
        #expect(try winner.outcome(for: key)?.kind == .confirmed)
    }
}
