import Foundation
import OKX
import TestSupport
import Wire

/// devnet/okxsim.py for one test suite: its admin endpoints and the scenario accounts' keys.
final class OKXSimulator: Sendable {
    let server: ServerProcess
    /// Shared by the suite's clients, as one process shares `OKXRateLimiter.shared`.
    let limiter = OKXRateLimiter()
    private let http = HTTPClient()

    init(arguments: [String] = []) throws {
        server = try ServerProcess(script: "okxsim.py", arguments: ["--port", "0"] + arguments)
    }

    var baseURL: String { server.baseURL }

    func stop() { server.stop() }

    /// Credentials of a scenario account (devnet/scenarios/*.json; dev-only fakes).
    static func credentials(_ name: String) throws -> OKXCredentials {
        guard let credentials = try OKXScenario.accounts()[name] else { throw SimulatorFailure(description: "no scenario account named \(name)") }
        return credentials
    }

    /// A client for a scenario account with fast retries and an optional clock, on the www
    /// listener unless `baseURL` names another region's.
    func client(_ credentials: OKXCredentials, retry: OKXRetryPolicy = OKXRetryPolicy(maximumAttempts: 4, baseDelayMilliseconds: 1,
                                                                                        maximumDelayMilliseconds: 5),
                simulated: Bool = false, timeoutMilliseconds: Int = 30_000, limiter: OKXRateLimiter? = nil, baseURL: String? = nil,
                clock: @escaping @Sendable () -> Date = { Date() }, clockOffset: OKXClockOffset = OKXClockOffset(),
                observer: (@Sendable (OKXRequestRecord) -> Void)? = nil) -> OKXClient {
        OKXClient(credentials: credentials,
                  configuration: .init(baseURL: baseURL ?? self.baseURL, simulated: simulated, requestTimeoutMilliseconds: timeoutMilliseconds,
                                       retry: retry),
                  rateLimiter: limiter ?? self.limiter, clock: clock, clockOffset: clockOffset, observer: observer)
    }

    /// Each region's listener (`GET /sim/regions`).
    func regionURLs() async throws -> OKXBaseURLs {
        let answer = try await admin(.get, "/sim/regions")
        var urls = OKXBaseURLs()
        for region in OKXRegion.allCases {
            guard let url = answer[region.rawValue]?.stringValue else { throw SimulatorFailure(description: "no \(region) listener") }
            urls[region] = url
        }
        return urls
    }

    /// Sets okxsim's clock `skewMs` ahead of this host's, for `forMs` (nil: until changed).
    func skewClock(_ skewMs: Int, forMs: Int? = nil) async throws {
        var spec: [String: JSON] = ["skewMs": JSON(skewMs)]
        if let forMs { spec["forMs"] = JSON(forMs) }
        _ = try await admin(.post, "/sim/clock", .object(spec))
    }

    /// Queues `count` faulty answers (see okxsim.py for the modes).
    func fault(_ mode: String, endpoint: String = "*", count: Int, latencyMs: Int? = nil) async throws {
        var spec: [String: JSON] = ["endpoint": .string(endpoint), "mode": .string(mode), "count": JSON(count)]
        if let latencyMs { spec["latencyMs"] = JSON(latencyMs) }
        _ = try await admin(.post, "/sim/faults", .object(spec))
    }

    /// `/sim/hits` for one key and endpoint: count, ok, limited, faulted, maxInWindow.
    func hits(_ credentials: OKXCredentials, _ endpoint: OKXEndpoint) async throws -> [String: Int] {
        let summary = try await admin(.get, "/sim/hits?apiKey=\(credentials.apiKey)&endpoint=\(endpoint.path)")
        let members = summary["endpoints"]?[endpoint.path]?.objectValue ?? [:]
        return members.compactMapValues(\.intValue)
    }

    private func admin(_ method: HTTPRequest.Method, _ path: String, _ body: JSON? = nil) async throws -> JSON {
        let response = try await http.send(HTTPRequest(method: method, url: baseURL + path, headers: [("Content-Type", "application/json")],
                                                       body: body?.serialized() ?? []))
        guard response.status == 200 else {
            throw SimulatorFailure(description: "okxsim \(path) answered \(response.status)")
        }
        return try JSON(parsing: response.body)
    }
}

struct SimulatorFailure: Error, CustomStringConvertible {
    let description: String
}
