import Foundation
import OKX
import Testing
import TestSupport
import Verification
import Wire
@testable import Ethereum
@testable import Keeper
@testable import Settlement
@testable import Store

/// Issue 13 through `lg-keeper run`: the verdict rules as OKX documents them (docs/EVIDENCE.md,
/// "Verdict rules"), each against its okxsim scenario (devnet/scenarios 14–25, with the documentation
/// quoted in each file's `source`), on a USDT pool (devnode `--pool-token`) and on an ETH pool.
@Suite(.serialized) struct DocumentedOKXSettlementTests {
    /// Terms that pay the whole loss, so that each paid amount is the scenario's loss (capped by its principal).
    static let terms: [String: JSON] = ["coverageBps": 10_000, "maxPayoutPerClaim": "5000", "dailyLimit": "100000",
                                        "reviewAbove": "100000", "maxClaimAgeDays": 90]

    /// `lg-keeper keys add` for `user` with `key`, in the key's own region.
    static func addKey(_ harness: SettlementHarness, user: Int, _ key: OKXCredentials, alias: String) throws {
        let added = try KeeperBinary.runWithInput(["keys", "add", "--unchecked", "--wallet", harness.devnet.deployment.users[user].address, "--alias", alias,
                                                   "--region", key.region.rawValue, "--db", harness.databasePath],
                                                  input: "\(key.apiKey)\n\(key.secretKey)\n\(key.passphrase)\n", environment: harness.environment)
        guard added.status == 0 else { throw ScenarioError(description: "keys add exited \(added.status): \(added.stderr)") }
    }

    /// The harness's configuration with every region's okxsim listener in `okx.baseURLs`.
    static func useRegions(_ harness: SettlementHarness) async throws {
        let response = try await HTTPClient().send(HTTPRequest(method: .get, url: harness.okx.baseURL + "/sim/regions"))
        let regions = try JSON(parsing: response.body)
        _ = try harness.writeConfig("keeper.json", ["okx": ["baseURLs": regions, "timeoutMs": 5_000]])
    }

    static func post(_ harness: SettlementHarness, _ path: String, _ body: JSON) async throws {
        let response = try await HTTPClient().send(HTTPRequest(method: .post, url: harness.okx.baseURL + path,
                                                               headers: [("Content-Type", "application/json")], body: body.serialized()))
        guard response.status == 200 else { throw ScenarioError(description: "okxsim \(path) answered \(response.status)") }
    }

    static func alerts(_ harness: SettlementHarness, _ kind: AlertKind) throws -> [JSON] {
        try harness.database().fetchAll("SELECT body FROM alerts WHERE kind = ?", [kind.rawValue]).map { try JSON(parsing: try $0.get("body", as: String.self)) }
    }

    @Test(.timeLimit(.minutes(6))) func documentedRulesSettleThroughRun() async throws {
        let harness = try SettlementHarness(devnetArguments: ["--users", "10"], policy: Self.terms)
        defer { harness.stop() }
        try await Self.useRegions(harness)
        // These claims pay about 2,000 USDT: the owner adds funds and raises the contract's daily limit.
        try await harness.ownerDeposit(try harness.units(5_000))
        try await harness.ownerTransaction("setDailyPayoutLimit", [.uint(try harness.units(100_000))])
        // (scenario, user): rita's two lifecycles of one posId are one trader's two claims.
        let claims: [(file: String, user: Int)] = [
            ("14-inverse-btc-usd-swap-liquidation.json", 0), ("16-adl-fully-closed.json", 1), ("17-posid-reused-first.json", 2),
            ("18-posid-reused-second.json", 2), ("19-partial-liquidation-then-manual-close.json", 3), ("20-position-visible-later.json", 4),
            ("21-us-key.json", 5), ("22-underscore-instid.json", 6), ("23-order-only-in-archive.json", 7),
            ("24-credential-in-answer.json", 8), ("25-key-expired-and-replaced.json", 9),
        ]
        var keyed = Set<Int>()
        for (file, user) in claims {
            let s = try SettlementHarness.scenario(file)
            if keyed.insert(user).inserted { try Self.addKey(harness, user: user, s.credentials, alias: "user\(user)") }
            try harness.requestClaim(user: user, scenario: s)
        }
        // The simulator's clocks start now: scenario 20's position becomes visible a minute after this (filing the
        // claims took a while on a loaded machine), and OKX's clock runs 45 s ahead of this host's for that minute:
        // 50102 until the clients correct.
        try await Self.post(harness, "/sim/reset", [:])
        try await Self.post(harness, "/sim/clock", ["skewMs": 45_000, "forMs": 60_000])

        let keeper = try harness.startKeeper()
        let scenario = { (file: String) throws -> OKXScenario in try SettlementHarness.scenario(file) }
        let yara = try scenario("25-key-expired-and-replaced.json")
        // The expired key parks its claim (never fails it) and raises key_invalid…
        let parked = try await harness.waitUntil(seconds: 90) { try harness.claim(user: 9, yara)?.state == .needsKey }
        #expect(parked, "the claim of an expired key waits in needs_key")
        #expect(try Self.alerts(harness, .keyInvalid).contains { $0["message"]?.stringValue?.contains(harness.devnet.deployment.users[9].address.lowercased()) == true
                                                                 || $0["detail"]?["wallet"]?.stringValue?.lowercased() == harness.devnet.deployment.users[9].address.lowercased() })
        // …until the trader registers a new key: the claim resumes with no operator.
        try Self.addKey(harness, user: 9, try #require(yara.replacement), alias: "user9-new")
        let settled = try await harness.waitForClaims(seconds: 240) { claims in claims.count == 11 && claims.allSatisfy(\.state.isFinal) }
        let stopped = keeper.terminate()
        #expect(stopped.status == 0, "lg-keeper run exited \(stopped.status): \(stopped.stderr.suffix(2_000))")
        let ledger = try harness.ledger()
        let states = try ledger.list().map { "\($0.subject) \($0.state.rawValue) \($0.reason ?? "")" }
        #expect(settled, "every claim settles: \(states)")
        var lifecycles = [String]()
        for (file, user) in claims {
            let s = try scenario(file)
            let claim = try #require(try harness.claim(user: user, s), "\(file)")
            let onChain = try await harness.onChainClaim(user: user, s)
            #expect(onChain.verified && onChain.liquidated == s.liquidated, "\(file)")
            if s.currency != "USDT" {
                // Liquidated, but in another currency than the pool's: refused inside the sealed evidence, nothing paid.
                #expect(claim.state == .rejected && onChain.amount == .zero && !onChain.claimed, "\(file): \(claim.state.rawValue)")
                #expect(claim.reason == "currency-not-covered", "\(file): \(claim.reason ?? "")")
            } else {
                #expect(claim.state == .paid && onChain.claimed, "\(file): \(claim.state.rawValue) \(claim.reason ?? "")")
                #expect(onChain.amount == (try harness.expectedAmount(s)), "\(file): \(onChain.amount)")
            }
            let position = try #require(claim.positionID, "\(file)")
            #expect(position.hasPrefix("\(try #require(s.posId))@"), "\(file): \(position)")
            lifecycles.append(position)
        }
        // One posId, two lifecycles: both paid, told apart by their opening time.
        #expect(lifecycles[2] != lifecycles[3])

        // The position that became visible only after a minute waited, undecided, before its verdict.
        let late = try #require(try harness.claim(user: 4, try scenario("20-position-visible-later.json")))
        #expect(try ledger.history(of: late).contains { $0.detail["reason"]?.stringValue?.contains("positions-history") == true })

        // The credential inside an OKX answer was redacted in the evidence, and `run` went on.
        let xavier = try scenario("24-credential-in-answer.json")
        let redacted = try #require(try harness.claim(user: 8, xavier)?.evidenceID)
        let bundle = try String(contentsOfFile: try #require(try EvidenceArchive(files: EvidenceFiles(root: "\(harness.dir)/evidence"),
                                                                               database: try harness.database()).entry(redacted)).path, encoding: .utf8)
        #expect(bundle.contains(CredentialRedaction.placeholder) && bundle.contains(CredentialRedaction.note))
        #expect(!bundle.contains(xavier.credentials.apiKey))

        // The host's clock was off: corrected, alerted, and no claim suffered for it.
        #expect(try !Self.alerts(harness, .okxClockSkew).isEmpty)
        #expect(try harness.filesContainingSecrets(claims.flatMap { (try? scenario($0.file))?.credentials.secrets ?? [] }).isEmpty)
    }

    @Test(.timeLimit(.minutes(4))) func anEtherPoolPaysAnEtherSettledLossAndRefusesAUSDTOne() async throws {
        let harness = try SettlementHarness(pool: .eth, policy: Self.terms)
        defer { harness.stop() }
        let ether = try SettlementHarness.scenario("15-eth-usd-swap-liquidation.json")
        let usdt = try SettlementHarness.scenario("01-full-liquidation-long.json")
        try Self.addKey(harness, user: 0, ether.credentials, alias: "pablo")
        try Self.addKey(harness, user: 1, usdt.credentials, alias: "alice")
        try harness.requestClaim(user: 0, scenario: ether)
        try harness.requestClaim(user: 1, scenario: usdt)
        let before = try await harness.assetBalance(of: try harness.userAddress(0))

        let keeper = try harness.startKeeper()
        let settled = try await harness.waitForClaims(seconds: 150) { claims in claims.count == 2 && claims.allSatisfy(\.state.isFinal) }
        let stopped = keeper.terminate()
        #expect(stopped.status == 0, "lg-keeper run exited \(stopped.status): \(stopped.stderr.suffix(2_000))")
        #expect(settled)

        let paid = try #require(try harness.claim(user: 0, ether))
        let amount = try harness.units(try #require(Decimal(string: "0.08")))
        #expect(paid.state == .paid && paid.amount == amount)
        let after = try await harness.assetBalance(of: try harness.userAddress(0))
        #expect(after == (try before.adding(amount)), "0.08 ETH arrived")
        let refused = try #require(try harness.claim(user: 1, usdt))
        #expect(refused.state == .rejected && refused.reason == "currency-not-covered" && refused.amount == .zero)
    }
}
