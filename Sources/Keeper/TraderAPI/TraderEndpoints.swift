import Ethereum
import HTTPServer
import Indexer
import Logging
import Settlement
import Store
import Verification
import Wire

/// The trader API on the public listener (`http.publicListen`, issue 18):
///
/// - `POST /api/keys/challenge` `{wallet, apiKey, region, action?}` → `{message, nonce, expiresAt}`
/// - `POST /api/keys` `{wallet, apiKey, secretKey, passphrase, region, nonce, signature}` → `{wallet, apiKey, region, resumedClaims}`
/// - `DELETE /api/keys` `{wallet, apiKey, nonce, signature}` (a challenge asked with `action: "remove"`)
/// - `GET /api/claims/{wallet}/{orderId}` → the claim's public status (`TraderClaimStatus`)
/// - `POST /api/claims/{wallet}/{orderId}/challenge` → a challenge for the claim's evidence
/// - `POST /api/claims/{wallet}/{orderId}/evidence` `{nonce, signature}` → the evidence bundle
///
/// Refusals are `{"error": {code, msg, hint}}`; no answer is cached.
public struct TraderEndpoints: Sendable {
    static let noStore = HTTPHeaders([("Cache-Control", "no-store")])

    let keys: TraderKeys
    let readers: DatabaseReaderPool
    let pool: PoolUnit
    let metrics: MetricsRegistry
    let log: Logger

    public init(keys: TraderKeys, readers: DatabaseReaderPool, pool: PoolUnit, metrics: MetricsRegistry, log: Logger) {
        self.keys = keys
        self.readers = readers
        self.pool = pool
        self.metrics = metrics
        self.log = log
    }

    public func register(in router: inout HTTPRouter) {
        router.add(.post, "/api/keys/challenge") { request in await self.answer(request, route: "challenge") { body throws(TraderAPIError) in
            let challenge = try self.keys.challenge(try TraderRequests.keyChallenge(body))
            return (200, ["message": .string(challenge.message), "nonce": .string(challenge.nonce), "expiresAt": .string(challenge.expiresAt)])
        } }
        router.add(.post, "/api/keys") { request in await self.answer(request, route: "register") { body throws(TraderAPIError) in
            let registration = try TraderRequests.registration(body)
            let resumed = try await self.keys.register(registration)
            return (200, ["wallet": .string(registration.wallet.description.lowercased()), "apiKey": .string(registration.credentials.apiKey),
                          "region": .string(registration.credentials.region.rawValue), "resumedClaims": JSON(resumed)])
        } }
        router.add(.delete, "/api/keys") { request in await self.answer(request, route: "remove") { body throws(TraderAPIError) in
            let removal = try TraderRequests.removal(body)
            try self.keys.remove(removal)
            return (200, ["wallet": .string(removal.wallet.description.lowercased()), "removed": true])
        } }
        router.add(.get, prefix: "/api/claims/") { request in await self.claim(request) }
        router.add(.post, prefix: "/api/claims/") { request in await self.claim(request) }
    }

    /// `/api/claims/{wallet}/{orderId}[/challenge|/evidence]`.
    private func claim(_ request: HTTPServerRequest) async -> HTTPServerResponse {
        let parts = request.path.dropFirst("/api/claims/".count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else {
            return TraderAPIError(404, "NOT_FOUND", "no such path", hint: "use /api/claims/{wallet}/{orderId}").response
        }
        let wallet: Address, order: UInt256
        do {
            wallet = try TraderRequests.wallet(String(parts[0]))
            order = try TraderRequests.orderID(parts[1])
        } catch { return error.response }
        switch (request.method, parts.count == 3 ? String(parts[2]) : nil) {
        case (.get, nil), (.head, nil):
            return await status(wallet: wallet, order: order)
        case (.post, "challenge"?):
            return await answer(request, route: "evidence_challenge", allowEmpty: true) { _ throws(TraderAPIError) in
                _ = try await self.requireClaim(wallet: wallet, order: order)
                let challenge = try self.keys.challenge(.init(wallet: wallet, action: .evidence, apiKey: nil, region: nil, orderID: order))
                return (200, ["message": .string(challenge.message), "nonce": .string(challenge.nonce), "expiresAt": .string(challenge.expiresAt)])
            }
        case (.post, "evidence"?):
            return await answer(request, route: "evidence") { body throws(TraderAPIError) in
                let signed = try TraderRequests.evidence(body, wallet: wallet)
                _ = try self.keys.redeem(nonce: signed.nonce, signature: signed.signature, wallet: wallet, action: .evidence,
                                         apiKey: nil, region: nil, orderID: order)
                return (200, try await self.bundle(wallet: wallet, order: order))
            }
        case (_, nil):
            return .error(405, code: "METHOD_NOT_ALLOWED", "use GET", hint: "GET /api/claims/{wallet}/{orderId}", headers: HTTPHeaders([("Allow", "GET, HEAD")]))
        case (_, "challenge"?), (_, "evidence"?):
            return .error(405, code: "METHOD_NOT_ALLOWED", "use POST", hint: "POST with a JSON body", headers: HTTPHeaders([("Allow", "POST")]))
        default:
            return TraderAPIError(404, "NOT_FOUND", "no such path", hint: "use /api/claims/{wallet}/{orderId}[/challenge|/evidence]").response
        }
    }

    private func status(wallet: Address, order: UInt256) async -> HTTPServerResponse {
        let pool = pool
        let status: JSON?
        do { status = try await readers.read { db in try TraderClaimStatus.read(wallet: wallet, orderID: order, pool: pool, in: db) } } catch {
            log.error("trader api: cannot read a claim", ["error": "\(error)"])
            return counted("claim", TraderAPIError.unavailable("the keeper cannot read its claims now"))
        }
        guard let status else { return counted("claim", Self.unknownClaim) }
        metrics.increment("lgk_trader_api_requests_total", ["claim", "ok"])
        return .json(200, status, headers: Self.noStore)
    }

    private func counted(_ route: String, _ error: TraderAPIError) -> HTTPServerResponse {
        metrics.increment("lgk_trader_api_requests_total", [route, error.code])
        return error.response
    }

    static let unknownClaim = TraderAPIError(404, "CLAIM_NOT_FOUND", "the keeper has no claim of this wallet on this order",
                                             hint: "a claim appears once its ClaimRequested event is indexed (a few blocks); check the wallet and orderId")

    private func requireClaim(wallet: Address, order: UInt256) async throws(TraderAPIError) -> Claim {
        let claim: Claim?
        do { claim = try await readers.read { db in try ClaimLedger(database: db).claim(user: wallet, orderID: order) } } catch {
            log.error("trader api: cannot read a claim", ["error": "\(error)"])
            throw .unavailable("the keeper cannot read its claims now")
        }
        guard let claim else { throw Self.unknownClaim }
        return claim
    }

    /// The claim's evidence bundle as stored (canonical JSON; `raw` answers are redacted when sealed).
    private func bundle(wallet: Address, order: UInt256) async throws(TraderAPIError) -> JSON {
        let claim = try await requireClaim(wallet: wallet, order: order)
        guard let id = claim.evidenceID else {
            throw TraderAPIError(404, "NO_EVIDENCE", "this claim has no evidence yet", hint: "ask again once GET /api/claims/{wallet}/{orderId} shows an evidence root")
        }
        do {
            return try await readers.read { db in
                guard let entry = try EvidenceLedger(database: db).entry(id) else { throw KeeperError(.badData, "no evidence row for \(id)") }
                return try EvidenceFiles.read(path: entry.path)
            }
        } catch {
            log.error("trader api: cannot read evidence", ["evidence_id": "\(id)", "error": "\(error)"])
            throw .unavailable("the keeper cannot read this claim's evidence now")
        }
    }

    /// Runs `body` on the request's JSON body; its answer or its refusal, never cached.
    private func answer(_ request: HTTPServerRequest, route: String, allowEmpty: Bool = false,
                        _ body: @Sendable ([UInt8]) async throws(TraderAPIError) -> (Int, JSON)) async -> HTTPServerResponse {
        if let type = request.mediaType, type != "application/json" {
            return counted(route, TraderAPIError(415, "UNSUPPORTED_MEDIA_TYPE", "send the body as application/json", hint: "set Content-Type: application/json"))
        }
        do {
            let (status, json) = try await body(allowEmpty && request.body.isEmpty ? Array("{}".utf8) : request.body)
            metrics.increment("lgk_trader_api_requests_total", [route, "ok"])
            return .json(status, json, headers: Self.noStore)
        } catch {
            return counted(route, error)
        }
    }
}
