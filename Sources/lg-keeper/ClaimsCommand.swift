import Ethereum
import Foundation
import Indexer
import Keeper
import Settlement
import Store
import Wire

/// `lg-keeper claims list|show|approve|reject|retry`: inspect claims, decide the ones held for
/// review, and send a failed (or undecided, held) claim back to be verified again.
enum ClaimsCommand {
    static let command = Command(
        name: "claims",
        usage: "claims list [--state S] [--json] | show USER ORDER [--json] (with its history) | approve|reject USER ORDER [--by NAME] [--note TEXT] | retry USER ORDER [--by NAME]",
        summary: "inspect claims; approve or reject those held for review; retry a failed one",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["config", "state", "by", "note"], flags: ["json"])
        guard let action = arguments.positionals.first else { throw UsageError("claims needs list, show, approve, reject or retry") }
        let ledger = ClaimLedger(database: try KeeperDatabase.open(configPath: arguments.value("config")))
        switch action {
        case "list":
            let state = try arguments.value("state").map { text throws(UsageError) in
                guard let state = ClaimState(rawValue: text) else {
                    throw UsageError("--state must be one of \(ClaimState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return state
            }
            let claims = try KeeperFailure.map { () throws(KeeperError) in try ledger.list(state: state) }
            if arguments.flag("json") {
                print(JSON.array(claims.map(\.json)).serializedString)
            } else if claims.isEmpty {
                print(state.map { "no claims in state \($0.rawValue)" } ?? "no claims")
            } else {
                print(table(claims, pool: try poolConfig(arguments)).rendered)
            }
            return .ok
        case "show", "approve", "reject", "retry":
            let (user, order) = try claimKey(arguments.positionals.dropFirst())
            if action == "show" {
                guard let claim = try KeeperFailure.map({ () throws(KeeperError) in try ledger.claim(user: user, orderID: order) }) else {
                    throw CommandFailure(.problemFound, "no claim for user \(user) and order \(order)")
                }
                // With its history: every transition and decision from the audit log.
                let history = try KeeperFailure.map { () throws(KeeperError) in try ledger.history(of: claim) }
                if arguments.flag("json") {
                    var shown = claim.json.objectValue ?? [:]
                    shown["history"] = .array(history.map { ["at": .string($0.at), "kind": .string($0.kind), "detail": $0.detail] })
                    print(JSON.object(shown).serializedString)
                } else {
                    print(describe(claim, history: history, pool: try poolConfig(arguments)))
                }
                return .ok
            }
            let name = arguments.value("by") ?? ProcessInfo.processInfo.environment["USER"] ?? "operator"
            if action == "retry" {
                guard arguments.value("note") == nil else { throw UsageError("--note applies to approve and reject") }
                let claim = try KeeperFailure.map { () throws(KeeperError) in try ledger.retry(user: user, orderID: order, by: name) }
                print("\(claim.subject) retried by \(name); state \(claim.state.rawValue): the keeper verifies it again on its next pass")
                return .ok
            }
            let decision: Claim.Review = action == "approve" ? .approved : .rejected
            let claim = try KeeperFailure.map { () throws(KeeperError) in
                try ledger.review(user: user, orderID: order, decision, by: name, note: arguments.value("note"))
            }
            let next = decision == .approved ? "the keeper writes the verdict and pays" : "the keeper writes \"not paid\" on-chain"
            print("\(claim.subject) \(decision.rawValue) by \(name); state \(claim.state.rawValue): \(next) on its next pass")
            return .ok
        default:
            throw UsageError("unknown claims action '\(TerminalText.excerpt(action))': use list, show, approve, reject or retry")
        }
    }

    /// The `pool` section: the currency and decimals amounts are shown in.
    static func poolConfig(_ arguments: Arguments) throws -> PoolConfig {
        try KeeperFailure.map { () throws(KeeperError) in try Config.load(path: arguments.value("config") ?? Config.defaultPath).pool }
    }

    /// `claims list`: one aligned row per claim, amounts in whole units of the pool's currency, and why
    /// a claim waits, was refused or failed.
    static func table(_ claims: [Claim], pool: PoolConfig) -> TextTable {
        var table = TextTable([.init("USER"), .init("ORDER", .right), .init("STATE"), .init("INSTRUMENT"),
                               .init("PRINCIPAL \(pool.currency)", .right), .init("PAYOUT \(pool.currency)", .right), .init("WHY")])
        for claim in claims {
            table.append([claim.user.description.lowercased(), claim.orderID.description, claim.state.rawValue,
                          TerminalText.excerpt(claim.instID, limit: 32), PoolUnits.text(claim.principal, decimals: pool.decimals),
                          claim.amount.map { PoolUnits.text($0, decimals: pool.decimals) } ?? "-",
                          claim.reason.map { TerminalText.excerpt($0, limit: 120) } ?? ""])
        }
        return table
    }

    /// `claims show`: `key  value` lines, then the claim's history, one line per audit row. Every
    /// value from outside (instId, reasons, notes) is escaped.
    static func describe(_ claim: Claim, history: [AuditLog.Entry], pool: PoolConfig) -> String {
        func money(_ amount: UInt256) -> String { "\(PoolUnits.text(amount, decimals: pool.decimals)) \(pool.currency) (\(amount) base units)" }
        var fields: [(String, String)] = [
            ("claim", claim.subject), ("user", claim.user.checksummed), ("order", claim.orderID.description),
            ("instrument", claim.instID), ("state", claim.state.rawValue + (claim.state.isFinal ? " (final)" : "")),
        ]
        if let reason = claim.reason { fields.append(("why", reason)) }
        fields += [("principal", money(claim.principal)), ("leverage", "\(claim.leverage)x"),
                   ("payout", claim.amount.map(money) ?? "not verified yet")]
        if let liquidated = claim.liquidated { fields.append(("liquidated", liquidated ? "yes" : "no")) }
        if let id = claim.evidenceID { fields.append(("evidence", id)) }
        if let root = claim.evidenceRoot { fields.append(("evidence root", root.description)) }
        if let position = claim.positionID { fields.append(("position", position)) }
        if let review = claim.review {
            fields.append(("review", "\(review.rawValue) by \(claim.reviewBy ?? "?")" + (claim.reviewNote.map { ": \($0)" } ?? "")))
        }
        fields += [("attempts", String(claim.attempts)),
                   ("requested", "block \(claim.requestBlockNumber), tx \(claim.requestTxHash), log \(claim.requestLogIndex)")]
        let width = fields.map(\.0.count).max() ?? 0
        var lines = fields.map { $0.0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + TerminalText.escaped($0.1) }
        lines.append("history")
        if history.isEmpty { lines.append("  (none)") }
        for entry in history { lines.append("  \(entry.at)  \(TerminalText.escaped(historyLine(entry)))") }
        return lines.joined(separator: "\n")
    }

    /// One audit row as words: `verifying → verify_pending (why) amount=…`, or `kind key=value…`.
    static func historyLine(_ entry: AuditLog.Entry) -> String {
        var detail = entry.detail.objectValue ?? [:]
        var text: String
        if entry.kind == "claim.transition", let from = detail.removeValue(forKey: "from")?.stringValue,
           let to = detail.removeValue(forKey: "to")?.stringValue {
            text = "\(from) → \(to)"
            if let why = detail.removeValue(forKey: "why")?.stringValue { text += " (\(why))" }
        } else {
            text = entry.kind
        }
        for (key, value) in detail.sorted(by: { $0.key < $1.key }) {
            text += " \(key)=\(value.stringValue ?? value.serializedString)"
        }
        return text
    }

    static func claimKey(_ words: ArraySlice<String>) throws(UsageError) -> (Address, UInt256) {
        guard words.count == 2 else { throw UsageError("give the claim as USER ORDER (a 0x address and the decimal order id)") }
        guard let user = try? Address(hex: words[words.startIndex]) else {
            throw UsageError("USER must be a 0x address, not \(TerminalText.excerpt(words[words.startIndex]))")
        }
        guard let order = try? UInt256(decimal: words[words.startIndex + 1]) else { throw UsageError("ORDER must be a decimal order id") }
        return (user, order)
    }
}

extension Claim {
    /// The claim as `claims show` prints it. No secret is ever part of a claim.
    var json: JSON {
        [
            "user": .string(user.description.lowercased()), "orderId": .string(orderID.description), "instId": .string(instID),
            "principal": .string(principal.description), "leverage": JSON(leverage), "state": .string(state.rawValue),
            "amount": amount.map { .string($0.description) } ?? .null, "liquidated": liquidated.map(JSON.bool) ?? .null,
            "evidenceId": evidenceID.map(JSON.string) ?? .null, "positionId": positionID.map(JSON.string) ?? .null, "evidenceRoot": evidenceRoot.map { .string($0.description) } ?? .null,
            "reason": reason.map(JSON.string) ?? .null, "attempts": JSON(attempts), "review": review.map { .string($0.rawValue) } ?? .null,
            "reviewBy": reviewBy.map(JSON.string) ?? .null, "reviewNote": reviewNote.map(JSON.string) ?? .null,
            "undecidedSince": undecidedSince.map { JSON(Int($0)) } ?? .null,
            "requestBlock": JSON(Int(requestBlockNumber)), "requestTx": .string(requestTxHash.description),
            "requestLogIndex": JSON(Int(requestLogIndex)),
        ]
    }
}

/// `lg-keeper audit verify`: walks the audit log's hash chain; exit 1 if it is broken.
enum AuditCommand {
    static let command = Command(
        name: "audit",
        usage: "audit verify [--config FILE]",
        summary: "walk the audit log's hash chain",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["config"], flags: [])
        guard arguments.positionals == ["verify"] else { throw UsageError("usage: lg-keeper audit verify [--config FILE]") }
        let database = try KeeperDatabase.open(configPath: arguments.value("config"))
        let result: AuditLog.Verification
        do { result = try AuditLog.verify(database) } catch { throw CommandFailure(.software, "cannot read the audit log: \(error)") }
        if let broken = result.broken {
            throw CommandFailure(.problemFound, "audit log broken at row \(broken.id) of \(result.rows): \(broken.why)")
        }
        print("audit log intact: \(result.rows) rows")
        return .ok
    }
}

/// The keeper's database as the config names it, migrated; an absent one is an error.
enum KeeperDatabase {
    static func open(configPath: String?) throws -> Database {
        let config = try KeeperFailure.map { () throws(KeeperError) in try Config.load(path: configPath ?? Config.defaultPath, reads: []) }
        guard FileManager.default.fileExists(atPath: config.store.path) else {
            throw CommandFailure(.unavailable, "no database at \(config.store.path): run `lg-keeper index` or `lg-keeper run` first")
        }
        do {
            let database = try Database(path: config.store.path)
            try KeeperSchema.migrator.migrate(database)
            return database
        } catch let error as DatabaseError where error.isOpenToOthers {
            throw CommandFailure(.config, error.message)
        } catch {
            throw CommandFailure(.software, "cannot open \(config.store.path): \(error)")
        }
    }
}
