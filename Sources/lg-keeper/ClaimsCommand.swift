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
        usage: "claims list [--state S] [--json] | show USER ORDER (with its history) | approve|reject USER ORDER [--by NAME] [--note TEXT] | retry USER ORDER [--by NAME]",
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
            } else {
                for claim in claims {
                    print("\(claim.subject)  \(claim.state.rawValue)  \(claim.instID)  amount \(claim.amount?.description ?? "-")\(claim.reason.map { "  (\($0))" } ?? "")")
                }
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
                var shown = claim.json.objectValue ?? [:]
                shown["history"] = .array(history.map { ["at": .string($0.at), "kind": .string($0.kind), "detail": $0.detail] })
                print(JSON.object(shown).serializedString)
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
            throw UsageError("unknown claims action \(action): use list, show, approve, reject or retry")
        }
    }

    static func claimKey(_ words: ArraySlice<String>) throws(UsageError) -> (Address, UInt256) {
        guard words.count == 2 else { throw UsageError("give the claim as USER ORDER (a 0x address and the decimal order id)") }
        guard let user = try? Address(hex: words[words.startIndex]) else { throw UsageError("USER must be a 0x address, not \(words[words.startIndex])") }
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
