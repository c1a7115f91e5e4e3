import Foundation
import Keeper
import OKX
import Settlement
import Store
import Synchronization
import Verification
import Wire

/// Verification-core time per claim (issue 8): `LiquidationVerifier.verify` over okxsim's answers
/// recorded once per claim, so that no OKX round trip is timed. What is timed is everything the
/// verifier does after the reads: the verdict rules and payout, the seed-002 response, canonical
/// JSON, the Merkle root and bundle hash (`EvidenceBundle.seal`), and — unless `writeEvidence` is
/// false — the evidence file, its `.root` file and the `evidence` row.
struct VerifyCore {
    struct Claim {
        let name: String
        let request: VerificationRequest
        let secrets: [String]
        let answers: RecordedExchange
    }

    struct Result {
        let claims: Int
        let verifications: Int
        let seconds: Double
        let cpuSeconds: Double
        let sealSeconds: Double
        let sealCPUSeconds: Double
    }

    let claims: [Claim]
    let policy: CoveragePolicy

    /// Runs every claim once against okxsim at `baseURL` and records the answers (or failures).
    static func record(scenarios directory: String, baseURL: String, policy: CoveragePolicy, scratch: String) async throws -> [Claim] {
        let verifier = try Self.verifier(policy: policy, scratch: scratch + "/record")
        var claims = [Claim]()
        for scenario in try Scenario.all(in: directory) {
            let client = OKXClient(credentials: scenario.credentials,
                                   configuration: .init(baseURL: baseURL, simulated: scenario.simulated, requestTimeoutMilliseconds: 5_000),
                                   rateLimiter: OKXRateLimiter())
            let recorder = RecordingExchange(upstream: client)
            let request = VerificationRequest(ordId: scenario.ordId, instId: scenario.instId, wallet: "0x" + String(repeating: "1f", count: 20),
                                              principal: scenario.principal, simulated: scenario.simulated)
            _ = try await verifier.verify(request, on: recorder, refusing: scenario.credentials.secrets)
            claims.append(Claim(name: scenario.file, request: request, secrets: scenario.credentials.secrets, answers: recorder.recorded))
        }
        return claims
    }

    static func verifier(policy: CoveragePolicy, scratch: String) throws -> LiquidationVerifier {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let database = try Database(path: scratch + "/keeper.sqlite")
        try KeeperSchema.migrator.migrate(database)
        return LiquidationVerifier(policy: policy, archive: EvidenceArchive(files: EvidenceFiles(root: scratch + "/evidence"), database: database))
    }

    /// Verifies every claim `iterations` times from the recorded answers; then seals each
    /// response alone as often, to show what the evidence (canonical JSON, Merkle root) costs.
    func run(iterations: Int, scratch: String) async throws -> Result {
        let verifier = try Self.verifier(policy: policy, scratch: scratch + "/run")
        var sealed = [JSON]()
        let clock = ContinuousClock()
        let started = clock.now, cpuStarted = processCPUSeconds()
        for iteration in 0..<iterations {
            for claim in claims {
                var request = claim.request
                request.requestId = "bench-\(iteration)"  // a distinct document (and evidence id) each time
                let outcome = try await verifier.verify(request, on: claim.answers, refusing: claim.secrets)
                if iteration == 0 { sealed.append(outcome.response) }
            }
        }
        let elapsed = seconds(clock.now - started), cpu = processCPUSeconds() - cpuStarted

        let sealStarted = clock.now, sealCPUStarted = processCPUSeconds()
        for _ in 0..<iterations {
            for document in sealed { _ = try EvidenceBundle.seal(document) }
        }
        return Result(claims: claims.count, verifications: iterations * claims.count, seconds: elapsed, cpuSeconds: cpu,
                      sealSeconds: seconds(clock.now - sealStarted), sealCPUSeconds: processCPUSeconds() - sealCPUStarted)
    }
}

/// User plus system CPU time of this process, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// The reads of one claim as okxsim answered them, replayed without a round trip.
struct RecordedExchange: Exchange {
    var order: Swift.Result<ExchangeResponse<OKXOrder>, OKXError>?
    var history: Swift.Result<ExchangeResponse<OKXPositionHistory>, OKXError>?
    var instrument: Swift.Result<ExchangeResponse<OKXInstrument>, OKXError>?
    var forced: Swift.Result<ExchangeResponse<OKXOrder>, OKXError>?
    /// By order ID.
    var fills: [String: Swift.Result<ExchangeResponse<OKXFill>, OKXError>] = [:]

    var exchangeName: String { "okx" }

    func order(id: String, instrumentID: String) async throws(OKXError) -> ExchangeResponse<OKXOrder> { try Self.replay(order, "trade/order") }

    func positionsHistory(instrumentID: String, from: Int64?, to: Int64?) async throws(OKXError) -> ExchangeResponse<OKXPositionHistory> {
        try Self.replay(history, "account/positions-history")
    }

    func instrument(id: String) async throws(OKXError) -> ExchangeResponse<OKXInstrument> { try Self.replay(instrument, "public/instruments") }

    func forcedOrders(instrumentID: String, from: Int64, to: Int64?) async throws(OKXError) -> ExchangeResponse<OKXOrder> {
        try Self.replay(forced, "trade/orders-history")
    }

    func fills(orderID: String, instrumentID: String) async throws(OKXError) -> ExchangeResponse<OKXFill> {
        try Self.replay(fills[orderID], "trade/fills")
    }

    private static func replay<T>(_ answer: Swift.Result<T, OKXError>?, _ path: String) throws(OKXError) -> T {
        guard let answer else { fatalError("lg-bench: the verifier read \(path), which it did not read when recorded") }
        return try answer.get()
    }
}

/// Forwards the verifier's reads to okxsim and keeps each answer.
final class RecordingExchange: Exchange {
    let upstream: OKXClient
    private let answers = Mutex(RecordedExchange())

    init(upstream: OKXClient) { self.upstream = upstream }

    var exchangeName: String { upstream.exchangeName }
    var recorded: RecordedExchange { answers.withLock { $0 } }

    func order(id: String, instrumentID: String) async throws(OKXError) -> ExchangeResponse<OKXOrder> {
        let answer = await Self.capture { () async throws(OKXError) in try await upstream.order(id: id, instrumentID: instrumentID) }
        answers.withLock { $0.order = answer }
        return try answer.get()
    }

    func positionsHistory(instrumentID: String, from: Int64?, to: Int64?) async throws(OKXError) -> ExchangeResponse<OKXPositionHistory> {
        let answer = await Self.capture { () async throws(OKXError) in try await upstream.positionsHistory(instrumentID: instrumentID, from: from, to: to) }
        answers.withLock { $0.history = answer }
        return try answer.get()
    }

    func instrument(id: String) async throws(OKXError) -> ExchangeResponse<OKXInstrument> {
        let answer = await Self.capture { () async throws(OKXError) in try await upstream.instrument(id: id) }
        answers.withLock { $0.instrument = answer }
        return try answer.get()
    }

    func forcedOrders(instrumentID: String, from: Int64, to: Int64?) async throws(OKXError) -> ExchangeResponse<OKXOrder> {
        let answer = await Self.capture { () async throws(OKXError) in try await upstream.forcedOrders(instrumentID: instrumentID, from: from, to: to) }
        answers.withLock { $0.forced = answer }
        return try answer.get()
    }

    func fills(orderID: String, instrumentID: String) async throws(OKXError) -> ExchangeResponse<OKXFill> {
        let answer = await Self.capture { () async throws(OKXError) in try await upstream.fills(orderID: orderID, instrumentID: instrumentID) }
        answers.withLock { $0.fills[orderID] = answer }
        return try answer.get()
    }

    private static func capture<T>(_ read: () async throws(OKXError) -> T) async -> Swift.Result<T, OKXError> {
        do { return .success(try await read()) } catch { return .failure(error) }
    }
}

/// The claim of one devnet/scenarios file and its account's (dev-only) key.
struct Scenario {
    let file: String
    let ordId: String
    let instId: String
    /// Pool units (USDT × 10⁶).
    let principal: Decimal
    let simulated: Bool
    let credentials: OKXCredentials

    static func all(in directory: String) throws -> [Scenario] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        let documents = try files.map { (file: $0, document: try JSON(parsing: Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + $0))))) }
        var accounts = [String: OKXCredentials]()
        for (_, document) in documents {
            for account in document["accounts"]?.arrayValue ?? [] {
                guard let name = account["name"]?.stringValue, let key = account["apiKey"]?.stringValue,
                      let secret = account["secretKey"]?.stringValue, let passphrase = account["passphrase"]?.stringValue else { continue }
                accounts[name] = OKXCredentials(apiKey: key, secretKey: secret, passphrase: passphrase, uid: account["uid"]?.stringValue)
            }
        }
        return try documents.compactMap { file, document in
            guard let claim = document["claim"] else { return nil }
            guard let account = claim["account"]?.stringValue, let credentials = accounts[account],
                  let ordId = claim["ordId"]?.stringValue, let instId = claim["instId"]?.stringValue,
                  let principal = claim["principal"]?.stringValue.flatMap({ Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }) else {
                throw UsageError("\(file): the claim lacks account, ordId, instId or principal")
            }
            return Scenario(file: file, ordId: ordId, instId: instId, principal: principal * 1_000_000,
                            simulated: claim["simulated"]?.boolValue ?? false, credentials: credentials)
        }
    }
}
