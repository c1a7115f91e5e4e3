import Foundation
import OKX
import Testing
import TestSupport
import Wire

extension OKXScenario: CustomTestStringConvertible {
    public var testDescription: String { file }
}

/// devnet/okxsim.py, shared by the suites of this test process (stopped when the process exits).
enum OKXSim {
    static func shared() throws -> ServerProcess { try instance.get() }
    private static let instance = Result { try ServerProcess(script: "okxsim.py", arguments: ["--port", "0"]) }

    /// A second simulator for the suite that queues faults, so that they never reach another suite's requests.
    static func faulty() throws -> ServerProcess { try faultyInstance.get() }
    private static let faultyInstance = Result { try ServerProcess(script: "okxsim.py", arguments: ["--port", "0"]) }

    /// The base URL of each region's listener (okxsim's `GET /sim/regions`): a key answers only on its own.
    static func regionURLs(_ sim: ServerProcess) async throws -> [OKXRegion: String] {
        let response = try await HTTPClient().send(HTTPRequest(method: .get, url: sim.baseURL + "/sim/regions"))
        let json = try JSON(parsing: response.body)
        var urls = [OKXRegion: String]()
        for region in OKXRegion.allCases { urls[region] = json[region.rawValue]?.stringValue }
        return urls
    }

    /// One limiter for every client of a suite, as in the keeper: OKX limits public endpoints per IP.
    static let sharedLimiter = OKXRateLimiter()

    /// A client with fast retries against `baseURL`, with its own rate limiter.
    static func client(_ credentials: OKXCredentials, baseURL: String, simulated: Bool = false, maximumAttempts: Int = 4,
                       limiter: OKXRateLimiter = OKXRateLimiter()) -> OKXClient {
        OKXClient(credentials: credentials,
                  configuration: .init(baseURL: baseURL, simulated: simulated, requestTimeoutMilliseconds: 30_000,
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
