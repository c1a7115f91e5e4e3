import Foundation
import Testing
import TestSupport
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Settlement
@testable import Store

/// The console as `lg-keeper run` serves it with `console.enabled`, on devnode and okxsim: an operator
/// added with `console add-operator` logs in, sees the claim held for review, approves it and sees it
/// paid with its evidence matching the chain's PayoutVerified; the verifier checks an order with a
/// trader's key and shows it nowhere, neither on the page nor in the keeper's log.
@Suite(.serialized) struct ConsoleRunTests {
    @Test(.timeLimit(.minutes(4))) func anOperatorApprovesAHeldClaimAndVerifiesAnOrder() async throws {
        let harness = try SettlementHarness(policy: ["reviewAbove": "20"], sections: ["console": ["enabled": true]])
        defer { harness.stop() }
        let password = "operator password \(UUID().uuidString.prefix(8))"
        let added = try KeeperBinary.runWithInput(["console", "add-operator", "olivia", "--config", harness.configPath], input: password + "\n",
                                                  environment: harness.environment)
        try #require(added.status == 0, "\(added.stderr)")
        let scenario = try SettlementHarness.scenario("01-full-liquidation-long.json")
        try harness.addKey(user: 0, scenario: scenario)
        try harness.requestClaim(user: 0, scenario: scenario)
        let user = harness.devnet.deployment.users[0].address.lowercased()
        let key = "\(user)/\(scenario.ordId)"

        let keeper = try harness.startKeeper()
        do {
            let client = try #require(ConsoleClient(base: try await OperationsEndpointTests.listeningAddress(keeper)))
            #expect(try client.request("GET", "/console/claims").status == 303)
            let form = try client.request("GET", "/console/login")
            let login = try client.request("POST", "/console/login", cookie: "lgk_login=\(try #require(form.cookie("lgk_login")))",
                                           form: ["name": "olivia", "password": password, "csrf": try #require(ConsoleClient.csrf(in: form.body))])
            try #require(login.status == 303, "\(login.body)")
            let cookie = "lgk_session=\(try #require(login.cookie("lgk_session")))"

            try #require(try await harness.waitForClaims(seconds: 90) { $0.count(.heldReview) == 1 })
            let list = try client.request("GET", "/console/claims?state=held_review", cookie: cookie)
            #expect(list.body.contains("data-claim=\"\(key)\" data-state=\"held_review\""), "\(list.body)")
            let confirm = try client.request("GET", "/console/claims/\(key)/approve", cookie: cookie)
            let approved = try client.request("POST", "/console/claims/\(key)/approve", cookie: cookie,
                                              form: ["note": "fills checked", "csrf": try #require(ConsoleClient.csrf(in: confirm.body))])
            #expect(approved.status == 303, "\(approved.body)")
            try #require(try await harness.waitForClaims(seconds: 60) { $0.count(.paid) == 1 })
            let claim = try #require(try harness.claim(user: 0, scenario))
            #expect(claim.review == .approved && claim.reviewBy == "olivia" && claim.reviewNote == "fills checked")
            // The index catches up with PayoutVerified within a few rounds.
            var page = try client.request("GET", "/console/claims/\(key)", cookie: cookie)
            for _ in 0..<300 where !page.body.contains("data-match=\"true\"") {  // up to a minute, for a loaded machine
                try await Task.sleep(for: .milliseconds(200))
                page = try client.request("GET", "/console/claims/\(key)", cookie: cookie)
            }
            #expect(page.body.contains("data-field=\"state\">paid"))
            #expect(page.body.contains("data-match=\"true\""), "the evidence matches the chain's PayoutVerified")
            #expect(page.body.contains("claim.review") && page.body.contains("by=olivia"))
            let evidenceID = try #require(claim.evidenceID)
            let bundle = try client.request("GET", "/console/evidence/\(evidenceID)", cookie: cookie)
            #expect(bundle.status == 200)
            let document = try JSON(parsing: bundle.body)
            #expect(document["evidence"]?["evidenceId"]?.stringValue == evidenceID)

            let verifyForm = try client.request("GET", "/console/verify", cookie: cookie)
            let c = scenario.credentials
            let result = try client.request("POST", "/console/verify", cookie: cookie, form: [
                "instId": scenario.instId, "ordId": scenario.ordId, "apiKey": c.apiKey, "secretKey": c.secretKey, "passphrase": c.passphrase,
                "csrf": try #require(ConsoleClient.csrf(in: verifyForm.body)),
            ])
            #expect(result.status == 200)
            #expect(result.body.contains("data-field=\"liquidated\">true<"), "\(result.body)")
            #expect(result.body.contains("data-field=\"root\">0x"))
            for secret in [c.apiKey, c.secretKey, c.passphrase] {
                #expect(!result.body.contains(secret), "the page does not echo a credential")
                #expect(!keeper.stderr.contains(secret), "the log does not carry a credential")
            }
            #expect(!keeper.stderr.contains(password))
        } catch {
            Issue.record("lg-keeper run log: \(keeper.terminate().stderr.suffix(4_000))")
            throw error
        }
        let stopped = keeper.terminate()
        #expect(stopped.status == 0, "\(stopped.stderr.suffix(2_000))")
    }
}
