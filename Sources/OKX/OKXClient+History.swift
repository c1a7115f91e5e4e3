import Wire

/// The history reads of the verdict engine (issue 13): an order gone from trade/order, the account's
/// forced orders, and one order's fills — each from the endpoint whose documented retention covers it.
extension OKXClient {
    /// Looks for an order in `orders-history-archive`, newest first, paging with `after` (records
    /// older than the given `ordId`) up to `archivePageLimit` pages. `notFound` is trade/order's answer.
    func archivedOrder(id: String, instrumentID: String, notFound: OKXError) async throws(OKXError) -> ExchangeResponse<OKXOrder> {
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
        let from = max(from, 0), upper = min(to ?? now, Int64.max - 1)
        var endpoints: [OKXEndpoint] = [.ordersHistory]
        if from < now - Self.ordersHistoryRetentionMs { endpoints.append(.ordersHistoryArchive) }
        // The reads are independent: asked at once (each within its rate limit), merged in this fixed order.
        let reads = endpoints.flatMap { endpoint in Self.forcedCategories.map { (endpoint, $0) } }
        let answers = await withTaskGroup(of: (Int, Result<ExchangeResponse<OKXOrder>, OKXError>).self) { group in
            for (index, (endpoint, category)) in reads.enumerated() {
                group.addTask {
                    do throws(OKXError) {
                        return (index, .success(try await self.orderHistory(endpoint, instrumentID: instrumentID, category: category, from: from, to: upper)))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            var answers = [(Int, Result<ExchangeResponse<OKXOrder>, OKXError>)]()
            for await answer in group { answers.append(answer) }
            return answers.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var items: [OKXOrder] = []
        var seen = Set<String>()
        var pages: [RawExchangeResponse] = []
        var complete = true
        for ((_, category), answer) in zip(reads, answers) {
            let read = try answer.get()
            pages += read.pages
            complete = complete && read.isComplete
            for order in read.items where order.instId == instrumentID && order.category == category
                && order.cTime >= from && order.cTime <= upper && seen.insert(order.ordId).inserted {
                items.append(order)
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
            ("begin", String(max(from - 1, 0))), ("end", String(to + 1)),
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
}
