import Foundation
import OKX
import Wire

/// One file of devnet/scenarios: the claim a trader makes and the verdict it must get. The known
/// answers of the verifier's tests come from these files, not from the code under test.
public struct OKXScenario: Sendable {
    public let file: String
    public let account: String
    public let ordId: String
    public let instId: String
    /// USDT, as the trader declares it.
    public let principal: Decimal
    public let leverage: Int
    public let simulated: Bool
    public let liquidated: Bool
    public let reason: String
    public let loss: Decimal
    public let posId: String?
    public let error: String?
    public let okxCode: String?
    public let refusal: String?
    public let maxClaimAgeDays: Int?
    /// Why no verdict may be written yet (`expect.wait`): the position is not closed or not visible, the picture incomplete.
    public let wait: String?
    /// The position's settlement currency (`expect.currency`, default USDT): paid only from a pool in it.
    public let currency: String
    /// The position becomes visible only after this long (`expect.visibleAfterMs`); before, `expect.waitBefore` holds.
    public let waitBefore: String?
    /// The claim's first key is refused with this OKX code (`expect.firstKeyError`), e.g. 50119 for an expired key…
    public let firstKeyError: String?
    /// …and the trader then registers this one (`expect.replacementKey`, an account's extra key).
    public let replacement: OKXCredentials?
    public let credentials: OKXCredentials

    public static let directory = ReferencePython.repositoryRoot.appendingPathComponent("devnet/scenarios")

    /// Every scenario file (not instruments.json) with its parsed document, in file order.
    static func documents() throws -> [(file: String, document: JSON)] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted().map { file in
            (file, try JSON(parsing: Array(try Data(contentsOf: directory.appendingPathComponent(file)))))
        }
    }

    /// Every account the scenarios define, by name, in its region, and each of an account's
    /// `extraKeys` by its own name (dev-only fake keys).
    public static func accounts() throws -> [String: OKXCredentials] {
        var accounts = [String: OKXCredentials]()
        for (_, document) in try documents() {
            for account in document["accounts"]?.arrayValue ?? [] {
                let region = OKXRegion(rawValue: account["region"]?.stringValue ?? "www") ?? .www
                for key in [account] + (account["extraKeys"]?.arrayValue ?? []) {
                    guard let name = key["name"]?.stringValue, let apiKey = key["apiKey"]?.stringValue,
                          let secret = key["secretKey"]?.stringValue, let passphrase = key["passphrase"]?.stringValue else { continue }
                    accounts[name] = OKXCredentials(apiKey: apiKey, secretKey: secret, passphrase: passphrase,
                                                    uid: account["uid"]?.stringValue, region: region)
                }
            }
        }
        return accounts
    }

    public static func all() throws -> [OKXScenario] {
        let accounts = try Self.accounts()
        let documents = try Self.documents().filter { $0.document["claim"] != nil }
        return try documents.map { file, document in
            let claim = document["claim"], expect = document["expect"]
            func text(_ value: JSON?, _ name: String) throws -> String {
                guard let text = value?.stringValue else { throw ScenarioError(description: "\(file): \(name) is missing") }
                return text
            }
            let account = try text(claim?["account"], "claim.account")
            guard let credentials = accounts[account] else { throw ScenarioError(description: "\(file): no account \(account)") }
            return OKXScenario(
                file: file, account: account, ordId: try text(claim?["ordId"], "claim.ordId"), instId: try text(claim?["instId"], "claim.instId"),
                principal: try decimal(try text(claim?["principal"], "claim.principal")), leverage: claim?["leverage"]?.intValue ?? 10, simulated: claim?["simulated"]?.boolValue ?? false,
                liquidated: expect?["liquidated"]?.boolValue ?? false, reason: try text(expect?["reason"], "expect.reason"),
                loss: try decimal(try text(expect?["loss"], "expect.loss")), posId: expect?["posId"]?.stringValue,
                error: expect?["error"]?.stringValue, okxCode: expect?["okxCode"]?.stringValue, refusal: expect?["refusal"]?.stringValue,
                maxClaimAgeDays: expect?["maxClaimAgeDays"]?.intValue, wait: expect?["wait"]?.stringValue,
                currency: expect?["currency"]?.stringValue ?? "USDT", waitBefore: expect?["waitBefore"]?.stringValue,
                firstKeyError: expect?["firstKeyError"]?.stringValue,
                replacement: try expect?["replacementKey"]?.stringValue.map { name in
                    guard let key = accounts[name] else { throw ScenarioError(description: "\(file): no key \(name)") }
                    return key
                },
                credentials: credentials)
        }
    }

    public static func decimal(_ text: String) throws -> Decimal {
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw ScenarioError(description: "'\(text)' is not a decimal")
        }
        return value
    }
}

public struct ScenarioError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

