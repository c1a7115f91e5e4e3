import Ethereum
import Foundation
import HTTPServer
import Settlement
import Store
import Wire

/// `/console/payouts`, `/console/health` (with Resume) and `/console/verify` (seed 002's order verifier).
extension Console {
    func payoutsPage(_ visit: Visit) async -> HTTPServerResponse {
        let pool = context.pool, limit = context.dailyLimit
        let today = ReportDay(epochSeconds: Int64(Date().timeIntervalSince1970))
        let report: DailyReport
        do {
            report = try await context.readers.read { db in
                try DailyReport.read(db, to: today, days: 30, currency: pool.currency, decimals: pool.decimals, dailyLimit: limit)
            }
        } catch { return unavailable(visit, "payouts", error) }
        let currency = ConsoleHTML.escape(pool.currency)
        var perDay = [ReportDay: (count: Int, total: UInt256)]()
        for payout in report.payouts {
            guard let day = payout.day else { continue }
            let before = perDay[day] ?? (0, .zero)
            perDay[day] = (before.count + 1, before.total.addingReportingOverflow(payout.amount).partialValue)
        }
        var summary: [(String, String)] = [("daily limit", "<span data-field=\"dailyLimit\">\(units(limit)) \(currency)</span>"),
                                           ("paid today", "<span data-field=\"paidToday\">\(units(perDay[today]?.total ?? .zero)) \(currency)</span>"),
                                           ("paid in 30 days", "<span data-field=\"paidTotal\">\(units(report.total)) \(currency)</span> in \(report.payouts.count) payouts")]
        if let balance = context.metrics.value("lgk_pool_balance", [pool.currency]), balance >= 0, let whole = UInt64(exactly: balance.rounded()) {
            summary.append(("pool balance", "<span data-field=\"poolBalance\">\(units(UInt256(whole))) \(currency)</span> (as last read from the contract)"))
        } else {
            summary.append(("pool balance", "<span data-field=\"poolBalance\">not read yet</span>"))
        }
        let rows = report.days.reversed().map { day -> (attributes: String, cells: [String]) in
            let paid = perDay[day] ?? (0, .zero)
            let share = limit == .zero ? "—" : "\(Self.percent(paid.total, of: limit)) %"
            return (" data-day=\"\(day)\"", ["\(day)", "<span class=\"num\">\(paid.count)</span>", "\(units(paid.total))", share])
        }
        let body = ConsoleHTML.fields(summary) + "<h2>Last 30 days</h2><div class=\"chart\">\(report.svg)</div>"
            + "<h2>Per day</h2>" + ConsoleHTML.table(["day (UTC)", "payouts", "paid (\(pool.currency))", "of the daily limit"], rows, empty: "")
        return Self.html(200, ConsoleHTML.page("Payouts", operatorName: visit.name, csrf: visit.csrf, current: "payouts", body))
    }

    /// The verdict's payout in whole units of the pool (`data-field="amount"`), its base units beside it.
    func payoutAmount(_ payout: JSON?) -> String {
        guard let text = payout?["amount"]?.stringValue, let base = try? UInt256(decimal: text) else { return "<span data-field=\"amount\">—</span>" }
        let decimals = payout?["poolDecimals"]?.intValue ?? context.pool.decimals
        let currency = ConsoleHTML.escape(payout?["poolCurrency"]?.stringValue ?? context.pool.currency)
        return "<span data-field=\"amount\" data-base-units=\"\(base)\">\(PoolUnits.text(base, decimals: decimals))</span> \(currency) "
            + "<span class=\"small\">(\(base) base units)</span>"
    }

    static func percent(_ part: UInt256, of whole: UInt256) -> String {
        guard let p = Double(part.description), let w = Double(whole.description), w > 0 else { return "0" }
        return String(format: "%.0f", 100 * p / w)
    }

    func healthPage(_ visit: Visit) async -> HTTPServerResponse {
        let settings = context.readiness, health = context.health.snapshot
        let operations = OperationsDatabase(readers: context.readers)
        let state = await withTaskExecutorPreference(KeeperExecutors.blockingIO) { operations.check() }
        let readiness = Readiness(health: health, database: state, maxLag: settings.maxLagBlocks, staleAfter: settings.staleAfterSeconds)
        struct Found: Sendable {
            var control: KeeperControl.State
            var mismatches: [(kind: String, subject: String, detail: String, since: String)]
            var alerts: [(kind: String, message: String, at: String, delivered: String?)]
        }
        let found: Found
        do {
            found = try await context.readers.read { db in
                let mismatches = try db.fetchAll("SELECT kind, subject, detail, first_seen FROM open_mismatches ORDER BY first_seen DESC LIMIT 100").map {
                    (kind: try $0.get("kind", as: String.self), subject: try $0.get("subject", as: String.self),
                     detail: try $0.get("detail", as: String.self), since: try $0.get("first_seen", as: String.self))
                }
                let alerts = try db.fetchAll("""
                    SELECT kind, coalesce(json_extract(body, '$.message'), '') AS message, raised_at, delivered_at FROM alerts ORDER BY id DESC LIMIT 20
                    """).map {
                    (kind: try $0.get("kind", as: String.self), message: try $0.get("message", as: String.self),
                     at: try $0.get("raised_at", as: String.self), delivered: try $0.get("delivered_at", as: String?.self))
                }
                return Found(control: try KeeperControl.state(db), mismatches: mismatches, alerts: alerts)
            }
        } catch { return unavailable(visit, "health", error) }
        let e = ConsoleHTML.escape
        var body = "<p data-field=\"ready\" data-ready=\"\(readiness.ready)\">\(readiness.ready ? "<span class=\"ok\">Ready</span>" : "<span class=\"bad\">Not ready</span>")"
            + " (as <code>/readyz</code> answers)</p>"
        body += ConsoleHTML.table(["check", "", "detail"], readiness.checks.map { check in
            (attributes: " data-check=\"\(e(check.name))\" data-ok=\"\(check.ok)\"",
             cells: [e(check.name), check.ok ? "<span class=\"ok\">ok</span>" : "<span class=\"bad\">failing</span>", e(check.detail)])
        }, empty: "")
        var lag = "—"
        if let head = health.head, let indexed = health.indexed { lag = "\(head > indexed ? head - indexed : 0) blocks (head \(head), indexed \(indexed))" }
        body += "<h2>Lag and pause</h2>" + ConsoleHTML.fields([
            ("lag", "<span data-field=\"lag\">\(lag)</span>"),
            ("paused", "<span data-field=\"paused\">\(found.control.paused)</span>" + (found.control.reason.map { " — " + e($0) } ?? "")),
        ])
        if found.control.paused {
            body += """
                <form method="post" action="/console/health/resume" class="card">\(ConsoleHTML.hidden(visit.csrf))
                <p>Payouts are paused. Resume once the cause is understood (as <code>lg-keeper resume</code>; recorded in the audit log as yours).</p>
                <button type="submit" data-action="resume">Resume payouts</button></form>
                """
        }
        body += "<h2>Open mismatches</h2>" + ConsoleHTML.table(["kind", "subject", "detail", "since"], found.mismatches.map { m in
            (attributes: " data-mismatch=\"\(e(m.kind))\"", cells: [e(m.kind), "<span class=\"mono\">\(e(m.subject))</span>", e(m.detail), e(m.since)])
        }, empty: "None: the last reconciliation found the chain and the database in agreement.")
        body += "<h2>Recent alerts</h2>" + ConsoleHTML.table(["raised", "kind", "message", "delivered"], found.alerts.map { a in
            (attributes: " data-alert=\"\(e(a.kind))\"", cells: [e(a.at), e(a.kind), e(a.message), e(a.delivered ?? "not yet")])
        }, empty: "No alerts.")
        return Self.html(200, ConsoleHTML.page("Health", operatorName: visit.name, csrf: visit.csrf, current: "health", body))
    }

    /// Resume: what `lg-keeper resume` does (`KeeperControl.resume`), audited with the operator's name.
    func resume(_ visit: Visit) async -> HTTPServerResponse {
        let path = context.databasePath, name = visit.name
        let failure: String? = await withTaskExecutorPreference(KeeperExecutors.blockingIO) {
            do {
                try KeeperControl.resume(try Database(path: path), by: name)
                return nil
            } catch { return "\(error)" }
        }
        if let failure {
            context.log.error("console: resume failed", ["error": .string(failure)])
            return Self.html(503, ConsoleHTML.page("Not resumed", operatorName: visit.name, csrf: visit.csrf, current: "health",
                                                   "<p class=\"error\">The database could not be written; see the keeper's log.</p>"))
        }
        context.log.info("console: payouts resumed", ["operator": .string(name)])
        return Self.redirect("/console/health")
    }

    // MARK: Verifier

    func verifyForm(_ visit: Visit, instId: String = "", ordId: String = "", alias: String = "", result: String = "", status: Int = 200) -> HTTPServerResponse {
        let e = ConsoleHTML.escape
        let body = """
            <form method="post" action="/console/verify" class="card" autocomplete="off">\(ConsoleHTML.hidden(visit.csrf))
            <p>Checks one OKX order as <code>POST /api/verify</code> does, with the trader's read-only key. The key serves this one request: it is not stored, logged or shown again.</p>
            <label for="instId">Instrument (instId)</label><input type="text" id="instId" name="instId" value="\(e(instId))" placeholder="BTC-USDT-SWAP" required>
            <label for="ordId">Order id (ordId)</label><input type="text" id="ordId" name="ordId" value="\(e(ordId))" inputmode="numeric" required>
            <label for="apiKey">API key</label><input type="text" id="apiKey" name="apiKey" value="" autocomplete="off">
            <label for="secretKey">Secret key</label><input type="password" id="secretKey" name="secretKey" value="" autocomplete="off">
            <label for="passphrase">Passphrase</label><input type="password" id="passphrase" name="passphrase" value="" autocomplete="off">
            <label for="alias">or the alias of a key in the vault</label><input type="text" id="alias" name="alias" value="\(e(alias))">
            <button type="submit" data-action="verify">Verify</button>
            </form>
            """
        return Self.html(status, ConsoleHTML.page("Order verifier", operatorName: visit.name, csrf: visit.csrf, current: "verify", result + body))
    }

    /// Builds the `/api/verify` request from the form, runs it, shows the verdict; the credentials are
    /// dropped with the request and never put on the page (checked before it is sent).
    func verifyPage(_ visit: Visit) async -> HTTPServerResponse {
        let f = visit.fields
        func value(_ name: String) -> String { (f[name] ?? "").trimmingCharacters(in: .whitespaces) }
        let instId = String(value("instId").prefix(64)), ordId = String(value("ordId").prefix(40)), alias = String(value("alias").prefix(64))
        var members: [String: JSON] = ["instId": .string(instId), "ordId": .string(ordId)]
        let secrets = [f["apiKey"], f["secretKey"], f["passphrase"]].compactMap { $0 }.filter { !$0.isEmpty }
        if !alias.isEmpty && secrets.isEmpty {
            members["keyMode"] = "alias"
            members["keyAlias"] = .string(alias)
        } else {
            members["keyMode"] = "inline"
            for name in ["apiKey", "secretKey", "passphrase"] { members[name] = .string(f[name] ?? "") }
        }
        let e = ConsoleHTML.escape
        let request: VerifyRequest
        do { request = try VerifyRequest.parse(JSON.object(members).serialized()) } catch {
            let message = !alias.isEmpty && !secrets.isEmpty ? "Give either the key (API key, secret key, passphrase) or an alias, not both." : error.message
            return verifyForm(visit, instId: instId, ordId: ordId, alias: alias,
                              result: "<p class=\"error\" data-field=\"error\">\(e(message))</p>", status: 400)
        }
        let (status, answer) = await context.verify(request)
        var result = ""
        if let error = answer["error"], error != .null {
            result = "<div class=\"error\" data-field=\"error\" data-status=\"\(status)\"><strong>\(e(error["code"]?.stringValue ?? "ERROR"))</strong>: "
                + "\(e(error["msg"]?.stringValue ?? ""))<br>\(e(error["hint"]?.stringValue ?? ""))</div>"
        }
        if let position = answer["normalized"]?["position"] {
            let evidence = answer["evidence"]
            var rows: [(String, String)] = [
                ("liquidated", "<span data-field=\"liquidated\">\(position["liquidated"]?.boolValue.map { String($0) } ?? "undecided")</span>"),
                ("reason", "<span data-field=\"reason\">\(e(position["reason"]?.stringValue ?? "—"))</span>"),
                ("amount", payoutAmount(answer["normalized"]?["payout"])),
                ("root", "<span class=\"mono\" data-field=\"root\">\(e(evidence?["root"]?.stringValue ?? "—"))</span>"),
            ]
            if let id = evidence?["evidenceId"]?.stringValue {
                rows.append(("bundle", "<a class=\"mono\" data-field=\"bundle\" href=\"/console/evidence/\(e(id))\">\(e(id))</a>"))
            }
            if let pending = answer["pending"]?.stringValue ?? answer["normalized"]?["position"]?["pending"]?.stringValue {
                rows.append(("pending", e(pending)))
            }
            result += "<h2>Result for order \(e(ordId))</h2>" + ConsoleHTML.fields(rows)
        }
        context.log.info("console: order verified", ["operator": .string(visit.name), "ord_id": .string(ordId), "status": .int(status)])
        var response = verifyForm(visit, instId: instId, ordId: ordId, alias: alias, result: result, status: status == 200 || status == 202 ? 200 : status)
        // Defence in depth, as /api/verify: a page that would carry a credential is not sent.
        let page = String(decoding: response.body, as: UTF8.self)
        if secrets.contains(where: { $0.utf8.count >= 8 && (page.contains($0) || page.contains(e($0))) }) {
            context.log.error("console: verifier page withheld, it carried a credential")
            response = Self.html(500, ConsoleHTML.page("Order verifier", operatorName: visit.name, csrf: visit.csrf, current: "verify",
                                                       "<p class=\"error\">The result was withheld because it carried a credential.</p>"))
        }
        return response
    }
}
