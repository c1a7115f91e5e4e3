import Foundation
import Wire

/// The seed-002 response before sealing: `meta`, `normalized` (`order`, `position`, `payout`),
/// `raw`, `perf`, `error`. `EvidenceBundle.seal` then adds `evidence`.
public struct VerificationResponse: Sendable {
    /// seed 002 `error`: a class (`AUTH_ERROR`, `NOT_FOUND`, `RATE_LIMIT`, `REMOTE_4XX`, `REMOTE_5XX`,
    /// `TIMEOUT`), the upstream message and a hint a person can act on.
    public struct Failure: Sendable, Equatable {
        public let code: String
        public let msg: String
        public let hint: String
        public init(code: String, msg: String, hint: String) { self.code = code; self.msg = msg; self.hint = hint }
        public var json: JSON { ["code": .string(code), "msg": .string(msg), "hint": .string(hint)] }
    }

    public var exchange: String
    public var ordId: String
    public var instId: String
    public var verifiedAt: Date
    public var simulated: Bool
    public var requestId: String?
    public var version: String
    /// The claimant's wallet (lowercase 0x hex) when known: `meta.wallet`, so that the root commits to it.
    public var wallet: String?
    /// The order as normalized for people (side, px, sz, state, avgFillPx, accFillSz, fee, ts…).
    public var order: JSON = .null
    public var position: PositionFacts?
    /// Exchange-specific position fields to show beside the verdict (lever, triggerPx…).
    public var positionDetails: [String: JSON] = [:]
    public var verdict: Verdict?
    /// How the verdict's loss was found.
    public var decision: VerdictRules.Decision?
    /// Why no verdict may be written yet, when the picture is incomplete or inconsistent.
    public var pending: String?
    /// The position's settlement currency (the instrument's `settleCcy`, else the record's `ccy`).
    public var settlementCurrency: String?
    public var payout: Payout?
    public var principal: Decimal?
    public var policy: CoveragePolicy?
    /// Each endpoint's answer as received, keyed by endpoint (`trade/order`, …).
    public var raw: [String: JSON] = [:]
    public var perf: [String: JSON] = [:]
    public var failure: Failure?

    public init(exchange: String, ordId: String, instId: String, verifiedAt: Date, simulated: Bool, requestId: String?, version: String) {
        self.exchange = exchange
        self.ordId = ordId
        self.instId = instId
        self.verifiedAt = verifiedAt
        self.simulated = simulated
        self.requestId = requestId
        self.version = version
    }

    /// The response as JSON, without `evidence`.
    public var json: JSON {
        var meta: [String: JSON] = [
            "exchange": .string(exchange), "ordId": .string(ordId), "instId": .string(instId),
            "verifiedAt": .string(Self.timestamp(verifiedAt)), "live": .bool(!simulated),
            "requestId": requestId.map { .string($0) } ?? .null, "version": .string(version),
        ]
        if let wallet { meta["wallet"] = .string(wallet) }
        var members: [String: JSON] = [
            "meta": .object(meta),
            "raw": .object(raw),
            "perf": .object(perf),
            "error": failure?.json ?? .null,
        ]
        if verdict != nil || pending != nil {
            var position = positionDetails
            position["decided"] = .bool(verdict != nil)
            position["liquidated"] = .bool(verdict?.liquidated ?? false)
            position["liquidatedAt"] = verdict?.liquidatedAt.map { .string(Self.timestamp(milliseconds: $0)) } ?? .null
            position["reason"] = .string((verdict?.reason ?? .unknown).rawValue)
            position["adl"] = .bool(verdict?.reason == .adl)
            if let pending { position["pending"] = .string(pending) }
            if let record = self.position {
                position["posId"] = .string(record.posId)
                position["lifecycle"] = .string(record.lifecycle)
                position["mode"] = .string(record.marginMode)
                position["direction"] = .string(record.direction)
                position["realizedPnl"] = .string(record.realizedPnl.plainText)
                position["openedAt"] = .string(Self.timestamp(milliseconds: record.openedAt))
                position["closedAt"] = .string(Self.timestamp(milliseconds: record.closedAt))
            }
            var normalized: [String: JSON] = ["order": order, "position": .object(position)]
            if let payout, let policy {
                normalized["payout"] = [
                    "amount": .string(payout.amount.plainText), "loss": .string(payout.loss.plainText),
                    "lossBasis": .string((decision?.lossBasis ?? .none).rawValue),
                    "forcedOrders": .array((decision?.forcedOrders ?? []).map { .string($0) }),
                    "currency": settlementCurrency.map { .string($0) } ?? .null, "poolCurrency": .string(policy.currency),
                    "principal": principal.map { .string($0.plainText) } ?? .null, "poolDecimals": JSON(policy.poolDecimals),
                    "coverageBps": JSON(policy.coverageBps), "maxPayoutPerClaim": .string(policy.maxPayoutPerClaim.plainText),
                    "coverADL": .bool(policy.coverADL), "maxClaimAgeDays": JSON(policy.maxClaimAgeDays),
                    "refusal": payout.refusal.map { .string($0) } ?? .null,
                ]
            }
            members["normalized"] = .object(normalized)
        } else {
            members["normalized"] = order.isNull ? .null : ["order": order]
        }
        return .object(members)
    }

    /// UTC ISO-8601 with milliseconds, e.g. `2025-11-03T22:32:10.123Z`.
    public static func timestamp(milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(milliseconds % 1000))
    }

    public static func timestamp(_ date: Date) -> String {
        timestamp(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
