import Wire

/// What to read from `GET /api/v5/account/positions-history`; every filter optional.
public struct OKXPositionsHistoryQuery: Sendable, Equatable {
    public var instrumentID: String?
    /// `SWAP`, `FUTURES`, `MARGIN` or `OPTION`; derived from `instrumentID` when nil.
    public var instrumentType: String?
    /// `cross` or `isolated`.
    public var marginMode: String?
    public var closeType: OKXPositionHistory.CloseType?
    public var positionID: String?
    /// Earliest `uTime` wanted, inclusive (epoch ms).
    public var from: Int64?
    /// Latest `uTime` wanted, inclusive (epoch ms).
    public var to: Int64?
    /// Records per request: OKX allows at most 100.
    public var pageSize: Int
    /// A bound on requests for one read; reaching it marks the response incomplete.
    public var maximumPages: Int

    public init(instrumentID: String? = nil, instrumentType: String? = nil, marginMode: String? = nil,
                closeType: OKXPositionHistory.CloseType? = nil, positionID: String? = nil,
                from: Int64? = nil, to: Int64? = nil, pageSize: Int = 100, maximumPages: Int = 50) {
        self.instrumentID = instrumentID
        self.instrumentType = instrumentType
        self.marginMode = marginMode
        self.closeType = closeType
        self.positionID = positionID
        self.from = from
        self.to = to
        self.pageSize = min(max(pageSize, 1), 100)
        self.maximumPages = max(maximumPages, 1)
    }
}

/// What to read from `GET /api/v5/trade/fills` (last 3 days) or `/fills-history` (3 months).
public struct OKXFillsQuery: Sendable, Equatable {
    public var instrumentID: String?
    /// Required by fills-history; derived from `instrumentID` when nil.
    public var instrumentType: String?
    public var orderID: String?
    /// Use fills-history (3 months, 10 / 2 s) rather than fills (3 days, 60 / 2 s).
    public var history: Bool
    public var pageSize: Int
    public var maximumPages: Int

    public init(instrumentID: String? = nil, instrumentType: String? = nil, orderID: String? = nil,
                history: Bool = true, pageSize: Int = 100, maximumPages: Int = 20) {
        self.instrumentID = instrumentID
        self.instrumentType = instrumentType
        self.orderID = orderID
        self.history = history
        self.pageSize = min(max(pageSize, 1), 100)
        self.maximumPages = max(maximumPages, 1)
    }
}

extension OKXClient: Exchange {
    public var exchangeName: String { "okx" }

    /// `GET /api/v5/trade/order`: the order, if it belongs to this key's account. OKX answers
    /// 51603 for an unknown order, a wrong instId and another account's order alike; trade/order
    /// also stops serving old orders (its retention is not documented), so a 51603 is checked
    /// against `orders-history-archive`, which keeps completed orders for 3 months
    /// (https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-order-history-last-3-months).
    /// Found in neither: NOT_FOUND.
    public func order(id: String, instrumentID: String) async throws(OKXError) -> ExchangeResponse<OKXOrder> {
        try Self.check(orderID: id, endpoint: .order)
        try Self.check(instrumentID: instrumentID, endpoint: .order)
        let raw: RawExchangeResponse
        do {
            raw = try await get(.order, [("ordId", id), ("instId", instrumentID)])
        } catch where error.okxCode == "51603" {
            return try await archivedOrder(id: id, instrumentID: instrumentID, notFound: error)
        }
        let orders = try Self.decode(raw, as: OKXOrder.init(json:)).filter { $0.ordId == id && $0.instId == instrumentID }
        guard !orders.isEmpty else {
            throw Self.notFound("51603", msg: "Order does not exist.", endpoint: .order,
                                request: ["ordId": id, "instId": instrumentID])
        }
        return ExchangeResponse(items: orders, pages: [raw])
    }

    /// Looks for an order in `orders-history-archive`, newest first, paging with `after` (records
    /// older than the given `ordId`) up to `archivePageLimit` pages. `notFound` is trade/order's answer.
    private func archivedOrder(id: String, instrumentID: String, notFound: OKXError) async throws(OKXError) -> ExchangeResponse<OKXOrder> {
        let fixed: [(name: String, value: String)] = [("instType", Self.orderInstrumentType(instrumentID)), ("instId", instrumentID)]
        var after: String?
        var pages: [RawExchangeResponse] = []
        while pages.count < Self.archivePageLimit {
            var parameters = fixed
            if let after { parameters.append(("after", after)) }
            parameters.append(("limit", "100"))
            let raw = try await get(.ordersHistoryArchive, parameters)
            pages.append(raw)
            let page = try Self.decode(raw, as: OKXOrder.init(json:))
            let found = page.filter { $0.ordId == id && $0.instId == instrumentID }
            if !found.isEmpty { return ExchangeResponse(items: found, pages: pages) }
            // Order IDs grow with time: once a page reaches older orders, the order is not there.
            let passed = page.contains { Self.isOlder($0.ordId, than: id) }
            guard page.count >= 100, !passed, let last = page.last else { throw notFound }
            after = last.ordId
        }
        throw OKXError(code: .remote5xx, okxCode: nil, httpStatus: nil,
                       msg: "trade/order answered 51603 and orders-history-archive was searched for \(Self.archivePageLimit) pages "
                           + "without reaching order \(id)",
                       hint: "The account has more archived orders of \(instrumentID) than one read covers; the order may still "
                           + "exist: repeat the verification later or check the order on OKX.",
                       endpoint: OKXEndpoint.ordersHistoryArchive.path, attempts: pages.count, isRetryable: true)
    }

    /// Pages of `orders-history-archive` searched for one order (100 orders each).
    static let archivePageLimit = 20

    /// OKX order IDs are decimal and grow with time: true when `a` is numerically below `b`.
    static func isOlder(_ a: String, than b: String) -> Bool {
        a.count != b.count ? a.count < b.count : a < b
    }

    /// `instType` for the order endpoints: `SPOT` rather than `MARGIN` for a pair.
    static func orderInstrumentType(_ instrumentID: String) -> String {
        OKXInstrument.type(of: instrumentID)
    }

    /// The account's forced orders of one instrument created in `from...to`, newest first: for each
    /// category (`full_liquidation`, `partial_liquidation`, `adl`), `orders-history` (orders placed
    /// in the last 7 days) and, when `from` is older than that, `orders-history-archive` (3 months),
    /// every page. OKX's `begin`/`end` filter on `cTime`; a forced order is created when it is
    /// executed, so its `cTime` is its time. Duplicates across the two endpoints are removed by
    /// `ordId` (orders-history's copy kept).
    public func forcedOrders(instrumentID: String, from: Int64, to: Int64?) async throws(OKXError) -> ExchangeResponse<OKXOrder> {
        try Self.check(instrumentID: instrumentID, endpoint: .ordersHistory)
        let now = Int64((clockNow().timeIntervalSince1970 * 1000).rounded(.down))
        let upper = to ?? now
        var endpoints: [OKXEndpoint] = [.ordersHistory]
        if from < now - Self.ordersHistoryRetentionMs { endpoints.append(.ordersHistoryArchive) }
        var items: [OKXOrder] = []
        var seen = Set<String>()
        var pages: [RawExchangeResponse] = []
        var complete = true
        for endpoint in endpoints {
            for category in Self.forcedCategories {
                let read = try await orderHistory(endpoint, instrumentID: instrumentID, category: category, from: from, to: upper)
                pages += read.pages
                complete = complete && read.isComplete
                for order in read.items where order.instId == instrumentID && order.category == category
                    && (from...upper).contains(order.cTime) && seen.insert(order.ordId).inserted {
                    items.append(order)
                }
            }
        }
        items.sort { $0.cTime != $1.cTime ? $0.cTime > $1.cTime : Self.isOlder($1.ordId, than: $0.ordId) }
        return ExchangeResponse(items: items, pages: pages, isComplete: complete)
    }

    /// The categories of orders the exchange forced (shared/OKX.md).
    static let forcedCategories: [OKXOrder.Category] = [.fullLiquidation, .partialLiquidation, .adl]

    /// orders-history's window: "orders which are placed in the last 7 days".
    static let ordersHistoryRetentionMs: Int64 = 7 * 86_400_000

    /// One category of `orders-history` or `orders-history-archive`, every page up to `maximumPages`:
    /// newest first, paged with `after` (records older than the given `ordId`), bounded by
    /// `begin`/`end` on `cTime` (sent one millisecond wider and checked here, inclusive).
    func orderHistory(_ endpoint: OKXEndpoint, instrumentID: String, category: OKXOrder.Category, from: Int64, to: Int64,
                      maximumPages: Int = 10) async throws(OKXError) -> ExchangeResponse<OKXOrder> {
        let fixed: [(name: String, value: String)] = [
            ("instType", Self.orderInstrumentType(instrumentID)), ("instId", instrumentID), ("category", category.rawValue),
            ("begin", String(from - 1)), ("end", String(to + 1)),
        ]
        var after: String?
        var items: [OKXOrder] = []
        var pages: [RawExchangeResponse] = []
        while pages.count < maximumPages {
            var parameters = fixed
            if let after { parameters.append(("after", after)) }
            parameters.append(("limit", "100"))
            let raw = try await get(endpoint, parameters)
            pages.append(raw)
            let page = try Self.decode(raw, as: OKXOrder.init(json:))
            items += page
            guard page.count >= 100, let last = page.last else { return ExchangeResponse(items: items, pages: pages) }
            after = last.ordId
        }
        return ExchangeResponse(items: items, pages: pages, isComplete: false)
    }

    /// Every fill of one order. `trade/fills` keeps 3 days and `fills-history` 3 months
    /// (https://www.okx.com/docs-v5/en/#order-book-trading-trade-get-transaction-details-last-3-days):
    /// trade/fills is asked first; when it has nothing, or its oldest fill is near its 3-day edge
    /// (so older fills may have left it), fills-history is asked too and the two are merged by
    /// `billId`, newest first.
    public func fills(orderID: String, instrumentID: String) async throws(OKXError) -> ExchangeResponse<OKXFill> {
        try Self.check(orderID: orderID, endpoint: .fills)
        try Self.check(instrumentID: instrumentID, endpoint: .fills)
        let recent = try await fills(OKXFillsQuery(instrumentID: instrumentID, orderID: orderID, history: false))
        let now = Int64((clockNow().timeIntervalSince1970 * 1000).rounded(.down))
        let edge = now - Self.fillsRetentionMs + Self.fillsEdgeMarginMs
        if let oldest = recent.items.map(\.ts).min(), oldest > edge, recent.isComplete { return recent }
        let history = try await fills(OKXFillsQuery(instrumentID: instrumentID, orderID: orderID, history: true))
        var seen = Set<String>()
        var items: [OKXFill] = []
        for fill in recent.items + history.items where fill.ordId == orderID && seen.insert(fill.billId).inserted {
            items.append(fill)
        }
        items.sort { Self.isOlder($1.billId, than: $0.billId) }
        return ExchangeResponse(items: items, pages: recent.pages + history.pages,
                                isComplete: history.isComplete)
    }

    /// trade/fills' window: "the last 3 days".
    static let fillsRetentionMs: Int64 = 3 * 86_400_000
    /// Fills this close to trade/fills' edge are also looked up in fills-history.
    static let fillsEdgeMarginMs: Int64 = 3_600_000

    public func positionsHistory(instrumentID: String, from: Int64?, to: Int64?) async throws(OKXError) -> ExchangeResponse<OKXPositionHistory> {
        try Self.check(instrumentID: instrumentID, endpoint: .positionsHistory)
        return try await positionsHistory(OKXPositionsHistoryQuery(instrumentID: instrumentID, from: from, to: to))
    }

    /// `GET /api/v5/account/positions-history`, every page: newest first by `uTime`, paged with
    /// `after` (records older than) and bounded by `before` (records newer than). Consecutive
    /// pages overlap at the oldest `uTime` so that records sharing it are not skipped; the
    /// overlap is removed by `posId` and `uTime`.
    public func positionsHistory(_ query: OKXPositionsHistoryQuery) async throws(OKXError) -> ExchangeResponse<OKXPositionHistory> {
        var fixed: [(name: String, value: String)] = []
        let type = query.instrumentType ?? query.instrumentID.map(OKXInstrument.type(of:)).flatMap { $0 == "SPOT" ? "MARGIN" : $0 }
        if let type { fixed.append(("instType", type)) }
        if let instrumentID = query.instrumentID { fixed.append(("instId", instrumentID)) }
        if let marginMode = query.marginMode { fixed.append(("mgnMode", marginMode)) }
        if let closeType = query.closeType { fixed.append(("type", closeType.rawValue)) }
        if let positionID = query.positionID { fixed.append(("posId", positionID)) }

        var upper = query.to.map { $0 + 1 }     // `after`: uTime < upper
        let lower = query.from.map { $0 - 1 }   // `before`: uTime > lower
        var items: [OKXPositionHistory] = []
        var seen = Set<String>()
        var pages: [RawExchangeResponse] = []
        while pages.count < query.maximumPages {
            var parameters = fixed
            if let upper { parameters.append(("after", String(upper))) }
            if let lower { parameters.append(("before", String(lower))) }
            parameters.append(("limit", String(query.pageSize)))
            let raw = try await get(.positionsHistory, parameters)
            pages.append(raw)
            let page = try Self.decode(raw, as: OKXPositionHistory.init(json:))
            var added = 0
            for record in page where seen.insert("\(record.posId)/\(record.uTime)/\(record.type.rawValue)").inserted {
                items.append(record)
                added += 1
            }
            guard page.count >= query.pageSize, let oldest = page.map(\.uTime).min() else {
                return ExchangeResponse(items: items, pages: pages)
            }
            // Overlap by one millisecond while that makes progress; if a whole page shared one
            // uTime, step past it.
            upper = added > 0 ? oldest + 1 : oldest
        }
        return ExchangeResponse(items: items, pages: pages, isComplete: false)
    }

    /// `GET /api/v5/public/instruments` for one instrument (unsigned; limited per IP).
    /// An unknown or delisted instrument is NOT_FOUND. For an option `instFamily` is sent too:
    /// "If instType is `OPTION`, `instFamily` is required"
    /// (https://www.okx.com/docs-v5/en/#public-data-rest-api-get-instruments).
    public func instrument(id: String) async throws(OKXError) -> ExchangeResponse<OKXInstrument> {
        try Self.check(instrumentID: id, endpoint: .instruments)
        let type = OKXInstrument.type(of: id)
        var query: [(name: String, value: String)] = [("instType", type)]
        if type == "OPTION", let family = OKXInstrument.family(of: id) { query.append(("instFamily", family)) }
        query.append(("instId", id))
        let raw = try await get(.instruments, query)
        let instruments = try Self.decode(raw, as: OKXInstrument.init(json:)).filter { $0.instId == id }
        guard !instruments.isEmpty else {
            throw Self.notFound("51001", msg: "Instrument ID, Instrument ID code or Spread ID doesn't exist.", endpoint: .instruments, request: ["instId": id])
        }
        return ExchangeResponse(items: instruments, pages: [raw])
    }

    /// Fills, newest first, every page (paged with `after` on `billId`). Liquidation and ADL
    /// fills are recognisable by `OKXFill.isForced`.
    public func fills(_ query: OKXFillsQuery) async throws(OKXError) -> ExchangeResponse<OKXFill> {
        let endpoint: OKXEndpoint = query.history ? .fillsHistory : .fills
        var fixed: [(name: String, value: String)] = []
        if let type = query.instrumentType ?? query.instrumentID.map(OKXInstrument.type(of:)) {
            fixed.append(("instType", type))
        } else if query.history {
            fixed.append(("instType", "SWAP"))
        }
        if let instrumentID = query.instrumentID {
            try Self.check(instrumentID: instrumentID, endpoint: endpoint)
            fixed.append(("instId", instrumentID))
        }
        if let orderID = query.orderID {
            try Self.check(orderID: orderID, endpoint: endpoint)
            fixed.append(("ordId", orderID))
        }
        var after: String?
        var items: [OKXFill] = []
        var pages: [RawExchangeResponse] = []
        while pages.count < query.maximumPages {
            var parameters = fixed
            if let after { parameters.append(("after", after)) }
            parameters.append(("limit", String(query.pageSize)))
            let raw = try await get(endpoint, parameters)
            pages.append(raw)
            let page = try Self.decode(raw, as: OKXFill.init(json:))
            items += page
            guard page.count >= query.pageSize, let last = page.last else { return ExchangeResponse(items: items, pages: pages) }
            after = last.billId
        }
        return ExchangeResponse(items: items, pages: pages, isComplete: false)
    }

    /// `GET /api/v5/public/time`: OKX's clock in epoch milliseconds, to measure this host's skew.
    public func serverTime() async throws(OKXError) -> Int64 {
        let raw = try await get(.time, [])
        guard let text = raw.json["data"]?[0]?["ts"]?.stringValue, let ts = Int64(text) else {
            throw OKXError.malformed("public/time has no ts", status: raw.status, endpoint: OKXEndpoint.time.path)
        }
        return ts
    }

    // MARK: Helpers

    package static func decode<T>(_ raw: RawExchangeResponse, as make: (JSON) throws(OKXDecodingError) -> T) throws(OKXError) -> [T] {
        let data = raw.json["data"]?.arrayValue ?? []
        do {
            return try data.map { item throws(OKXDecodingError) in try make(item) }
        } catch {
            throw OKXError.malformed(error.description, status: raw.status, endpoint: raw.endpoint)
        }
    }

    static func notFound(_ okxCode: String, msg: String, endpoint: OKXEndpoint, request: [String: String]) -> OKXError {
        OKXError(code: .notFound, okxCode: okxCode, httpStatus: 200, msg: msg,
                 hint: OKXError.hint(code: .notFound, okxCode: okxCode, status: 200, request: request),
                 endpoint: endpoint.path)
    }

    /// OKX order IDs are decimal digits.
    static func check(orderID: String, endpoint: OKXEndpoint) throws(OKXError) {
        guard !orderID.isEmpty, orderID.count <= 32, orderID.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw invalid("ordId must be OKX's numeric order ID", endpoint: endpoint)
        }
    }

    /// OKX instrument IDs are letters, digits, dashes and underscores, e.g. `BTC-USDT-SWAP` and the
    /// USD-margined `BTC-USD_UM-SWAP` (https://www.okx.com/docs-v5/en/#overview-general-info).
    static func check(instrumentID: String, endpoint: OKXEndpoint) throws(OKXError) {
        let allowed = instrumentID.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == 0x2D || byte == 0x5F
        }
        guard !instrumentID.isEmpty, instrumentID.count <= 64, allowed else {
            throw invalid("instId must look like BTC-USDT-SWAP", endpoint: endpoint)
        }
    }

    private static func invalid(_ reason: String, endpoint: OKXEndpoint) -> OKXError {
        OKXError(code: .remote4xx, okxCode: nil, httpStatus: nil, msg: reason,
                 hint: "Check the claim's ordId (digits) and instId (e.g. BTC-USDT-SWAP); nothing was sent to OKX.",
                 endpoint: endpoint.path, attempts: 0)
    }
}
