import Foundation
import HTTPServer
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Settlement
@testable import Store

/// `lg-keeper run`'s HTTP server after a devnet settlement: `/metrics` parsed by prometheus_client
/// with every family of DESIGN.md §9 and values equal to the database and the chain; `/healthz`,
/// `/readyz`; `POST /api/verify` with a vault alias and with an inline key, and refused unsigned.
@Suite(.serialized) struct OperationsEndpointTests {
    static let apiSecret = "operations-endpoint-test-secret-0123"

    /// DESIGN.md §9's metric set, by family name.
    static let families = [
        "lgk_up", "lgk_build_info", "lgk_head_block", "lgk_indexed_block", "lgk_head_lag_blocks", "lgk_events", "lgk_reorgs_total",
        "lgk_reorg_depth_max", "lgk_rpc_inconsistent_answers_total", "lgk_rpc_requests_total", "lgk_rpc_request_duration_seconds",
        "lgk_okx_requests_total", "lgk_okx_request_duration_seconds", "lgk_claims", "lgk_tx_sent_total", "lgk_tx_bumped_total",
        "lgk_tx_reverted_total", "lgk_tx_confirmed_total", "lgk_tx_refused_total", "lgk_tx_oldest_pending_age_seconds", "lgk_nonce_gap", "lgk_signer_balance_wei",
        "lgk_pool_balance", "lgk_daily_payout_used", "lgk_daily_payout_limit", "lgk_reconcile_runs_total", "lgk_reconcile_mismatches_total",
        "lgk_alerts_sent_total", "lgk_alerts_failed_total",
    ]

    @Test(.timeLimit(.minutes(4))) func metricsHealthAndVerifyAfterASettlement() async throws {
        let harness = try SettlementHarness(sections: ["http": ["listen": "127.0.0.1:0", "apiSecretEnv": "LGK_API_SECRET"]],
                                            environment: ["LGK_API_SECRET": Self.apiSecret])
        defer { harness.stop() }
        let paid = try SettlementHarness.scenario("01-full-liquidation-long.json")
        let manual = try SettlementHarness.scenario("05-manual-close-loss.json")
        try harness.addKey(user: 0, scenario: paid)
        try harness.requestClaim(user: 0, scenario: paid)
        try harness.addKey(user: 1, scenario: manual)
        try harness.requestClaim(user: 1, scenario: manual)

        let keeper = try harness.startKeeper()
        let settled = try await harness.waitForClaims(seconds: 120) { $0.count == 2 && $0.allSatisfy(\.state.isFinal) }
        #expect(settled)
        let base = try await Self.listeningAddress(keeper)
        let http = HTTPClient()

        let healthz = try await http.send(HTTPRequest(method: .get, url: "\(base)/healthz"))
        #expect(healthz.status == 200)
        #expect(try JSON(parsing: healthz.body)["status"]?.stringValue == "alive")

        let readyz = try await http.send(HTTPRequest(method: .get, url: "\(base)/readyz"))
        let readiness = try JSON(parsing: readyz.body)
        #expect(readyz.status == 200, "\(readiness.serializedString)")
        #expect(readiness["ready"]?.boolValue == true)
        for check in ["database", "rpc", "lag", "paused", "contract", "reorg"] {
            #expect(readiness["checks"]?[check]?["ok"]?.boolValue == true, "\(check): \(readiness.serializedString)")
        }

        // Let the loop's balance check follow the last confirmation, then compare with the chain.
        try await Task.sleep(for: .milliseconds(800))
        let scrape = try await http.send(HTTPRequest(method: .get, url: "\(base)/metrics"))
        #expect(scrape.status == 200)
        #expect(scrape.headers["content-type"] == MetricsRegistry.contentType)
        let (families, samples) = try Self.parse(String(decoding: scrape.body, as: UTF8.self))
        for family in Self.families {
            // prometheus_client names a counter family without its `_total`.
            #expect(families.contains(family) || families.contains(String(family.dropLast("_total".count))), "family \(family) missing")
        }

        let database = try harness.database()
        func count(_ sql: String) throws -> Double { Double(try database.fetchOne(sql, as: Int.self) ?? -1) }
        #expect(samples[#"lgk_claims{"state": "paid"}"#] == (try count("SELECT count(*) FROM claims WHERE state = 'paid'")))
        #expect(samples[#"lgk_claims{"state": "rejected"}"#] == (try count("SELECT count(*) FROM claims WHERE state = 'rejected'")))
        #expect(samples[#"lgk_events{"event": "ClaimRequested"}"#] == (try count("SELECT count(*) FROM events WHERE name = 'ClaimRequested'")))
        #expect(samples[#"lgk_events{"event": "PayoutExecuted"}"#] == 1)
        #expect(samples["lgk_tx_confirmed_total{}"] == (try count("SELECT count(*) FROM txs WHERE state = 'confirmed'")))
        #expect(samples["lgk_tx_reverted_total{}"] == 0)
        #expect(samples["lgk_tx_refused_total{}"] == 0)
        let rpc = harness.rpc
        let signerBalance = try await rpc.balance(of: try Address(hex: harness.devnet.deployment.keeper.address))
        let poolBalance = try await harness.assetBalance(of: try Address(hex: harness.devnet.deployment.contract))
        #expect(samples["lgk_signer_balance_wei{}"] == Double(signerBalance.description))
        #expect(samples[#"lgk_pool_balance{"currency": "USDT"}"#] == Double(poolBalance.description))
        #expect(poolBalance < (try harness.units(1_000)), "the USDT pool paid the claim")
        #expect(samples["lgk_daily_payout_limit{}"] == 100e6, "policy.dailyLimit 100 USDT in base units")
        #expect(samples["lgk_daily_payout_used{}"] == Double(try harness.expectedAmount(paid).description))
        let orders = try #require(samples[#"lgk_okx_requests_total{"code": "0", "endpoint": "/api/v5/trade/order"}"#])
        #expect(orders >= 2)
        #expect(samples[#"lgk_okx_request_duration_seconds_count{"endpoint": "/api/v5/trade/order"}"#] == orders)
        // The follower asks for logs and their blocks' headers in one batch (to check the hashes match).
        let logs = "eth_getBlockByNumber+eth_getLogs"
        let getLogs = samples.filter { $0.key.hasPrefix(#"lgk_rpc_requests_total{"method": "\#(logs)""#) }.values.reduce(0, +)
        #expect(getLogs > 0, "\(samples.keys.filter { $0.hasPrefix("lgk_rpc_requests_total") })")
        #expect(samples[#"lgk_rpc_request_duration_seconds_count{"method": "\#(logs)"}"#] == getLogs)

        // POST /api/verify: the vault's key by alias, an inline key, an order of another account, an unsigned request.
        let byAlias = try await Self.verify(http, base, ["ordId": .string(paid.ordId), "instId": .string(paid.instId), "keyMode": "alias", "keyAlias": "user0"])
        #expect(byAlias.status == 200)
        #expect(byAlias.body["normalized"]?["position"]?["liquidated"]?.boolValue == true, "\(byAlias.body.serializedString)")
        #expect(byAlias.body["evidence"]?["root"]?.stringValue?.count == 66)
        let inline = try await Self.verify(http, base, ["ordId": .string(manual.ordId), "instId": .string(manual.instId), "keyMode": "inline",
                                                        "apiKey": .string(manual.credentials.apiKey), "secretKey": .string(manual.credentials.secretKey),
                                                        "passphrase": .string(manual.credentials.passphrase)])
        #expect(inline.status == 200)
        #expect(inline.body["normalized"]?["position"]?["liquidated"]?.boolValue == false)
        #expect(!inline.text.contains(manual.credentials.secretKey) && !inline.text.contains(manual.credentials.passphrase))
        let foreign = try SettlementHarness.scenario("07-order-of-another-account.json")
        let notFound = try await Self.verify(http, base, ["ordId": .string(foreign.ordId), "instId": .string(foreign.instId), "keyMode": "alias", "keyAlias": "user0"])
        #expect(notFound.status == 404)
        #expect(notFound.body["error"]?["code"]?.stringValue == "NOT_FOUND", "\(notFound.text)")
        let unknownAlias = try await Self.verify(http, base, ["ordId": .string(paid.ordId), "instId": .string(paid.instId), "keyMode": "alias", "keyAlias": "nobody"])
        #expect(unknownAlias.status == 404 && unknownAlias.body["error"]?["code"]?.stringValue == "KEY_NOT_FOUND")
        let otherWallet = try await Self.verify(http, base, ["ordId": .string(paid.ordId), "instId": .string(paid.instId), "keyMode": "alias", "keyAlias": "user0",
                                                             "wallet": .string("0x" + String(repeating: "11", count: 20))])
        #expect(otherWallet.status == 403 && otherWallet.body["error"]?["code"]?.stringValue == "WALLET_MISMATCH", "\(otherWallet.text)")
        #expect(otherWallet.body["error"]?["msg"]?.stringValue?.contains("belongs to another wallet") == true)
        let unsigned = try await http.send(HTTPRequest(method: .post, url: "\(base)/api/verify", headers: [("Content-Type", "application/json")],
                                                      body: Array(#"{"ordId":"1","instId":"BTC-USDT-SWAP","keyMode":"alias","keyAlias":"user0"}"#.utf8)))
        #expect(unsigned.status == 401)

        let stopped = keeper.terminate()
        #expect(stopped.status == 0, "\(stopped.stderr.suffix(2_000))")
        for secret in harness.secrets { #expect(!stopped.stderr.contains(secret)) }
    }

    /// The server's address, from the keeper's `http listening` log line (it listens on port 0).
    static func listeningAddress(_ keeper: KeeperBinary.Running) async throws -> String {
        for _ in 0..<600 {  // up to a minute: a loaded machine starts the keeper slowly
            let log = keeper.stderr
            if let line = log.split(separator: "\n").first(where: { $0.contains("msg=\"http listening\"") }),
               let address = line.split(separator: " ").first(where: { $0.hasPrefix("address=") })?.dropFirst("address=".count) {
                return "http://\(address)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ScenarioError(description: "the keeper never logged its HTTP address")
    }

    /// The family names, and every sample as `name{labels as sorted JSON}` → value, by prometheus_client's own parser.
    static func parse(_ exposition: String) throws -> (families: Set<String>, samples: [String: Double]) {
        let script = """
            import sys, json
            from prometheus_client.parser import text_string_to_metric_families
            families, samples = [], {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                families.append(family.name)
                for s in family.samples:
                    samples[s.name + json.dumps(s.labels, sort_keys=True)] = float(s.value)
            print(json.dumps({"families": families, "samples": samples}))
            """
        let parsed = try JSON(parsing: Array(try ReferencePython.run(script, stdin: exposition).utf8))
        var samples = [String: Double]()
        for (key, value) in parsed["samples"]?.objectValue ?? [:] {
            if case .number(let text) = value { samples[key] = Double(text) }
        }
        return (Set(parsed["families"]?.arrayValue?.compactMap(\.stringValue) ?? []), samples)
    }

    static func verify(_ http: HTTPClient, _ base: String, _ body: [String: JSON]) async throws -> (status: Int, body: JSON, text: String) {
        let bytes = JSON.object(body).serialized()
        let timestamp = String(Int(Date().timeIntervalSince1970))
        let signature = APIAuthenticator.signature(secret: try APISecret(Array(apiSecret.utf8)), timestamp: timestamp, body: bytes)
        let response = try await http.send(HTTPRequest(method: .post, url: "\(base)/api/verify",
                                                       headers: [("Content-Type", "application/json"), ("X-Timestamp", timestamp), ("X-Signature", signature)],
                                                       body: bytes))
        return (response.status, try JSON(parsing: response.body), String(decoding: response.body, as: UTF8.self))
    }
}

/// The alerts the keeper raises about itself: `signer_balance_low` under `alerts.minSignerBalance`,
/// `rpc_down` after `alerts.rpcDownAfterSeconds` without a completed round, with `/readyz` saying the node is gone.
@Suite(.serialized) struct OperationalAlertTests {
    @Test(.timeLimit(.minutes(4))) func aPoorSignerAndADeadNodeAreAlerted() async throws {
        // The devnet's keeper holds about 100 ETH: a 1,000 ETH floor makes it "low".
        let harness = try SettlementHarness(sections: ["alerts": ["minSignerBalance": "1000", "rpcDownAfterSeconds": 3]])
        defer { harness.stop() }
        let keeper = try harness.startKeeper()
        let base = try await OperationsEndpointTests.listeningAddress(keeper)
        let database = try harness.database()
        func alerts(_ kind: AlertKind) throws -> [JSON] {
            try database.fetchAll("SELECT body FROM alerts WHERE kind = ?", [kind.rawValue]).map { try JSON(parsing: try $0.get("body", as: String.self)) }
        }
        #expect(try await harness.waitUntil(seconds: 30) { try alerts(.signerBalanceLow).count == 1 })
        #expect(try alerts(.signerBalanceLow).first?["message"]?.stringValue?.contains(harness.devnet.deployment.keeper.address) == true)
        #expect(try alerts(.rpcDown).isEmpty)
        let http = HTTPClient()
        #expect(try await http.send(HTTPRequest(method: .get, url: "\(base)/readyz")).status == 200)

        harness.devnet.stop()
        #expect(try await harness.waitUntil(seconds: 60) { try alerts(.rpcDown).count == 1 }, "\(keeper.stderr.suffix(1_500))")
        #expect(try alerts(.rpcDown).first?["message"]?.stringValue?.contains("no round has reached the node for") == true)
        #expect(try alerts(.signerBalanceLow).count == 1, "an undelivered alert is not raised again")
        // /readyz turns 503 once no round has completed for 10 s, and says it is the node.
        var readiness = JSON.null
        let unready = try await harness.waitUntil(seconds: 30) {
            let response = try await http.send(HTTPRequest(method: .get, url: "\(base)/readyz"))
            readiness = try JSON(parsing: response.body)
            return response.status == 503
        }
        #expect(unready)
        #expect(readiness["checks"]?["rpc"]?["ok"]?.boolValue == false, "\(readiness.serializedString)")
        #expect(readiness["checks"]?["database"]?["ok"]?.boolValue == true)
        #expect(try await http.send(HTTPRequest(method: .get, url: "\(base)/healthz")).status == 200, "alive, though not ready")

        let stopped = keeper.terminate()
        #expect(stopped.status == 0, "\(stopped.stderr.suffix(1_500))")
    }
}
