import Foundation
import OKX
import Verification
import Wire

/// Decides one claim from the trader's own OKX account, and is the only place that turns
/// exchange data into a verdict (DESIGN.md §7). Used by `lg-keeper verify`, `POST /api/verify`
/// and the claim pipeline alike.
///
/// One verification reads `trade/order` (the order must be the key's own), `positions-history`
/// (records closed at or after the order's time, every page) and `public/instruments`; applies
/// `VerdictRules` and `Payout`; builds the seed-002 response with each answer as received; seals
/// it (`keccak256-merkle-v1`); writes the evidence files and row. An exchange failure is an
/// outcome, with its evidence, not a thrown error: only local failures (files, database) throw.
public struct LiquidationVerifier: Sendable {
    public let policy: CoveragePolicy
    public let archive: EvidenceArchive
    /// `meta.version`.
    public let version: String
    private let clock: @Sendable () -> Date
    public static let minimumSecretLength = 8

    /// - Parameter clock: the time of `meta.verifiedAt` and the claim-age check (injectable for tests).
    public init(policy: CoveragePolicy, archive: EvidenceArchive, version: String = "\(BuildInfo.name)@\(BuildInfo.version)",
                clock: @escaping @Sendable () -> Date = { Date() }) {
        self.policy = policy
        self.archive = archive
        self.version = version
        self.clock = clock
    }

    /// Verifies `request` with `exchange` (a client holding the trader's read-only key). `secrets`
    /// are the credentials that key consists of: evidence containing any of them is refused. Strings
    /// shorter than `minimumSecretLength` are not searched for: OKX's passphrases have 8–32
    /// characters, and a shorter (wrong) one such as "wrong" occurs by chance in any hint.
    public func verify(_ request: VerificationRequest, on exchange: AnyOKXExchange,
                       refusing secrets: [String] = []) async throws(KeeperError) -> VerificationOutcome {
        let started = ContinuousClock.now
        let now = clock()
        var response = VerificationResponse(exchange: exchange.exchangeName, ordId: request.ordId, instId: request.instId,
                                            verifiedAt: now, simulated: request.simulated, requestId: request.requestId,
                                            version: version)
        response.wallet = request.wallet
        var tally = ExchangeTally()
        let attempt: Result<Decided, OKXError>
        do throws(OKXError) { attempt = .success(try await decide(request, on: exchange, now: now, into: &response, tally: &tally)) } catch {
            attempt = .failure(error)
        }
        let result: VerificationOutcome.Result
        switch attempt {
        case .success(let decided):
            result = .decided(VerificationDecision(verdict: decided.verdict, amount: try PoolUnits.integer(decided.payout.amount),
                                                   refusal: decided.payout.refusal, loss: decided.payout.loss,
                                                   positionID: decided.position?.posId))
        case .failure(let error):
            tally.add(error)
            response.failure = .init(code: error.code.rawValue, msg: error.msg, hint: error.hint)
            result = .failed(UpstreamFailure(error))
        }
        response.perf = tally.perf(totalMs: Self.milliseconds(ContinuousClock.now - started))

        let sealed: JSON
        do { sealed = try EvidenceBundle.seal(response.json) } catch {
            throw KeeperError(.software, "cannot seal the verification of \(request.ordId): \(error.message)")
        }
        let receipt = try archive.store(sealed, wallet: request.wallet, refusing: secrets.filter { $0.count >= Self.minimumSecretLength })
        return VerificationOutcome(response: sealed, evidence: receipt, result: result)
    }

    /// The three reads and the rules; fills `response` as the answers arrive, so that a failure
    /// part-way still shows (and commits to) what was received.
    private func decide(_ request: VerificationRequest, on exchange: AnyOKXExchange, now: Date,
                        into response: inout VerificationResponse, tally: inout ExchangeTally) async throws(OKXError) -> Decided {
        let orders = try await exchange.order(id: request.ordId, instrumentID: request.instId)
        tally.add(orders)
        response.raw["trade/order"] = OKXNormalized.raw(orders)
        let order = orders.items[0]
        response.order = OKXNormalized.order(order)
        let orderFacts = OrderFacts(okx: order)

        // The order's position closed at or after the order: only records updated since then can match.
        let history = try await exchange.positionsHistory(instrumentID: request.instId, from: orderFacts.time, to: nil)
        tally.add(history)
        response.raw["account/positions-history"] = OKXNormalized.raw(history)

        // A delisted instrument is no longer listed; the order already proved it existed.
        var instrument: OKXInstrument? = nil
        do {
            let instruments = try await exchange.instrument(id: request.instId)
            tally.add(instruments)
            response.raw["public/instruments"] = OKXNormalized.raw(instruments)
            instrument = instruments.items.first
        } catch where error.code == .notFound {
            tally.add(error)
        }

        let records = history.items.map { (record: $0, facts: PositionFacts(okx: $0)) }
        let position = VerdictRules.position(of: orderFacts, in: records.map(\.facts))
        let matched = position.flatMap { position in records.first { $0.facts == position }?.record }
        let verdict = VerdictRules.verdict(order: orderFacts, position: position)
        let tooOld = VerdictRules.isTooOld(verdict: verdict, order: orderFacts, now: Self.milliseconds(since1970: now), policy: policy)
        let principal = request.principal ?? policy.maxPayoutPerClaim
        let alreadyClaimed = position.map { request.claimedPositions.contains($0.posId) } ?? false
        let payout = Payout(verdict: verdict, realizedPnl: position?.realizedPnl, principal: principal, policy: policy, tooOld: tooOld,
                            alreadyClaimed: alreadyClaimed)

        response.position = position
        response.positionDetails = OKXNormalized.positionDetails(matched, instrument: instrument)
        if !history.isComplete { response.positionDetails["historyComplete"] = .bool(false) }
        response.verdict = verdict
        response.payout = payout
        response.principal = request.principal
        response.policy = policy
        return Decided(verdict: verdict, payout: payout, position: position)
    }

    /// What the rules concluded, before the amount becomes an integer.
    private struct Decided {
        let verdict: Verdict
        let payout: Payout
        let position: PositionFacts?
    }

    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }

    static func milliseconds(since1970 date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// What the exchange reads cost, for `perf`.
struct ExchangeTally {
    var rttMs = 0
    var requests = 0
    var waitedMs = 0

    mutating func add<Item>(_ response: ExchangeResponse<Item>) {
        rttMs += response.rttMs
        requests += response.attempts
        waitedMs += response.waitedMs
    }

    mutating func add(_ error: OKXError) {
        requests += error.attempts
    }

    /// seed 002 `perf`: `okxRttMs`, `totalMs`, `cache` (never: every verification reads afresh),
    /// plus the requests made (retries included) and the time spent waiting for rate limits and backoff.
    func perf(totalMs: Int) -> [String: JSON] {
        ["okxRttMs": JSON(rttMs), "totalMs": JSON(totalMs), "cache": .bool(false),
         "okxRequests": JSON(requests), "waitedMs": JSON(waitedMs)]
    }
}
