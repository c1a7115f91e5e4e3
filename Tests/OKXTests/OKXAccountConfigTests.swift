import Foundation
import Testing
import Wire
@testable import OKX

/// Decoding account/config's answer, from OKX's documented example.
@Suite struct OKXAccountConfigTests {
    // OKX's "Response Example" for GET /api/v5/account/config, its `data` element
    // (https://www.okx.com/docs-v5/en/#trading-account-rest-api-get-account-configuration, read 2026).
    static let documented = #"""
    {"acctLv": "2", "acctStpMode": "cancel_maker", "autoLoan": false, "ctIsoMode": "automatic", "enableSpotBorrow": false,
     "greeksType": "PA", "feeType": "0", "ip": "", "type": "0", "kycLv": "3", "label": "v5 test", "level": "Lv1",
     "levelTmp": "", "liquidationGear": "-1", "mainUid": "44705892343619584", "mgnIsoMode": "automatic", "opAuth": "1",
     "perm": "read_only,withdraw,trade", "posMode": "long_short_mode", "roleType": "0", "spotBorrowAutoRepay": false,
     "spotOffsetType": "", "spotRoleType": "0", "spotTraderInsts": [], "stgyType": "0", "traderInsts": [],
     "uid": "44705892343619584", "settleCcy": "USDC", "settleCcyList": ["USD", "USDC", "USDG"]}
    """#

    static func config(replacing original: String, with replacement: String) throws -> OKXAccountConfig {
        let text = documented.replacingOccurrences(of: original, with: replacement)
        #expect(text != documented || original == replacement, "the test's replacement must apply")
        return try OKXAccountConfig(json: try JSON(parsing: text))
    }

    @Test func documentedExampleDecodes() throws {
        let config = try OKXAccountConfig(json: try JSON(parsing: Self.documented))
        #expect(config.uid == "44705892343619584" && config.mainUid == "44705892343619584" && !config.isSubAccount)
        #expect(config.perm == "read_only,withdraw,trade")
        #expect(config.permissions == [.readOnly, .withdraw, .trade] && !config.isReadOnly)
        #expect(config.label == "v5 test" && config.ipWhitelist.isEmpty)
        #expect(config.accountLevel == "2" && config.positionMode == "long_short_mode")
    }

    @Test(arguments: [
        ("read_only", true),
        ("read_only,trade", false),
        ("read_only,withdraw", false),
        ("read_only,trade,withdraw", false),
        ("trade", false),
        ("read_only,read_only", true),
        ("read_only, trade", false),        // spaces around a word do not hide it
        ("read_only,", true),               // an empty piece names nothing
    ])
    func onlyExactlyReadOnlyIsReadOnly(perm: String, readOnly: Bool) throws {
        let config = try Self.config(replacing: #""perm": "read_only,withdraw,trade""#, with: #""perm": "\#(perm)""#)
        #expect(config.isReadOnly == readOnly, "perm \(perm)")
    }

    @Test(arguments: ["read_only,future_permission", "READ_ONLY", "read-only", "read_only,Trade"])
    func unknownWordsAreKeptAndAreNotReadOnly(perm: String) throws {
        let config = try Self.config(replacing: #""perm": "read_only,withdraw,trade""#, with: #""perm": "\#(perm)""#)
        #expect(!config.isReadOnly)
        #expect(config.permissions.contains { if case .other = $0 { true } else { false } })
        #expect(Set(config.permissions.map(\.word)) == Set(perm.split(separator: ",").map(String.init)))
    }

    @Test(arguments: [
        (#""perm": "read_only,withdraw,trade""#, #""perm": """#, "perm is empty"),
        (#""perm": "read_only,withdraw,trade","#, "", "perm is missing"),
        (#""perm": "read_only,withdraw,trade""#, #""perm": ",""#, "perm names no permission"),
        (#""perm": "read_only,withdraw,trade""#, #""perm": ["read_only"]"#, "perm is not a string"),
        (#""uid": "44705892343619584","#, "", "uid is missing"),
    ])
    func malformedAnswersAreRefused(original: String, replacement: String, reason: String) {
        do {
            _ = try Self.config(replacing: original, with: replacement)
            Issue.record("expected a decoding error for \(reason)")
        } catch let error as OKXDecodingError {
            #expect(error.description.hasPrefix("account config.\(reason)"), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func boundIPsAndSubAccounts() throws {
        // "separate with commas if more than one, e.g. `117.37.203.58,117.37.203.57`"
        let bound = try Self.config(replacing: #""ip": """#, with: #""ip": "117.37.203.58,117.37.203.57""#)
        #expect(bound.ipWhitelist == ["117.37.203.58", "117.37.203.57"])
        // "The current request account is sub-account if uid != mainUid."
        let sub = try Self.config(replacing: #""uid": "44705892343619584""#, with: #""uid": "44705892343619585""#)
        #expect(sub.isSubAccount && sub.uid == "44705892343619585")
    }

    @Test func madeConfigsAnswerLikeDecodedOnes() throws {
        let made = OKXAccountConfig(uid: "44705892343619584", permissions: [.trade, .readOnly, .withdraw], label: "v5 test")
        let decoded = try OKXAccountConfig(json: try JSON(parsing: Self.documented))
        #expect(made.perm == "read_only,trade,withdraw" && made.permissions == decoded.permissions)
        #expect(made.mainUid == decoded.mainUid && made.label == decoded.label && !made.isReadOnly)
        #expect(OKXAccountConfig(uid: "1", permissions: [.readOnly]).isReadOnly)
        #expect(!OKXAccountConfig(uid: "1", permissions: []).isReadOnly, "a key that can do nothing known is not read-only")
    }

    @Test func permissionWordsRoundTrip() {
        for word in ["read_only", "trade", "withdraw", "something_new"] {
            #expect(OKXKeyPermission(word: word).word == word)
        }
        #expect(OKXKeyPermission(word: "read_only") == .readOnly && OKXKeyPermission(word: "x") == .other("x"))
    }
}

/// `OKXClient.accountConfig()` against devnet/okxsim.py, whose scenario accounts have read-only,
/// trade-enabled and withdraw-enabled keys (devnet/scenarios/26-trade-key.json, 27-withdraw-key.json).
@Suite final class OKXAccountConfigClientTests {
    let sim: OKXSimulator

    init() throws { sim = try OKXSimulator() }

    deinit { sim.stop() }

    func config(_ name: String) async throws -> OKXAccountConfig {
        try await sim.client(try OKXSimulator.credentials(name)).accountConfig()
    }

    @Test func readOnlyKey() async throws {
        let alice = try await config("alice")
        #expect(alice.isReadOnly && alice.permissions == [.readOnly] && alice.perm == "read_only")
        #expect(alice.uid == "448190362870112256" && !alice.isSubAccount && alice.label == "alice")
    }

    @Test func tradeKeyIsNotReadOnly() async throws {
        let trade = try await config("zane-trade")
        #expect(!trade.isReadOnly && trade.permissions == [.readOnly, .trade] && trade.label == "lg trade key")
        let zane = try await config("zane")
        #expect(zane.isReadOnly && zane.uid == trade.uid && zane.uid == "448190362870112281", "another key of the same account")
    }

    @Test func withdrawKeysAreNotReadOnly() async throws {
        let withdraw = try await config("zelda-withdraw")
        #expect(!withdraw.isReadOnly && withdraw.permissions == [.readOnly, .withdraw])
        let all = try await config("zelda-all")
        #expect(!all.isReadOnly && all.permissions == [.readOnly, .trade, .withdraw])
        #expect(try await config("zelda").isReadOnly)
    }

    @Test func wrongPassphraseIsAnAuthErrorWithOKXsCode() async throws {
        let zane = try OKXSimulator.credentials("zane")
        let wrong = OKXCredentials(apiKey: zane.apiKey, secretKey: zane.secretKey, passphrase: "not-the-passphrase")
        let error = try await expectFailure { try await self.sim.client(wrong).accountConfig() }
        #expect(error.code == .authError && error.okxCode == "50105" && error.httpStatus == 401)
        #expect(error.isKeyProblem && !error.isRetryable && error.attempts == 1)
        #expect(error.endpoint == "/api/v5/account/config" && error.hint.contains("passphrase"))
        #expect(!error.description.contains(zane.secretKey) && !error.description.contains(zane.passphrase))
    }

    @Test(arguments: [("secret", "50113"), ("key", "50111")])
    func otherRefusedKeys(part: String, code: String) async throws {
        let zane = try OKXSimulator.credentials("zane-trade")
        let wrong = part == "secret"
            ? OKXCredentials(apiKey: zane.apiKey, secretKey: "00000000000000000000000000000000", passphrase: zane.passphrase)
            : OKXCredentials(apiKey: "00000000-0000-4000-8000-000000000000", secretKey: zane.secretKey, passphrase: zane.passphrase)
        let error = try await expectFailure { try await self.sim.client(wrong).accountConfig() }
        #expect(error.code == .authError && error.okxCode == code && error.isKeyProblem)
    }

    @Test func keyWithoutReadIsRefused() async throws {
        // account/config needs "Permission: Read"; mike's key has only trade.
        let error = try await expectFailure { try await self.config("mike") }
        #expect(error.code == .authError && error.okxCode == "50120" && error.hint.contains("Read permission"))
    }

    @Test func staysWithinFivePerTwoSeconds() async throws {
        let zane = try OKXSimulator.credentials("zane-trade")
        let client = sim.client(zane)
        for _ in 0..<7 { #expect(try await client.accountConfig().uid == "448190362870112281") }
        let hits = try await sim.hits(zane, .accountConfig)
        #expect(hits["count"] == 7 && hits["ok"] == 7 && hits["limited"] == 0 && (hits["maxInWindow"] ?? 99) <= 5)
    }
}
