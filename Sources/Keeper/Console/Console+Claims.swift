import Ethereum
import Foundation
import HTTPServer
import Indexer
import Settlement
import Store
import Verification
import Wire

/// `/console/claims` (the list), `/console/claims/USER/ORDER` (one claim), its `/approve` and `/reject`
/// confirmation forms and decisions, and `/console/evidence/ID` (a bundle's JSON).
extension Console {
    static let pageSize = 50

    func claimsPage(_ visit: Visit) async -> HTTPServerResponse {
        let stateText = visit.fields["state"].flatMap { $0.isEmpty ? nil : $0 }
        var parsedState: ClaimState?
        if let stateText {
            guard let parsed = ClaimState(rawValue: stateText) else {
                return Self.html(400, ConsoleHTML.page("Claims", operatorName: visit.name, csrf: visit.csrf, current: "claims",
                                                       "<p class=\"error\">No claim state \(ConsoleHTML.escape(String(stateText.prefix(40)))).</p>"))
            }
            parsedState = parsed
        }
        let state = parsedState
        let pageNumber = max(1, Int(visit.fields["page"] ?? "1") ?? 1)
        let found: (claims: [Claim], total: Int, last: [Int64: LastTransaction])
        do {
            found = try await context.readers.read { db in
                let page = try ClaimLedger(database: db).page(state: state, limit: Self.pageSize, offset: (pageNumber - 1) * Self.pageSize)
                var last = [Int64: LastTransaction]()
                for claim in page.claims { last[claim.id] = try Self.transactions(of: claim, in: db).last }
                return (page.claims, page.total, last)
            }
        } catch { return unavailable(visit, "claims", error) }

        let filters = "<p class=\"filters\">State: " + ([nil] + ClaimState.allCases.map(Optional.some)).map { candidate in
            let label = candidate?.rawValue ?? "all"
            let href = "/console/claims" + (candidate.map { "?state=\($0.rawValue)" } ?? "")
            return candidate == state ? "<strong>\(label)</strong>" : "<a href=\"\(href)\" data-filter=\"\(label)\">\(label)</a>"
        }.joined(separator: " ") + "</p>"
        let rows = found.claims.map { claim -> (String, [String]) in
            let key = claim.subject
            var actions = ""
            if claim.state == .heldReview && claim.review == nil {
                actions = "<a class=\"button\" data-action=\"approve\" href=\"/console/claims/\(key)/approve\">Approve</a>"
                    + "<a class=\"button reject\" data-action=\"reject\" href=\"/console/claims/\(key)/reject\">Reject</a>"
            } else if let review = claim.review {
                actions = "\(review.rawValue) by \(ConsoleHTML.escape(claim.reviewBy ?? "?"))"
            }
            let cells = [
                "<a class=\"mono\" href=\"/console/claims/\(key)\" title=\"\(key)\">\(Self.short(claim.user.description.lowercased()))</a><br>"
                    + "<span class=\"mono small\">\(claim.orderID)</span>",
                ConsoleHTML.escape(String(claim.instID.prefix(40))),
                "<span class=\"state state-\(claim.state.rawValue)\" data-field=\"state\">\(claim.state.rawValue)</span>",
                "<span data-field=\"amount\">\(claim.amount.map { units($0) } ?? "—")</span>",
                "<span data-field=\"reason\">\(ConsoleHTML.escape(String((claim.reason ?? "").prefix(160))))</span>",
                found.last[claim.id].map { "<span class=\"mono\" title=\"\($0.hash)\">\(Self.short($0.hash))</span><br><span class=\"small\">\($0.action), \($0.state)</span>" } ?? "—",
                "<span class=\"actions\">\(actions)</span>",
            ]
            return (" data-claim=\"\(key)\" data-state=\"\(claim.state.rawValue)\"", cells)
        }
        let pages = max(1, (found.total + Self.pageSize - 1) / Self.pageSize)
        var pager = "<p class=\"pager\">\(found.total) claim\(found.total == 1 ? "" : "s"), page \(pageNumber) of \(pages)"
        let base = "/console/claims?" + (state.map { "state=\($0.rawValue)&" } ?? "")
        if pageNumber > 1 { pager += " · <a href=\"\(base)page=\(pageNumber - 1)\" data-action=\"newer\">newer</a>" }
        if pageNumber < pages { pager += " · <a href=\"\(base)page=\(pageNumber + 1)\" data-action=\"older\">older</a>" }
        pager += "</p>"
        let table = ConsoleHTML.table(["Claim (user, order)", "Instrument", "State", "Amount (\(context.pool.currency))", "Reason",
                                       "Last transaction", ""], rows.map { (attributes: $0.0, cells: $0.1) },
                                      empty: state.map { "No claims in state \($0.rawValue)." } ?? "No claims yet.")
        return Self.html(200, ConsoleHTML.page("Claims", operatorName: visit.name, csrf: visit.csrf, current: "claims", filters + table + pager))
    }

    /// `/console/claims/USER/ORDER[/approve|/reject]`.
    func claimRoute(_ visit: Visit) async -> HTTPServerResponse {
        let parts = visit.request.path.dropFirst("/console/claims/".count).split(separator: "/", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), let user = try? Address(hex: String(parts[0])), let order = try? UInt256(decimal: String(parts[1])) else {
            return Self.html(404, ConsoleHTML.page("Not found", operatorName: visit.name, csrf: visit.csrf, current: "claims",
                                                   "<p>A claim's address is /console/claims/USER/ORDER (a 0x address and a decimal order id).</p>"))
        }
        if parts.count == 2 {
            guard visit.request.method != .post else { return notAllowed(visit, allow: "GET, HEAD") }
            return await claimPage(visit, user: user, order: order)
        }
        let decision: Claim.Review
        switch parts[2] {
        case "approve": decision = .approved
        case "reject": decision = .rejected
        default: return Self.html(404, ConsoleHTML.page("Not found", operatorName: visit.name, csrf: visit.csrf, "<p>No such action.</p>"))
        }
        if visit.request.method == .post { return await review(visit, user: user, order: order, decision) }
        return await confirmation(visit, user: user, order: order, decision)
    }

    func claimPage(_ visit: Visit, user: Address, order: UInt256) async -> HTTPServerResponse {
        let detail: ClaimDetail?
        do {
            detail = try await context.readers.read { db in try Self.detail(user: user, order: order, db: db) }
        } catch { return unavailable(visit, "claims", error) }
        guard let detail else {
            return Self.html(404, ConsoleHTML.page("No such claim", operatorName: visit.name, csrf: visit.csrf, current: "claims",
                                                   "<p>No claim for user \(user.description.lowercased()) and order \(order).</p>"))
        }
        let claim = detail.claim
        let e = ConsoleHTML.escape
        var fields: [(String, String)] = [
            ("claim", "<span class=\"mono\">\(claim.subject)</span>"),
            ("state", "<span class=\"state state-\(claim.state.rawValue)\" data-field=\"state\">\(claim.state.rawValue)</span>\(claim.state.isFinal ? " (final)" : "")"),
            ("instrument", e(claim.instID)),
            ("principal", "\(units(claim.principal)) \(e(context.pool.currency))"), ("leverage", "\(claim.leverage)x"),
            ("payout", "<span data-field=\"amount\">\(claim.amount.map { "\(units($0)) \(e(context.pool.currency))" } ?? "not verified yet")</span>"),
            ("liquidated", "<span data-field=\"liquidated\">\(claim.liquidated.map { String($0) } ?? "—")</span>"),
            ("reason", "<span data-field=\"reason\">\(e(claim.reason ?? "—"))</span>"),
        ]
        if let review = claim.review {
            fields.append(("review", "<span data-field=\"review\">\(review.rawValue) by \(e(claim.reviewBy ?? "?"))\(claim.reviewNote.map { ": " + e($0) } ?? "")</span>"))
        }
        fields += [("attempts", String(claim.attempts)),
                   ("requested", "block \(claim.requestBlockNumber), tx <span class=\"mono\">\(claim.requestTxHash)</span>, log \(claim.requestLogIndex)")]
        var body = ""
        if claim.state == .heldReview && claim.review == nil {
            body += "<p><a class=\"button\" data-action=\"approve\" href=\"/console/claims/\(claim.subject)/approve\">Approve</a>"
                + "<a class=\"button reject\" data-action=\"reject\" href=\"/console/claims/\(claim.subject)/reject\">Reject</a></p>"
        }
        body += ConsoleHTML.fields(fields)

        body += "<h2>Evidence</h2>"
        if let evidence = detail.evidence {
            var rows: [(String, String)] = [("evidence id", "<a class=\"mono\" href=\"/console/evidence/\(e(evidence.id))\" data-field=\"bundle\">\(e(evidence.id))</a>")]
            if let check = evidence.check {
                rows += [("root", "<span class=\"mono\" data-field=\"root\">\(e(check.computedRoot))</span>"),
                         ("bundle hash", "<span class=\"mono\" data-field=\"bundleHash\">\(e(check.computedBundleHash))</span>"),
                         ("file", check.passed ? "<span class=\"ok\">root, bundle hash and leaves recompute</span>"
                                               : "<span class=\"bad\">\(e(check.problems.joined(separator: "; ")))</span>")]
            } else {
                rows.append(("file", "<span class=\"bad\">\(e(evidence.problem ?? "unreadable"))</span>"))
            }
            rows.append(("on chain", chainMatch(detail, root: evidence.check?.computedRoot ?? claim.evidenceRoot?.description)))
            body += ConsoleHTML.fields(rows)
            if !evidence.leaves.isEmpty {
                body += "<h2>Leaves</h2>" + ConsoleHTML.table(["path", "hash"], evidence.leaves.map { leaf in
                    (attributes: "", cells: ["<span class=\"mono\">\(e(leaf.path))</span>", "<span class=\"mono\">\(e(leaf.hash))</span>"])
                }, empty: "")
            }
            if let json = evidence.json {
                body += "<h2>Bundle</h2><pre data-field=\"bundle-json\">\(e(json))</pre>"
            }
        } else {
            body += "<p class=\"empty\">No evidence yet.</p>"
            if !detail.verified.isEmpty { body += ConsoleHTML.fields([("on chain", chainMatch(detail, root: claim.evidenceRoot?.description))]) }
        }

        body += "<h2>Transactions</h2>" + ConsoleHTML.table(["action", "state", "hash", "nonce", "block", "why"], detail.transactions.map { tx in
            (attributes: " data-tx=\"\(tx.hash)\"", cells: [tx.action, tx.state, "<span class=\"mono\">\(tx.hash)</span>", String(tx.nonce),
                                                          tx.block.map(String.init) ?? "—", e(tx.problem ?? "")])
        }, empty: "No transactions.")
        body += "<h2>History</h2>" + ConsoleHTML.table(["at", "what"], detail.history.map { entry in
            (attributes: "", cells: ["<span class=\"mono\">\(e(entry.at))</span>", e(Self.historyLine(entry))])
        }, empty: "No history.")
        return Self.html(200, ConsoleHTML.page("Claim \(Self.short(claim.user.description.lowercased())) / \(claim.orderID)", operatorName: visit.name,
                                               csrf: visit.csrf, current: "claims", body))
    }

    func chainMatch(_ detail: ClaimDetail, root: String?) -> String {
        guard !detail.verified.isEmpty else { return "<span data-field=\"chain\">no PayoutVerified indexed yet</span>" }
        let roots = detail.verified.map { "\($0.evidenceRoot) (block \($0.blockNumber), \($0.confirmed ? "confirmed" : "provisional"))" }
        if let root, detail.verified.contains(where: { $0.evidenceRoot.description == root.lowercased() }) {
            return "<span class=\"ok\" data-field=\"chain\" data-match=\"true\">PayoutVerified carries this root</span><br><span class=\"mono\">\(roots.joined(separator: "<br>"))</span>"
        }
        return "<span class=\"bad\" data-field=\"chain\" data-match=\"false\">PayoutVerified carries another root</span><br><span class=\"mono\">\(roots.joined(separator: "<br>"))</span>"
    }

    func confirmation(_ visit: Visit, user: Address, order: UInt256, _ decision: Claim.Review) async -> HTTPServerResponse {
        let claim: Claim?
        do { claim = try await context.readers.read { db in try ClaimLedger(database: db).claim(user: user, orderID: order) } } catch {
            return unavailable(visit, "claims", error)
        }
        guard let claim else { return Self.html(404, ConsoleHTML.page("No such claim", operatorName: visit.name, csrf: visit.csrf, "<p>No such claim.</p>")) }
        let verb = decision == .approved ? "Approve" : "Reject"
        let consequence = decision == .approved ? "The keeper writes the held verdict on-chain and pays \(claim.amount.map { units($0) + " " + context.pool.currency } ?? "")."
            : "The keeper writes \"not paid\" on-chain: the claim cannot be paid afterwards."
        var body = ConsoleHTML.fields([("claim", "<span class=\"mono\">\(claim.subject)</span>"),
                                       ("state", "<span class=\"state state-\(claim.state.rawValue)\">\(claim.state.rawValue)</span>"),
                                       ("payout", claim.amount.map { "\(units($0)) \(ConsoleHTML.escape(context.pool.currency))" } ?? "no verdict"),
                                       ("reason", ConsoleHTML.escape(claim.reason ?? "—"))])
        body += """
            <form method="post" action="/console/claims/\(claim.subject)/\(decision == .approved ? "approve" : "reject")" class="card">\(ConsoleHTML.hidden(visit.csrf))
            <p>\(ConsoleHTML.escape(consequence)) Recorded in the audit log as decided by <strong>\(ConsoleHTML.escape(visit.name))</strong>.</p>
            <label for="note">Note</label><textarea id="note" name="note" rows="3" maxlength="500"></textarea>
            <button type="submit" data-action="confirm" class="\(decision == .approved ? "" : "reject")">\(verb) claim</button>
            <a href="/console/claims/\(claim.subject)">Cancel</a>
            </form>
            """
        return Self.html(200, ConsoleHTML.page("\(verb) claim \(claim.orderID)", operatorName: visit.name, csrf: visit.csrf, current: "claims", body))
    }

    /// The decision, through `ClaimLedger.review` as `lg-keeper claims approve|reject` does, audited
    /// with the operator's name and note; then back to the claim.
    func review(_ visit: Visit, user: Address, order: UInt256, _ decision: Claim.Review) async -> HTTPServerResponse {
        let note = visit.fields["note"].map { String($0.trimmingCharacters(in: .whitespacesAndNewlines).prefix(500)) }.flatMap { $0.isEmpty ? nil : $0 }
        let path = context.databasePath, name = visit.name
        let result: Result<Claim, KeeperError> = await withTaskExecutorPreference(KeeperExecutors.blockingIO) {
            let database: Database
            do { database = try Database(path: path) } catch { return .failure(KeeperError(.store, "cannot open \(path): \(error)")) }
            do { return .success(try ClaimLedger(database: database).review(user: user, orderID: order, decision, by: name, note: note)) } catch {
                return .failure(error as? KeeperError ?? KeeperError(.software, "\(error)"))
            }
        }
        switch result {
        case .success(let claim):
            context.log.info("console: claim reviewed", ["claim": .string(claim.subject), "decision": .string(decision.rawValue), "operator": .string(name)])
            return Self.redirect("/console/claims/\(claim.subject)")
        case .failure(let error):
            return Self.html(error.code == .badData ? 409 : 503, ConsoleHTML.page("Not recorded", operatorName: visit.name, csrf: visit.csrf, current: "claims",
                "<p class=\"error\" data-field=\"error\">\(ConsoleHTML.escape(error.message))</p><p><a href=\"/console/claims/\(user.description.lowercased())/\(order)\">Back to the claim</a></p>"))
        }
    }

    /// `/console/evidence/ID`: the bundle's JSON as stored (it carries no credentials: `raw` is redacted when sealed).
    func evidenceFile(_ visit: Visit) async -> HTTPServerResponse {
        let id = String(visit.request.path.dropFirst("/console/evidence/".count))
        guard (try? EvidenceDay(evidenceId: id)) != nil else { return Self.html(404, ConsoleHTML.page("Not found", operatorName: visit.name, csrf: visit.csrf, "<p>Not an evidence id.</p>")) }
        let directory = context.evidenceDirectory
        let document: JSON?
        do {
            document = try await context.readers.read { db in
                let path = try EvidenceLedger(database: db).entry(id)?.path ?? EvidenceFiles(root: directory).documentPath(for: id)
                guard FileManager.default.fileExists(atPath: path) else { return nil }
                return try EvidenceFiles.read(path: path)
            }
        } catch { return unavailable(visit, "claims", error) }
        guard let document else { return Self.html(404, ConsoleHTML.page("Not found", operatorName: visit.name, csrf: visit.csrf, "<p>No bundle \(ConsoleHTML.escape(id)).</p>")) }
        var response = HTTPServerResponse.text(200, CanonicalJSON.string(document), contentType: "application/json")
        Self.secure(&response)
        return response
    }

    // MARK: Reads

    struct LastTransaction: Sendable {
        let action: String, state: String, hash: String, nonce: Int64, block: Int64?, problem: String?
    }

    struct ClaimDetail: Sendable {
        struct Evidence: Sendable {
            let id: String
            let check: EvidenceCheck?
            let problem: String?
            let leaves: [(path: String, hash: String)]
            let json: String?
        }
        let claim: Claim
        let history: [AuditLog.Entry]
        let transactions: [LastTransaction]
        let evidence: Evidence?
        let verified: [PayoutVerifiedRecord]
    }

    static func detail(user: Address, order: UInt256, db: Database) throws -> ClaimDetail? {
        let ledger = ClaimLedger(database: db)
        guard let claim = try ledger.claim(user: user, orderID: order) else { return nil }
        var evidence: ClaimDetail.Evidence?
        if let id = claim.evidenceID {
            if let entry = try EvidenceLedger(database: db).entry(id) {
                do {
                    let document = try EvidenceFiles.read(path: entry.path)
                    let leaves = (document["evidence"]?["leaves"]?.arrayValue ?? []).map { ($0["path"]?.stringValue ?? "?", $0["hash"]?.stringValue ?? "?") }
                    let check: EvidenceCheck?, problem: String?
                    do { check = try EvidenceCheck(document: document); problem = nil } catch { check = nil; problem = error.message }
                    evidence = .init(id: id, check: check, problem: problem, leaves: leaves, json: CanonicalJSON.string(document))
                } catch {
                    evidence = .init(id: id, check: nil, problem: "the bundle cannot be read: \(error.message)", leaves: [], json: nil)
                }
            } else {
                evidence = .init(id: id, check: nil, problem: "no evidence row for \(id)", leaves: [], json: nil)
            }
        }
        let verified = try PayoutVerifiedRecord.find(in: db, orderID: claim.orderID.description, user: claim.user.description.lowercased())
        return ClaimDetail(claim: claim, history: try ledger.history(of: claim), transactions: try transactions(of: claim, in: db),
                           evidence: evidence, verified: verified)
    }

    /// The claim's transactions (its own and the batches covering it), oldest first.
    static func transactions(of claim: Claim, in db: Database) throws -> [LastTransaction] {
        try db.fetchAll("""
            SELECT action, state, hash, nonce, block_number, coalesce(revert_reason, last_error) AS problem FROM txs WHERE id IN (
              SELECT id FROM txs WHERE chain_id = ?1 AND request_tx_hash = ?2 AND request_log_index = ?3
              UNION SELECT tx_id FROM tx_items WHERE chain_id = ?1 AND request_tx_hash = ?2 AND request_log_index = ?3)
            ORDER BY id
            """, [claim.chainID, claim.requestTxHash.description, claim.requestLogIndex]).map { row in
            LastTransaction(action: try row.get("action"), state: try row.get("state"), hash: try row.get("hash"), nonce: try row.get("nonce"),
                            block: try row.get("block_number", as: Int64?.self), problem: try row.get("problem", as: String?.self))
        }
    }

    /// One audit row as words, as `claims show` prints it: `verifying → verify_pending (why) key=value…`.
    static func historyLine(_ entry: AuditLog.Entry) -> String {
        var detail = entry.detail.objectValue ?? [:]
        var text = entry.kind
        if entry.kind == "claim.transition", let from = detail.removeValue(forKey: "from")?.stringValue,
           let to = detail.removeValue(forKey: "to")?.stringValue {
            text = "\(from) → \(to)"
            if let why = detail.removeValue(forKey: "why")?.stringValue { text += " (\(why))" }
        }
        for (key, value) in detail.sorted(by: { $0.key < $1.key }) { text += " \(key)=\(value.stringValue ?? value.serializedString)" }
        return text
    }

    func units(_ amount: UInt256) -> String { PoolUnits.text(amount, decimals: context.pool.decimals) }

    static func short(_ hash: String) -> String { hash.count > 18 ? "\(hash.prefix(10))…\(hash.suffix(6))" : hash }

    func unavailable(_ visit: Visit, _ current: String, _ error: any Error) -> HTTPServerResponse {
        context.log.error("console: cannot read the database", ["error": "\(error)"])
        return Self.html(503, ConsoleHTML.page("Unavailable", operatorName: visit.name, csrf: visit.csrf, current: current,
                                               "<p class=\"error\">The keeper's database cannot be read now; see the keeper's log.</p>"))
    }
}
