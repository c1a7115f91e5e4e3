import Foundation
import Wire

/// The reads a liquidation verifier needs from an exchange account, so that a second exchange
/// can sit beside OKX. Each call is made with the trader's own read-only key, bound into the
/// conforming value; each answer keeps the exchange's raw responses for the evidence bundle.
public protocol Exchange<Order, PositionRecord, Instrument, Fill, Failure>: Sendable {
    associatedtype Order: Sendable
    associatedtype PositionRecord: Sendable
    associatedtype Instrument: Sendable
    associatedtype Fill: Sendable
    associatedtype Failure: ExchangeError

    /// Lowercase exchange name as used in the seed-002 contract (`"okx"`).
    var exchangeName: String { get }

    /// One order of the key's own account; an unknown order or another account's is `NOT_FOUND`.
    func order(id: String, instrumentID: String) async throws(Failure) -> ExchangeResponse<Order>

    /// Every closed or partly closed position record of one instrument whose last update falls
    /// in `from...to` (epoch milliseconds, either bound optional), newest first, all pages gathered.
    func positionsHistory(instrumentID: String, from: Int64?, to: Int64?) async throws(Failure) -> ExchangeResponse<PositionRecord>

    /// One instrument's contract specification; an unknown or delisted one is `NOT_FOUND`.
    func instrument(id: String) async throws(Failure) -> ExchangeResponse<Instrument>

    /// The account's forced orders (category full_liquidation, partial_liquidation, adl) of one instrument updated in
    /// from...to (epoch ms; `to` nil = now), newest first, every page: orders-history (last 7 days) and
    /// orders-history-archive (last 3 months). isComplete false when a page limit cut the read.
    func forcedOrders(instrumentID: String, from: Int64, to: Int64?) async throws(Failure) -> ExchangeResponse<Order>

    /// Every fill of one order: trade/fills (3 days) or fills-history (3 months) as the order's age requires.
    func fills(orderID: String, instrumentID: String) async throws(Failure) -> ExchangeResponse<Fill>
}

/// OKX behind the `Exchange` protocol, e.g. for a verifier's test double.
public typealias AnyOKXExchange = any Exchange<OKXOrder, OKXPositionHistory, OKXInstrument, OKXFill, OKXError>

/// The decoded items of one read and the HTTP answers they came from.
public struct ExchangeResponse<Item: Sendable>: Sendable {
    /// The records, in the exchange's order (for paged reads: every page's, duplicates removed).
    public let items: [Item]
    /// Each HTTP answer the items came from, bytes exactly as received: one, or one per page.
    public let pages: [RawExchangeResponse]
    /// False when a paged read stopped at its page limit before the exchange ran out of records.
    public let isComplete: Bool

    public init(items: [Item], pages: [RawExchangeResponse], isComplete: Bool = true) {
        precondition(!pages.isEmpty, "a response comes from at least one HTTP answer")
        self.items = items
        self.pages = pages
        self.isComplete = isComplete
    }

    /// When the first answer arrived.
    public var fetchedAt: Date { pages[0].fetchedAt }

    /// Round-trip time of the successful exchanges, summed over pages, in milliseconds.
    public var rttMs: Int { pages.reduce(0) { $0 + $1.rttMs } }

    /// HTTP requests made, retries included.
    public var attempts: Int { pages.reduce(0) { $0 + $1.attempts } }

    /// Time spent waiting for the rate limiter and in backoff, in milliseconds.
    public var waitedMs: Int { pages.reduce(0) { $0 + $1.waitedMs } }

    /// The answer's envelope as parsed. For a paged read: the first page's envelope with `data`
    /// holding every page's records in order, as received (a record repeated where pages overlap
    /// appears twice); `pages` keeps each answer's exact bytes.
    public var raw: JSON {
        guard pages.count > 1, case .object(var envelope) = pages[0].json else { return pages[0].json }
        envelope["data"] = .array(pages.flatMap { $0.json["data"]?.arrayValue ?? [] })
        return .object(envelope)
    }
}

/// One successful HTTP answer, as received. It holds no credentials and no signed headers:
/// only the request path (with its query) and what the exchange sent back.
public struct RawExchangeResponse: Sendable, Equatable {
    /// The endpoint's path, e.g. `/api/v5/trade/order`.
    public let endpoint: String
    /// Path and query exactly as requested (and signed).
    public let requestPath: String
    public let status: Int
    /// The body's bytes exactly as received.
    public let body: [UInt8]
    /// The body parsed (numbers keep their literal text).
    public let json: JSON
    public let fetchedAt: Date
    /// Round trip of the successful exchange.
    public let rttMs: Int
    /// HTTP requests made for this answer, retries included.
    public let attempts: Int
    /// Time spent waiting for the rate limiter and in backoff before this answer.
    public let waitedMs: Int

    public init(endpoint: String, requestPath: String, status: Int, body: [UInt8], json: JSON,
                fetchedAt: Date, rttMs: Int, attempts: Int, waitedMs: Int) {
        self.endpoint = endpoint
        self.requestPath = requestPath
        self.status = status
        self.body = body
        self.json = json
        self.fetchedAt = fetchedAt
        self.rttMs = rttMs
        self.attempts = attempts
        self.waitedMs = waitedMs
    }

    /// `fetchedAt` in epoch milliseconds.
    public var fetchedAtMilliseconds: Int64 { Int64((fetchedAt.timeIntervalSince1970 * 1000).rounded(.down)) }
}
