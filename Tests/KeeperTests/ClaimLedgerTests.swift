import Foundation
import TestSupport
import Testing
import Wire
@testable import Ethereum
@testable import Indexer
@testable import Keeper
@testable import Settlement
@testable import Store

/// A fresh migrated database in a temporary directory, with a cursor and claims inserted as the
/// follower would insert them.
struct ClaimFixture {
    let database: Database
    let ledger: ClaimLedger

    init() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-claims-\(UUID().uuidString).sqlite").path
        database = try Database(path: path)
        try KeeperSchema.migrator.migrate(database)
        try database.execute("""
            INSERT INTO cursor (id, chain_id, contract, start_block, next_block, head_block, confirmed_block, rescanned_block, updated_at)
            VALUES (1, 1337, '0x0000000000000000000000000000000000000001', 0, 100, 99, 90, 0, 'now')
            """)
        ledger = ClaimLedger(database: database)
    }

    @discardableResult
    func insertClaim(user: String, orderID: Int, block: Int = 10, logIndex: Int = 0) throws -> Claim {
        _ = try database.execute("""
            INSERT INTO claims (chain_id, user, order_id, inst_id, principal, leverage, state, request_block_number, request_block_hash,
                request_tx_hash, request_log_index, created_at, updated_at)
            VALUES (1337, ?, ?, 'BTC-USDT-SWAP', '1000000000000000000', 10, 'requested', ?, ?, ?, ?, 'now', 'now')
            """, [user, String(orderID), block, "0x" + String(repeating: "ab", count: 32), "0x" + String(format: "%064x", block * 1000 + logIndex), logIndex])
        return try ledger.claim(user: try Address(hex: user), orderID: UInt256(UInt64(orderID)))!
    }
}

@Suite struct ClaimStateTests {
    @Test func finalStatesHaveNoSuccessorsButAFailedClaimCanBeRetriedAndEveryOtherStateCanFail() {
        for state in ClaimState.allCases {
            switch state {
            case .failed: #expect(state.successors == [.requested], "only an operator's `claims retry` leaves failed")
            case .paid, .rejected: #expect(state.successors.isEmpty, "\(state)")
            default: #expect(!state.isFinal && state.successors.contains(.failed), "\(state)")
            }
        }
    }

    @Test func aHeldClaimMayBeWrittenOnChainOrRetriedOnlyFromReview() {
        // Review before the verdict: verifying → held_review → verify_pending; an undecided claim retried → requested.
        // A verdict a batch (or `verifyAndPay`) did not record goes again from the pending states.
        #expect(ClaimState.verifying.successors.contains(.heldReview))
        #expect(Set(ClaimState.allCases.filter { $0.successors.contains(.verifyPending) }) == [.verifying, .heldReview, .verifyPending, .executePending])
        #expect(Set(ClaimState.allCases.filter { $0.successors.contains(.requested) }) == [.heldReview, .failed])
    }

    @Test func paymentOnlyFollowsAPendingExecution() {
        // Only a pending execution — or adopting a payment the contract already shows — leads to paid.
        let predecessors = Set(ClaimState.allCases.filter { $0.successors.contains(.paid) })
        #expect(predecessors == [.requested, .needsKey, .verifying, .verifyPending, .verified, .awaitingLimit, .awaitingFunds, .heldReview, .executePending])
        // A verdict goes with its payment (`verifyAndPay`) straight from verifying, or again after a batch skipped it.
        let intoExecution = Set(ClaimState.allCases.filter { $0.successors.contains(.executePending) })
        #expect(intoExecution == [.verifying, .verifyPending, .verified, .awaitingLimit, .awaitingFunds, .heldReview, .executePending])
    }
}

@Suite struct ClaimLedgerTests {
    let user = "0x00000000000000000000000000000000000000aa"

    @Test func transitionWritesStateFieldsAndAnAuditRowTogether() throws {
        let fixture = try ClaimFixture()
        let claim = try fixture.insertClaim(user: user, orderID: 7)
        try fixture.ledger.transition(claim, to: .verifying)
        let verifying = try fixture.ledger.claim(id: claim.id)!
        let root = try Hash(hex: "0x" + String(repeating: "11", count: 32))
        try fixture.ledger.transition(verifying, to: .verifyPending,
                                      .init(amount: UInt256(500), liquidated: true, evidenceID: "ev1", evidenceRoot: root), why: "verified on OKX")
        let pending = try fixture.ledger.claim(id: claim.id)!
        #expect(pending.state == .verifyPending)
        #expect(pending.amount == UInt256(500))
        #expect(pending.liquidated == true)
        #expect(pending.evidenceRoot == root)
        let audit = try AuditLog.verify(fixture.database)
        #expect(audit.rows == 2)
        #expect(audit.broken == nil)
        let last = try fixture.database.fetchOne("SELECT subject, detail FROM audit_log ORDER BY id DESC LIMIT 1")!
        #expect(try last.get("subject", as: String.self) == "\(user)/7")
        let detail = try JSON(parsing: try last.get("detail", as: String.self))
        #expect(detail["from"]?.stringValue == "verifying")
        #expect(detail["to"]?.stringValue == "verify_pending")
        #expect(detail["why"]?.stringValue == "verified on OKX")
    }

    @Test func refusesMovesOutsideTheStateMachineAndStaleRows() throws {
        let fixture = try ClaimFixture()
        let claim = try fixture.insertClaim(user: user, orderID: 8)
        #expect(throws: KeeperError.self) { try fixture.ledger.transition(claim, to: .executePending) }
        try fixture.ledger.transition(claim, to: .verifying)
        // `claim` still says requested: a second writer acting on the stale row is refused.
        #expect(throws: KeeperError.self) { try fixture.ledger.transition(claim, to: .needsKey) }
        #expect(try fixture.ledger.claim(id: claim.id)!.state == .verifying)
        #expect(try AuditLog.verify(fixture.database).rows == 1)
    }

    @Test func aFailedTransitionLeavesNoAuditRow() throws {
        let fixture = try ClaimFixture()
        let claim = try fixture.insertClaim(user: user, orderID: 9)
        #expect(throws: (any Error).self) {
            try fixture.database.transaction { db in
                try ClaimLedger.transition(claim, to: .verifying, in: db)
                throw KeeperError(.unavailable, "broadcast failed")
            }
        }
        #expect(try fixture.ledger.claim(id: claim.id)!.state == .requested)
        #expect(try AuditLog.verify(fixture.database).rows == 0)
    }

    @Test func actionableSkipsUnconfirmedFinalAndBackedOffClaims() throws {
        let fixture = try ClaimFixture()
        let ready = try fixture.insertClaim(user: user, orderID: 1, block: 10)
        try fixture.insertClaim(user: user, orderID: 2, block: 95)  // above the confirmed block 90
        let backedOff = try fixture.insertClaim(user: user, orderID: 3, block: 11)
        try fixture.ledger.transition(backedOff, to: .verifying, .init(nextAttemptAt: 5_000))
        let done = try fixture.insertClaim(user: user, orderID: 4, block: 12)
        try fixture.ledger.transition(done, to: .failed, .init(reason: .some("test")))
        #expect(try fixture.ledger.actionable(now: 4_999).map(\.id) == [ready.id])
        #expect(try fixture.ledger.actionable(now: 5_000).map(\.id) == [ready.id, backedOff.id])
        try fixture.database.execute("UPDATE cursor SET halted = 1")
        #expect(try fixture.ledger.actionable(now: 5_000).isEmpty)
    }

    @Test func reviewApprovesOrRejectsOnlyHeldClaims() throws {
        let fixture = try ClaimFixture()
        var claim = try fixture.insertClaim(user: user, orderID: 5)
        let address = try Address(hex: user)
        #expect(throws: KeeperError.self) { try fixture.ledger.review(user: address, orderID: 5, .approved, by: "alice") }
        for next in [ClaimState.verifying, .verifyPending, .verified, .heldReview] {
            try fixture.ledger.transition(claim, to: next)
            claim = try fixture.ledger.claim(id: claim.id)!
        }
        // A held claim without a verdict cannot be approved: the refusal says what to do instead.
        #expect { try fixture.ledger.review(user: address, orderID: 5, .approved, by: "alice") } throws: { error in
            (error as? KeeperError)?.message.contains("claims retry") == true
        }
        try fixture.database.execute("UPDATE claims SET amount = '7', liquidated = 1, evidence_root = ? WHERE id = ?",
                                     ["0x" + String(repeating: "22", count: 32), claim.id])
        let approved = try fixture.ledger.review(user: address, orderID: 5, .approved, by: "alice", note: "checked the fills")
        #expect(approved.state == .heldReview, "the pipeline acts on the decision")
        #expect(approved.review == .approved && approved.reviewBy == "alice" && approved.reviewNote == "checked the fills")
        #expect(approved.nextAttemptAt == 0)
        // Decided once: a second decision is refused.
        #expect(throws: KeeperError.self) { try fixture.ledger.review(user: address, orderID: 5, .rejected, by: "bob") }
        let reviews = try fixture.database.fetchAll("SELECT detail FROM audit_log WHERE kind = 'claim.review'").map { try JSON(parsing: try $0.get(0, as: String.self)) }
        #expect(reviews.count == 1 && reviews.first?["by"]?.stringValue == "alice" && reviews.first?["note"]?.stringValue == "checked the fills")
        #expect(try AuditLog.verify(fixture.database).broken == nil)
    }

    @Test func committedPayoutsSumsPendingAndPaidOfThatDayOnly() throws {
        let fixture = try ClaimFixture()
        for (order, state, day, amount) in [(1, "execute_pending", 20_000, "300"), (2, "paid", 20_000, "200"),
                                            (3, "paid", 19_999, "1000"), (4, "failed", 20_000, "5000")] {
            let claim = try fixture.insertClaim(user: user, orderID: order)
            try fixture.database.execute("UPDATE claims SET state = ?, payout_day = ?, amount = ? WHERE id = ?", [state, day, amount, claim.id])
        }
        #expect(try fixture.ledger.committedPayouts(day: 20_000) == UInt256(500))
        #expect(try fixture.ledger.committedPayouts(day: 20_001) == UInt256.zero)
    }
}

@Suite struct AuditLogTests {
    @Test func detectsAlteredInsertedAndReorderedRows() throws {
        let fixture = try ClaimFixture()
        for index in 0..<5 {
            try fixture.database.transaction { db in
                try AuditLog.append(db, kind: "test", subject: "s\(index)", detail: ["n": JSON(index)])
            }
        }
        #expect(try AuditLog.verify(fixture.database) == AuditLog.Verification(rows: 5, broken: nil))
        // The table refuses edits; an attacker with the file drops the guard first.
        #expect(throws: DatabaseError.self) { try fixture.database.execute("UPDATE audit_log SET subject = 'x' WHERE id = 3") }
        try fixture.database.execute("DROP TRIGGER audit_log_no_update")
        try fixture.database.execute("UPDATE audit_log SET detail = '{\"n\":99}' WHERE id = 3")
        let verdict = try AuditLog.verify(fixture.database)
        #expect(verdict.broken?.id == 3)
        #expect(verdict.broken?.why == "hash does not match the row's content")
    }

    @Test func eachRowHashesTheCanonicalRowWithThePreviousHash() throws {
        let fixture = try ClaimFixture()
        try fixture.database.transaction { db in try AuditLog.append(db, kind: "k", subject: "s", detail: ["b": 1, "a": "x"]) }
        let row = try fixture.database.fetchOne("SELECT at, detail, prev_hash, hash FROM audit_log")!
        let at: String = try row.get("at")
        #expect(try row.get("detail", as: String.self) == #"{"a":"x","b":1}"#)
        #expect(try row.get("prev_hash", as: String.self) == AuditLog.genesis)
        // Recomputed independently of AuditLog.digest: SHA-256 over the canonical JSON text.
        let canonical = #"{"at":"\#(at)","detail":{"a":"x","b":1},"kind":"k","prev":"\#(AuditLog.genesis)","subject":"s"}"#
        let python = try ReferenceDigest.sha256Hex(canonical)
        #expect(try row.get("hash", as: String.self) == python)
    }
}

/// SHA-256 from the system's `sha256sum`, an implementation other than ours.
enum ReferenceDigest {
    static func sha256Hex(_ text: String) throws -> String {
        let ended = try Subprocess.run("/usr/bin/sha256sum", input: Data(text.utf8))
        return String(String(decoding: ended.stdout, as: UTF8.self).prefix(64))
    }
}

@Suite struct HaltControlTests {
    /// `lg-keeper resume --halt`: the operator clears a deep-reorg halt; claims become actionable
    /// again, and the audit log says who cleared which halt.
    @Test func clearingAHaltResumesClaimsAndIsAudited() throws {
        let fixture = try ClaimFixture()
        let claim = try fixture.insertClaim(user: "0x00000000000000000000000000000000000000bb", orderID: 7)
        try KeeperControl.clearHalt(fixture.database, by: "nobody")  // not halted: nothing to do, nothing audited
        #expect(try AuditLog.entries(fixture.database, subject: "keeper").isEmpty)

        try fixture.database.execute("UPDATE cursor SET halted = 1, halted_reason = 'reorg of depth 6 rewrote block 42', halted_at = 'now'")
        #expect(try KeeperControl.halt(fixture.database) == .init(paused: true, reason: "reorg of depth 6 rewrote block 42"))
        #expect(try fixture.ledger.actionable(now: 0).isEmpty)

        try KeeperControl.clearHalt(fixture.database, by: "carol")
        #expect(try KeeperControl.halt(fixture.database) == .init(paused: false, reason: nil))
        #expect(try fixture.ledger.actionable(now: 0).map(\.id) == [claim.id])
        let entries = try AuditLog.entries(fixture.database, subject: "keeper")
        #expect(entries.map(\.kind) == ["control.unhalt"])
        #expect(entries.first?.detail == ["by": "carol", "reason": "reorg of depth 6 rewrote block 42"])
        #expect(try AuditLog.verify(fixture.database).broken == nil)
    }
}
