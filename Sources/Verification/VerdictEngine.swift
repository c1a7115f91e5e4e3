import Foundation
import OKX
import Wire

/// The one place that turns a trader's OKX answers into a verdict, a payout and sealed evidence
/// (DESIGN.md §7, docs/EVIDENCE.md). `lg-keeper verify`, `POST /api/verify` and the claim pipeline
/// all decide through it. It knows nothing of the chain: amounts are pool units as decimals.
///
/// One verification reads `trade/order` (the order must be the key's own), `positions-history`
/// (records closed at or after the order, every page), `public/instruments` (the settlement
/// currency), and the forced orders of the matched position with their fills; applies
/// `VerdictRules` and `Payout`; builds the seed-002 response with each answer as received (a
/// credential of the trader's key found in an answer is redacted, and its leaf says so); seals it.
/// An exchange failure is an outcome with its evidence, not a thrown error.
public struct VerdictEngine: Sendable {
    public let policy: CoveragePolicy
    /// `meta.version`.
    public let version: String
    private let clock: @Sendable () -> Date
    /// Credential strings shorter than this are not searched for: OKX's passphrases have 8–32
    /// characters, and a shorter (wrong) one such as "wrong" occurs by chance in any hint.
    public static let minimumSecretLength = 8

    public init(policy: CoveragePolicy, version: String, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.policy = policy
        self.version = version
        self.clock = clock
    }

    /// The sealed response and what it concluded.
    public struct Outcome: Sendable {
        public let response: JSON
        public let result: Result
    }

    public enum Result: Sendable, Equatable {
        case decided(Decided)
        /// The picture is incomplete or inconsistent: check again later; never a negative verdict.
        case undecided(String)
        case failed(UpstreamFailure)
    }

    /// A verdict with its payout.
    public struct Decided: Sendable, Equatable {
        public let verdict: Verdict
        public let payout: Payout
        /// The matched position's lifecycle (`posId@cTime`), if any.
        public let lifecycle: String?
    }

    /// Verifies `request` with `exchange` (a client holding the trader's read-only key); `secrets`
    /// are that key's credential strings, redacted wherever an answer carries one.
    public func verify(_ request: VerificationRequest, on exchange: AnyOKXExchange, secrets: [String] = []) async throws(VerificationError) -> Outcome {
        let started = ContinuousClock.now
        let now = clock()
        var response = VerificationResponse(exchange: exchange.exchangeName, ordId: request.ordId, instId: request.instId,
                                            verifiedAt: now, simulated: request.simulated, requestId: request.requestId,
                                            version: version)
        response.wallet = request.wallet
        var tally = ExchangeTally()
        let result: Result
        do throws(OKXError) {
            result = try await decide(request, on: exchange, now: now, into: &response, tally: &tally)
        } catch {
            tally.add(error)
            response.failure = .init(code: error.code.rawValue, msg: error.msg, hint: error.hint)
            result = .failed(UpstreamFailure(error))
        }
        response.perf = tally.perf(totalMs: Self.milliseconds(ContinuousClock.now - started))
        let redacted = CredentialRedaction.redact(response.json, secrets: secrets.filter { $0.count >= Self.minimumSecretLength })
        return Outcome(response: try EvidenceBundle.seal(redacted), result: result)
    }

    /// The reads and the rules; fills `response` as the answers arrive, so that a failure part-way
    /// still shows (and commits to) what was received.
    private func decide(_ request: VerificationRequest, on exchange: AnyOKXExchange, now: Date,
                        into response: inout VerificationResponse, tally: inout ExchangeTally) async throws(OKXError) -> Result {
        let orders = try await exchange.order(id: request.ordId, instrumentID: request.instId)
        tally.add(orders)
        response.raw["trade/order"] = OKXNormalized.raw(orders)
        let order = orders.items[0]
        response.order = OKXNormalized.order(order)
        let orderFacts = OrderFacts(okx: order)

        // The order's position closed at or after the order: only records updated since then can match.
        // The instrument (its settlement currency) is asked at the same time: the two reads are independent.
        async let listed: Swift.Result<ExchangeResponse<OKXInstrument>, OKXError> = {
            do throws(OKXError) { return .success(try await exchange.instrument(id: request.instId)) } catch { return .failure(error) }
        }()
        let historyRead: Swift.Result<ExchangeResponse<OKXPositionHistory>, OKXError>
        do throws(OKXError) { historyRead = .success(try await exchange.positionsHistory(instrumentID: request.instId, from: orderFacts.time, to: nil)) } catch {
            historyRead = .failure(error)
        }
        let instrumentRead = await listed
        let history = try historyRead.get()
        tally.add(history)
        response.raw["account/positions-history"] = OKXNormalized.raw(history)

        // A delisted instrument is no longer listed; the order already proved it existed.
        var instrument: OKXInstrument? = nil
        do {
            let instruments = try instrumentRead.get()
            tally.add(instruments)
            response.raw["public/instruments"] = OKXNormalized.raw(instruments)
            instrument = instruments.items.first
        } catch where error.code == .notFound {
            tally.add(error)
        }

        let records = history.items.map { (record: $0, facts: PositionFacts(okx: $0)) }
        guard let position = VerdictRules.position(of: orderFacts, in: records.map(\.facts)) else {
            return conclude(VerdictRules.withoutPosition(order: orderFacts, historyComplete: history.isComplete), order: orderFacts,
                            position: nil, currency: instrument?.settleCcy, request: request, now: now, into: &response)
        }
        let matched = records.first { $0.facts == position }?.record
        response.position = position
        response.positionDetails = OKXNormalized.positionDetails(matched, instrument: instrument)

        // Every forced order of the position's lifecycle, with its fills: a position liquidated in part and then
        // closed by hand reads as a manual close (`type` is the latest), and only the forced part is insured.
        let forcedOrders = try await exchange.forcedOrders(instrumentID: request.instId, from: position.openedAt, to: position.closedAt)
        tally.add(forcedOrders)
        response.raw["trade/orders-history"] = OKXNormalized.raw(forcedOrders)
        var forced: [ForcedCloseFacts] = []
        var fillAnswers: [String: JSON] = [:]
        for candidate in forcedOrders.items {
            let facts = OrderFacts(okx: candidate)
            guard !VerdictRules.forcedCloses(of: position, in: [ForcedCloseFacts(order: facts, realized: nil, filledSize: 0)]).isEmpty else { continue }
            let fills = try await exchange.fills(orderID: candidate.ordId, instrumentID: candidate.instId)
            tally.add(fills)
            fillAnswers[candidate.ordId] = OKXNormalized.raw(fills)
            forced.append(ForcedCloseFacts(okx: candidate, fills: fills.items, complete: fills.isComplete))
        }
        if !fillAnswers.isEmpty { response.raw["trade/fills"] = .object(fillAnswers) }

        let judgement = VerdictRules.judge(order: orderFacts, position: position, forced: forced, forcedComplete: forcedOrders.isComplete)
        let currency = instrument.map(\.settleCcy).flatMap { $0.isEmpty ? nil : $0 } ?? (position.currency.isEmpty ? nil : position.currency)
        return conclude(judgement, order: orderFacts, position: position, currency: currency, request: request, now: now, into: &response)
    }

    /// The payout of a decided judgement, written into the response.
    private func conclude(_ judgement: VerdictRules.Judgement, order: OrderFacts, position: PositionFacts?, currency: String?,
                          request: VerificationRequest, now: Date, into response: inout VerificationResponse) -> Result {
        response.policy = policy
        response.principal = request.principal
        response.settlementCurrency = currency
        switch judgement {
        case .undecided(let why):
            response.pending = why
            return .undecided(why)
        case .decided(let decision):
            if decision.verdict.liquidated && currency == nil {
                let why = "the settlement currency is unknown: the instrument is not listed and the position record has no ccy"
                response.pending = why
                return .undecided(why)
            }
            let tooOld = VerdictRules.isTooOld(verdict: decision.verdict, order: order, now: Self.milliseconds(since1970: now), policy: policy)
            let alreadyClaimed = position.map { request.claimedPositions.contains($0.lifecycle) } ?? false
            let payout = Payout(verdict: decision.verdict, loss: decision.loss, settlementCurrency: currency,
                                principal: request.principal ?? policy.maxPayoutPerClaim, policy: policy, tooOld: tooOld,
                                alreadyClaimed: alreadyClaimed)
            response.verdict = decision.verdict
            response.decision = decision
            response.payout = payout
            return .decided(Decided(verdict: decision.verdict, payout: payout, lifecycle: position?.lifecycle))
        }
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
    /// Answers served from the keeper's cache of public reference data (no request of their own).
    var cached = 0

    mutating func add<Item>(_ response: ExchangeResponse<Item>) {
        rttMs += response.rttMs
        requests += response.attempts
        waitedMs += response.waitedMs
        cached += response.pages.filter { $0.attempts == 0 }.count
    }

    mutating func add(_ error: OKXError) {
        requests += error.attempts
    }

    /// seed 002 `perf`: `okxRttMs`, `totalMs`, `cache` (true when an answer came from the cache of
    /// public reference data: `public/instruments`),
    /// plus the requests made (retries included) and the time spent waiting for rate limits and backoff.
    func perf(totalMs: Int) -> [String: JSON] {
        ["okxRttMs": JSON(rttMs), "totalMs": JSON(totalMs), "cache": .bool(cached > 0),
         "okxRequests": JSON(requests), "waitedMs": JSON(waitedMs)]
    }
}
