import Indexer
import OKX
import Vault
import Wire

/// The body of `POST /api/verify`, seed 002 §三.1 and §六.A, parsed and validated. Field names
/// are the seed's. Its text forms never show credentials.
public struct VerifyRequest: Sendable, Equatable {
    public enum Exchange: String, Sendable, Equatable { case okx }

    /// Where the OKX key comes from (`keyMode`).
    public enum Key: Sendable, Equatable {
        /// `keyMode: "inline"`: `apiKey`, `secretKey`, `passphrase` (and `uid`) in the request, used once, never stored.
        case inline(OKXCredentials)
        /// `keyMode: "alias"`: `keyAlias` names a key in the vault; `wallet` (an extension to the
        /// seed) narrows the lookup when one alias exists for several wallets.
        case alias(keyAlias: String, wallet: String?)
    }

    /// `clientMeta`: the caller's own bookkeeping, echoed into the response's `meta.requestId`.
    public struct ClientMeta: Sendable, Equatable {
        public let source: String?
        public let requestId: String?
    }

    /// `exchange`; only "okx" (the default when absent).
    public let exchange: Exchange
    /// `ordId`: OKX's order ID, decimal digits.
    public let ordId: String
    /// `instId`, e.g. `BTC-USDT-SWAP`.
    public let instId: String
    /// `live`: false asks for OKX demo trading (`x-simulated-trading: 1`); nil leaves it to `okx.simulated`.
    public let live: Bool?
    /// `fresh` / `noCache`: read OKX directly, bypassing any cache; nil when not sent.
    public let fresh: Bool?
    public let noCache: Bool?
    public let key: Key
    public let clientMeta: ClientMeta?

    /// `clientMeta.requestId`.
    public var requestId: String? { clientMeta?.requestId }

    /// The inline credentials' secrets, which must never appear in a response.
    public var secrets: [String] {
        if case .inline(let credentials) = key { return credentials.secrets }
        return []
    }

    /// Parses a request body. Errors are `.badData` and name the field, never its value.
    public static func parse(_ body: [UInt8]) throws(KeeperError) -> VerifyRequest {
        let json: JSON
        do { json = try JSON(parsing: body) } catch {
            throw KeeperError(.badData, "the body is not valid JSON (at byte \(error.offset))")
        }
        guard let members = json.objectValue else { throw KeeperError(.badData, "the body must be a JSON object") }
        var reader = JSONFieldReader(members: members, path: "")

        let exchangeName = try reader.string("exchange") ?? "okx"
        guard let exchange = Exchange(rawValue: exchangeName) else {
            throw KeeperError(.badData, "exchange: only \"okx\" is supported")
        }
        let ordId = try reader.required("ordId")
        guard (1...32).contains(ordId.utf8.count), ordId.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw KeeperError(.badData, "ordId must be OKX's order ID: 1–32 decimal digits")
        }
        let instId = try reader.required("instId")
        guard (1...64).contains(instId.utf8.count),
              instId.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || $0 == 0x2D || $0 == 0x5F }) else {
            throw KeeperError(.badData, "instId must be an OKX instrument ID such as BTC-USDT-SWAP")
        }
        let live = try reader.bool("live")
        let fresh = try reader.bool("fresh")
        let noCache = try reader.bool("noCache")

        let keyMode = try reader.required("keyMode")
        let apiKey = try reader.secret("apiKey"), secretKey = try reader.secret("secretKey"), passphrase = try reader.secret("passphrase")
        let uid = try reader.string("uid").flatMap { $0.isEmpty ? nil : $0 }
        let keyAlias = try reader.string("keyAlias")
        let wallet = try reader.string("wallet")
        let key: Key
        switch keyMode {
        case "inline":
            guard keyAlias == nil, wallet == nil else { throw KeeperError(.badData, "keyAlias and wallet belong to keyMode \"alias\"") }
            guard let apiKey, let secretKey, let passphrase else {
                throw KeeperError(.badData, "keyMode \"inline\" needs apiKey, secretKey and passphrase")
            }
            if let uid, !(1...64).contains(uid.utf8.count) || !uid.utf8.allSatisfy({ (0x30...0x39).contains($0) }) {
                throw KeeperError(.badData, "uid must be OKX's user ID: decimal digits")
            }
            let credentials = OKXCredentials(apiKey: apiKey, secretKey: secretKey, passphrase: passphrase, uid: uid)
            guard credentials.isWellFormed else {
                throw KeeperError(.badData, "apiKey, secretKey and passphrase must be non-empty and free of control characters")
            }
            key = .inline(credentials)
        case "alias":
            guard apiKey == nil, secretKey == nil, passphrase == nil, uid == nil else {
                throw KeeperError(.badData, "keyMode \"alias\" takes the key from the vault: send no apiKey, secretKey, passphrase or uid")
            }
            guard let keyAlias else { throw KeeperError(.badData, "keyMode \"alias\" needs keyAlias") }
            do { _ = try KeyVault.validatedAlias(keyAlias) } catch {
                throw KeeperError(.badData, "keyAlias must be 1–64 characters of letters, digits, '.', '_' or '-'")
            }
            var normalizedWallet: String?
            if let wallet {
                do { normalizedWallet = try KeyVault.normalizedWallet(wallet) } catch {
                    throw KeeperError(.badData, "wallet must be 0x and 40 hex digits")
                }
            }
            key = .alias(keyAlias: keyAlias, wallet: normalizedWallet)
        default:
            throw KeeperError(.badData, "keyMode must be \"inline\" or \"alias\"")
        }

        var clientMeta: ClientMeta?
        if let meta = try reader.object("clientMeta") {
            var metaReader = JSONFieldReader(members: meta, path: "clientMeta.")
            let source = try metaReader.label("source")
            let requestId = try metaReader.label("requestId")
            try metaReader.finish()
            clientMeta = ClientMeta(source: source, requestId: requestId)
        }
        try reader.finish()
        return VerifyRequest(exchange: exchange, ordId: ordId, instId: instId, live: live, fresh: fresh, noCache: noCache,
                             key: key, clientMeta: clientMeta)
    }
}

extension VerifyRequest: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        let source: String
        switch key {
        case .inline(let credentials): source = "inline key \(credentials.fingerprint)"
        case .alias(let alias, let wallet): source = "alias \(alias)" + (wallet.map { " of \($0)" } ?? "")
        }
        return "VerifyRequest(\(exchange.rawValue) ordId \(ordId) instId \(instId), \(source), requestId \(requestId ?? "none"))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["summary": description], displayStyle: .struct) }
}
