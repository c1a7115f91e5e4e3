import Ethereum
import Logging
import OKX
import Settlement
import Store
import Vault
import Wire

/// The trader API's key registration (issue 18): a wallet proves itself by signing a one-time
/// EIP-4361 challenge, and its OKX key is stored in the vault only once OKX says the key can read
/// and do nothing else. Each request opens its own connection: the HTTP threads share nothing with
/// the keeper's loop, and every change (the nonce used, the key replaced, the claims resumed, the
/// audit row) is one transaction.
public struct TraderKeys: Sendable {
    /// What OKX says of a key: `GET /api/v5/account/config` through a client bound to it.
    public typealias KeyCheck = @Sendable (OKXCredentials) async throws(OKXError) -> OKXAccountConfig

    let signIn: TraderSignIn
    let databasePath: String
    let vault: @Sendable () throws(VaultError) -> KeyVault
    let checkKey: KeyCheck
    let clock: @Sendable () -> Int64
    let log: Logger

    public init(signIn: TraderSignIn, databasePath: String, vault: @escaping @Sendable () throws(VaultError) -> KeyVault,
                checkKey: @escaping KeyCheck, clock: @escaping @Sendable () -> Int64, log: Logger) {
        self.signIn = signIn
        self.databasePath = databasePath
        self.vault = vault
        self.checkKey = checkKey
        self.clock = clock
        self.log = log
    }

    /// The vault's alias of a key a trader registered: one per wallet.
    static func alias(of wallet: Address) -> String { "trader-\(wallet.description.lowercased())" }

    /// The challenge's message for the wallet to sign, its nonce and when it expires.
    public func challenge(_ request: TraderRequests.Challenge) throws(TraderAPIError) -> (message: String, nonce: String, expiresAt: String) {
        let challenge = try TraderChallenge.issue(wallet: request.wallet, action: request.action, apiKey: request.apiKey,
                                                  region: request.region, orderID: request.orderID, now: clock())
        try write("store the challenge") { db in try challenge.insert(into: db) }
        return (try signIn.message(challenge, apiKey: request.apiKey).text, challenge.nonce, TraderSignIn.timestamp(challenge.expiresAt).text)
    }

    /// Stores the wallet's key once the signature, the nonce and OKX agree; replaces the wallet's
    /// earlier keys; resumes its claims waiting in `needs_key`. Returns how many resumed.
    public func register(_ request: TraderRequests.Registration) async throws(TraderAPIError) -> Int {
        let credentials = request.credentials
        let challenge = try redeem(nonce: request.nonce, signature: request.signature, wallet: request.wallet, action: .register,
                                   apiKey: credentials.apiKey, region: credentials.region)
        let config: OKXAccountConfig
        do { config = try await checkKey(credentials) } catch {
            log.info("trader key refused by OKX", ["wallet": "\(request.wallet.description.lowercased())", "okx_code": "\(error.okxCode ?? "-")",
                                                   "key": "\(credentials.fingerprint)"])
            throw Self.refusal(error)
        }
        if let powers = config.powersBeyondReading {
            log.warn("trader key refused: not read-only", ["wallet": "\(request.wallet.description.lowercased())", "perm": "\(config.perm)",
                                                           "key": "\(credentials.fingerprint)"])
            throw TraderAPIError(422, "KEY_NOT_READ_ONLY", "OKX says this key can \(powers): it was not stored",
                                 hint: "create an OKX API key with the Read permission only (no Trade, no Withdraw) and register that one")
        }
        let vault: KeyVault
        do { vault = try self.vault() } catch {
            log.error("trader key: vault unavailable", ["error": "\(error.message)"])
            throw .unavailable("the key vault cannot be opened now")
        }
        let wallet = request.wallet.description.lowercased(), alias = Self.alias(of: request.wallet)
        // OKX limits private reads per user ID: the key is kept with its account's uid, which the limiter keys on.
        let stored = OKXCredentials(apiKey: credentials.apiKey, secretKey: credentials.secretKey, passphrase: credentials.passphrase,
                                    uid: OKXCredentials.isUID(config.uid) ? config.uid : nil, region: credentials.region)
        let resumed: Int = try write("store the key") { db in
            let replaced = try vault.replaceKeys(of: wallet, with: stored, alias: alias, in: db)
            try AuditLog.append(db, kind: "keys.registered", subject: wallet, detail: [
                "by": "wallet", "alias": .string(alias), "region": .string(credentials.region.rawValue),
                "key": .string(credentials.fingerprint), "replaced": JSON(replaced), "nonce": .string(challenge.nonce)])
            return try ClaimLedger.resumeNeedingKey(wallet: wallet, in: db)
        }
        log.info("trader key registered", ["wallet": "\(wallet)", "region": "\(credentials.region.rawValue)", "key": "\(credentials.fingerprint)",
                                          "resumed": .int(resumed)])
        return resumed
    }

    /// Removes the wallet's key named by the signed challenge; its claims then wait in `needs_key`.
    public func remove(_ request: TraderRequests.Signed) throws(TraderAPIError) {
        let challenge = try redeem(nonce: request.nonce, signature: request.signature, wallet: request.wallet, action: .remove,
                                   apiKey: request.apiKey ?? "", region: nil)
        let vault: KeyVault
        do { vault = try self.vault() } catch {
            log.error("trader key: vault unavailable", ["error": "\(error.message)"])
            throw .unavailable("the key vault cannot be opened now")
        }
        let wallet = request.wallet.description.lowercased()
        let removed: Int = try write("remove the key") { db in
            let removed = try vault.removeKeys(of: wallet, apiKeyHash: challenge.apiKeyHash ?? "", in: db)
            if removed > 0 {
                try AuditLog.append(db, kind: "keys.removed", subject: wallet, detail: [
                    "by": "wallet", "removed": JSON(removed), "region": .string(challenge.region?.rawValue ?? ""), "nonce": .string(challenge.nonce)])
            }
            return removed
        }
        guard removed > 0 else {
            throw TraderAPIError(404, "KEY_NOT_FOUND", "this wallet has no key with that apiKey in the keeper",
                                 hint: "ask the remove challenge for the apiKey you registered")
        }
        log.info("trader key removed", ["wallet": "\(wallet)", "removed": .int(removed)])
    }

    /// The challenge `nonce` for `wallet` and `action`, if the wallet signed its message: checked
    /// for existence, expiry, reuse, its apiKey and region (register), then the signature; then
    /// marked used. A bad signature does not use the nonce (the wallet may still sign it).
    func redeem(nonce: String, signature: String, wallet: Address, action: TraderChallenge.Action, apiKey: String?,
                region: OKXRegion?, orderID: UInt256? = nil) throws(TraderAPIError) -> TraderChallenge {
        let now = clock()
        let found: TraderChallenge? = try read("read the challenge") { db in try TraderChallenge.find(nonce: nonce, in: db) }
        guard let challenge = found else {
            throw TraderAPIError(401, "NONCE_UNKNOWN", "no challenge with this nonce", hint: TraderRequests.newChallengeHint(action))
        }
        guard challenge.usedAt == nil else {
            throw TraderAPIError(401, "NONCE_USED", "this challenge was already used", hint: TraderRequests.newChallengeHint(action))
        }
        guard now < challenge.expiresAt else {
            throw TraderAPIError(401, "NONCE_EXPIRED", "this challenge expired at \(TraderSignIn.timestamp(challenge.expiresAt).text)",
                                 hint: TraderRequests.newChallengeHint(action) + " and sign it within 10 minutes")
        }
        let sameKey = apiKey.map { OKXCredentials.hash(apiKey: $0) == challenge.apiKeyHash } ?? true
        guard challenge.action == action, challenge.wallet == wallet, sameKey, region == nil || region == challenge.region,
              orderID == nil || orderID == challenge.orderID else {
            throw TraderAPIError(401, "CHALLENGE_MISMATCH", "this challenge was issued for another wallet, action, apiKey, region or order",
                                 hint: TraderRequests.newChallengeHint(action) + " with the same wallet, apiKey and region you send here")
        }
        let message = try signIn.message(challenge, apiKey: apiKey).text
        let signer: Address
        do { signer = try PersonalMessage.signer(of: message, signature: signature) } catch {
            throw TraderAPIError(401, "BAD_SIGNATURE", "the signature does not read: \(error.message)",
                                 hint: "sign the challenge's message exactly as received with personal_sign (EIP-191) and send the 65-byte signature as 0x-hex")
        }
        guard signer == wallet else {
            throw TraderAPIError(401, "BAD_SIGNATURE", "the message was signed by \(signer.checksummed), not by \(wallet.checksummed)",
                                 hint: "sign with the wallet the challenge names, and sign the message exactly as received")
        }
        let taken: Bool = try write("use the challenge") { db in try TraderChallenge.use(nonce: nonce, at: now, in: db) }
        guard taken else {
            throw TraderAPIError(401, "NONCE_USED", "this challenge was already used", hint: TraderRequests.newChallengeHint(action))
        }
        return challenge
    }

    /// OKX's refusal of a key as the trader sees it: the OKX code, and what to do.
    static func refusal(_ error: OKXError) -> TraderAPIError {
        switch error.code {
        case .authError:
            TraderAPIError(422, "AUTH_ERROR", "OKX refused the key (code \(error.okxCode ?? "none")): \(error.msg)",
                           hint: error.hint.isEmpty ? "check the API key, secret key, passphrase and region, and that the key has no IP whitelist the keeper is outside of" : error.hint)
        case .rateLimit, .remote5xx, .timeout:
            TraderAPIError(503, "OKX_UNAVAILABLE", "OKX could not check the key now (\(error.okxCode ?? "no code"))",
                           hint: "ask a new challenge and try again in a minute")
        case .notFound, .remote4xx:
            TraderAPIError(422, "AUTH_ERROR", "OKX did not accept the key's account request (code \(error.okxCode ?? "none")): \(error.msg)",
                           hint: "check the key on OKX (API management) and register it again")
        }
    }

    // MARK: Database

    private func write<T>(_ what: String, _ body: (Database) throws -> T) throws(TraderAPIError) -> T {
        do {
            let database = try Database(path: databasePath)
            return try database.transaction { db in try body(db) }
        } catch let error as TraderAPIError {
            throw error
        } catch {
            log.error("trader api: database error", ["doing": "\(what)", "error": "\(error)"])
            throw .unavailable("the keeper cannot \(what) now")
        }
    }

    private func read<T>(_ what: String, _ body: (Database) throws -> T) throws(TraderAPIError) -> T {
        do { return try body(try Database(path: databasePath)) } catch {
            log.error("trader api: database error", ["doing": "\(what)", "error": "\(error)"])
            throw .unavailable("the keeper cannot \(what) now")
        }
    }
}
