import Foundation
import OKX
import Testing
import TestSupport
import Wire

/// One file of devnet/scenarios: the claim a trader makes and the verdict it must get. The known
/// answers of the verifier's tests come from these files, not from the code under test.
struct OKXScenario: Sendable, CustomTestStringConvertible {
    let file: String
    let account: String
    let ordId: String
    let instId: String
    /// USDT, as the trader declares it.
    let principal: Decimal
    let simulated: Bool
    let liquidated: Bool
    let reason: String
    let loss: Decimal
    let posId: String?
    let error: String?
    let okxCode: String?
    let refusal: String?
    let maxClaimAgeDays: Int?
    let credentials: OKXCredentials

    var testDescription: String { file }

    static let directory = ReferencePython.repositoryRoot.appendingPathComponent("devnet/scenarios")

    /// Every scenario file (not instruments.json), in file order.
    static func all() throws -> [OKXScenario] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        var accounts = [String: OKXCredentials]()
        var documents = [(String, JSON)]()
        for file in files {
            let document = try JSON(parsing: Array(try Data(contentsOf: directory.appendingPathComponent(file))))
            for account in document["accounts"]?.arrayValue ?? [] {
                guard let name = account["name"]?.stringValue, let key = account["apiKey"]?.stringValue,
                      let secret = account["secretKey"]?.stringValue, let passphrase = account["passphrase"]?.stringValue else { continue }
                accounts[name] = OKXCredentials(apiKey: key, secretKey: secret, passphrase: passphrase, uid: account["uid"]?.stringValue)
            }
            if document["claim"] != nil { documents.append((file, document)) }
        }
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
                principal: try decimal(try text(claim?["principal"], "claim.principal")), simulated: claim?["simulated"]?.boolValue ?? false,
                liquidated: expect?["liquidated"]?.boolValue ?? false, reason: try text(expect?["reason"], "expect.reason"),
                loss: try decimal(try text(expect?["loss"], "expect.loss")), posId: expect?["posId"]?.stringValue,
                error: expect?["error"]?.stringValue, okxCode: expect?["okxCode"]?.stringValue, refusal: expect?["refusal"]?.stringValue,
                maxClaimAgeDays: expect?["maxClaimAgeDays"]?.intValue, credentials: credentials)
        }
    }

    static func decimal(_ text: String) throws -> Decimal {
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw ScenarioError(description: "'\(text)' is not a decimal")
        }
        return value
    }
}

struct ScenarioError: Error, CustomStringConvertible {
    let description: String
}

/// devnet/okxsim.py, shared by the suites of this test process (stopped when the process exits).
enum OKXSim {
    static func shared() throws -> ServerProcess { try instance.get() }
    private static let instance = Result { try ServerProcess(script: "okxsim.py", arguments: ["--port", "0"]) }

    /// A second simulator for the suite that queues faults, so that they never reach another suite's requests.
    static func faulty() throws -> ServerProcess { try faultyInstance.get() }
    private static let faultyInstance = Result { try ServerProcess(script: "okxsim.py", arguments: ["--port", "0"]) }

    /// A client with fast retries against `baseURL`, with its own rate limiter.
    static func client(_ credentials: OKXCredentials, baseURL: String, simulated: Bool = false, maximumAttempts: Int = 4,
                       limiter: OKXRateLimiter = OKXRateLimiter()) -> OKXClient {
        OKXClient(credentials: credentials,
                  configuration: .init(baseURL: baseURL, simulated: simulated, requestTimeoutMilliseconds: 5_000,
                                       retry: OKXRetryPolicy(maximumAttempts: maximumAttempts, baseDelayMilliseconds: 1, maximumDelayMilliseconds: 5)),
                  rateLimiter: limiter)
    }

    /// Queues `count` faulty answers on `endpoint` (okxsim's `POST /sim/faults`).
    static func fault(_ baseURL: String, mode: String, endpoint: String, count: Int, apiKey: String? = nil) async throws {
        var spec: [String: JSON] = ["endpoint": .string(endpoint), "mode": .string(mode), "count": JSON(count)]
        if let apiKey { spec["apiKey"] = .string(apiKey) }
        let response = try await HTTPClient().send(HTTPRequest(method: .post, url: baseURL + "/sim/faults",
                                                               headers: [("Content-Type", "application/json")],
                                                               body: JSON.object(spec).serialized()))
        guard response.status == 200 else { throw ScenarioError(description: "okxsim /sim/faults answered \(response.status)") }
    }
}

/// A temporary directory with the keeper's database, removed by `remove()`.
struct Scratch {
    let directory: String
    var database: String { "\(directory)/keeper.sqlite" }
    var evidence: String { "\(directory)/evidence" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-verify-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// Every file below the directory whose bytes contain one of `secrets` (database, WAL, evidence).
    func filesContaining(_ secrets: [String]) throws -> [String] {
        var found = [String]()
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            let path = "\(directory)/\(relative)"
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            for secret in secrets where bytes.range(of: Data(secret.utf8)) != nil { found.append("\(relative) holds \(secret.prefix(4))…") }
        }
        return found
    }
}
