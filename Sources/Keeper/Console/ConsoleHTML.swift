import Foundation

/// The console's HTML: escaping, the page frame, the style sheet, and `application/x-www-form-urlencoded`.
/// Every value from outside (a trader's instId, a reason, an operator's note, OKX's answer) goes through
/// `escape`; nothing is fetched from elsewhere.
enum ConsoleHTML {
    /// Text and attribute values: `& < > " '` as entities.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A whole page: the navigation (when an operator is logged in) with a logout form, then `body`.
    static func page(_ title: String, operatorName: String?, csrf: String?, current: String = "", _ body: String) -> String {
        var nav = "<nav><span class=\"brand\">LeverageGuard keeper</span><span>operator console</span></nav>"
        if let operatorName, let csrf {
            let links = [("claims", "/console/claims", "Claims"), ("payouts", "/console/payouts", "Payouts"),
                         ("health", "/console/health", "Health"), ("verify", "/console/verify", "Verifier")]
            nav = "<nav><span class=\"brand\">LeverageGuard keeper</span>"
                + links.map { "<a href=\"\($0.1)\"\($0.0 == current ? " class=\"current\"" : "")>\($0.2)</a>" }.joined()
                + "<form method=\"post\" action=\"/console/logout\" class=\"logout\">\(hidden(csrf))"
                + "<span data-field=\"operator\">\(escape(operatorName))</span> <button type=\"submit\" data-action=\"logout\">Log out</button></form></nav>"
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) — LeverageGuard console</title><link rel="stylesheet" href="/console/console.css"></head>
            <body>\(nav)<main><h1>\(escape(title))</h1>
            \(body)
            </main></body></html>
            """
    }

    static func hidden(_ csrf: String) -> String { "<input type=\"hidden\" name=\"csrf\" value=\"\(escape(csrf))\">" }

    /// A table: header cells, then rows of already escaped HTML cells, each `<tr>` with `attributes`.
    static func table(_ headers: [String], _ rows: [(attributes: String, cells: [String])], empty: String) -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\">\(escape(empty))</p>" }
        return "<table><thead><tr>" + headers.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
            + rows.map { row in "<tr\(row.attributes)>" + row.cells.map { "<td>\($0)</td>" }.joined() + "</tr>" }.joined()
            + "</tbody></table>"
    }

    /// `key: value` lines as a definition list; values are escaped HTML already.
    static func fields(_ pairs: [(String, String)]) -> String {
        "<dl>" + pairs.map { "<dt>\(escape($0.0))</dt><dd>\($0.1)</dd>" }.joined() + "</dl>"
    }

    /// `a=1&b=x+y` → `["a": "1", "b": "x y"]` (the last of a repeated name wins; a value that does not percent-decode is empty).
    static func form(_ text: Substring) -> [String: String] {
        var fields = [String: String]()
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]) else { continue }
            fields[name] = parts.count > 1 ? decode(parts[1]) ?? "" : ""
        }
        return fields
    }

    static func form(_ body: [UInt8]) -> [String: String] { form(Substring(String(decoding: body, as: UTF8.self))) }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    static let css = """
        body { font: 15px/1.45 system-ui, "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 0; color: #1d2330; background: #f4f6f9; }
        nav { display: flex; align-items: center; gap: 18px; padding: 10px 24px; background: #1d2330; color: #fff; }
        nav a { color: #cfd8e6; text-decoration: none; } nav a.current, nav a:hover { color: #fff; border-bottom: 2px solid #6aa7ff; }
        nav .brand { font-weight: 600; margin-right: 12px; } nav .logout { margin-left: auto; color: #cfd8e6; }
        main { max-width: 1180px; margin: 0 auto; padding: 12px 24px 40px; }
        h1 { font-size: 22px; margin: 14px 0 16px; } h2 { font-size: 17px; margin: 26px 0 10px; }
        table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
        th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid #e3e7ee; vertical-align: top; }
        th { background: #eef1f6; font-weight: 600; font-size: 13px; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
        code, .mono { font-family: "DejaVu Sans Mono", Menlo, monospace; font-size: 13px; word-break: break-all; }
        td > .mono, td > a.mono { white-space: nowrap; word-break: normal; }
        .state { display: inline-block; padding: 1px 8px; border-radius: 10px; background: #e3e7ee; font-size: 13px; }
        .state-paid { background: #d8f0da; } .state-held_review { background: #fde9b8; } .state-failed, .state-rejected { background: #f7d4d4; }
        a.button, button { display: inline-block; padding: 5px 12px; border-radius: 4px; border: 1px solid #2f66c4; background: #2f66c4;
          color: #fff; font: inherit; font-size: 14px; text-decoration: none; cursor: pointer; margin-right: 6px; }
        a.button.reject, button.reject { background: #fff; color: #b3261e; border-color: #b3261e; }
        nav button { background: transparent; border-color: #6b7890; color: #cfd8e6; padding: 2px 10px; }
        form.card, .card { background: #fff; padding: 16px 18px; box-shadow: 0 1px 2px rgba(0,0,0,.08); max-width: 560px; margin-bottom: 16px; }
        label { display: block; margin: 10px 0 4px; font-weight: 600; font-size: 14px; }
        input[type=text], input[type=password], textarea, select { width: 100%; box-sizing: border-box; padding: 6px 8px;
          border: 1px solid #b9c2d0; border-radius: 4px; font: inherit; }
        dl + form.card, dl + p { margin-top: 16px; } .small { font-size: 12px; color: #4a5568; } .actions { white-space: nowrap; }
        form.card button { margin-top: 14px; } .filters a { margin-right: 10px; } .pager { margin-top: 12px; }
        dl { display: grid; grid-template-columns: 190px 1fr; gap: 6px 14px; background: #fff; padding: 14px 18px; margin: 0;
          box-shadow: 0 1px 2px rgba(0,0,0,.08); } dt { font-weight: 600; color: #4a5568; } dd { margin: 0; }
        .ok { color: #1e7b34; font-weight: 600; } .bad { color: #b3261e; font-weight: 600; } .empty { color: #6b7890; }
        .notice { background: #fff7e0; border-left: 4px solid #e0a800; padding: 10px 14px; margin: 10px 0; }
        .error { background: #fdecec; border-left: 4px solid #b3261e; padding: 10px 14px; margin: 10px 0; }
        pre { white-space: pre-wrap; word-break: break-all; background: #fff; padding: 12px; overflow-x: auto; font-size: 12px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
        .chart svg { max-width: 100%; height: auto; background: #fff; }
        """
}
