import Ethereum
import Indexer
import OKX
import Wire

/// The trader API's request bodies, parsed and validated. Errors name the field, never its value.
public enum TraderRequests {
    /// `POST /api/keys/challenge` (`{wallet, apiKey, region, action?}`) or the evidence challenge of a claim.
    public struct Challenge: Sendable, Equatable {
        public let wallet: Address
        public let action: TraderChallenge.Action
        public let apiKey: String?
        public let region: OKXRegion?
        public let orderID: UInt256?
    }

    /// `POST /api/keys`: `{wallet, apiKey, secretKey, passphrase, region, nonce, signature}`. Its text forms show no secret.
    public struct Registration: Sendable, CustomStringConvertible {
        public let wallet: Address
        public let credentials: OKXCredentials
        public let nonce: String
        public let signature: String
        public var description: String { "Registration(\(wallet), \(credentials))" }
    }

    /// A signed challenge: `DELETE /api/keys` (`{wallet, apiKey, nonce, signature}`: the API key named in the
    /// message, which the keeper keeps only as a hash) and the evidence request (`{nonce, signature}`).
    public struct Signed: Sendable, Equatable {
        public let wallet: Address
        public var apiKey: String? = nil
        public let nonce: String
        public let signature: String
    }

    static func keyChallenge(_ body: [UInt8]) throws(TraderAPIError) -> Challenge {
        var reader = try fields(body)
        let wallet = try self.wallet(&reader)
        let apiKey = try self.apiKey(&reader)
        let region = try self.region(&reader)
        let actionText: String
        do { actionText = try reader.string("action") ?? "register" } catch { throw .badRequest(error.message) }
        guard let action = TraderChallenge.Action(rawValue: actionText), action != .evidence else {
            throw .badRequest("action must be \"register\" (the default) or \"remove\"")
        }
        try finish(reader)
        return Challenge(wallet: wallet, action: action, apiKey: apiKey, region: region, orderID: nil)
    }

    static func registration(_ body: [UInt8]) throws(TraderAPIError) -> Registration {
        var reader = try fields(body)
        let wallet = try self.wallet(&reader)
        let apiKey = try self.apiKey(&reader)
        let secretKey = try secret(&reader, "secretKey"), passphrase = try secret(&reader, "passphrase")
        let region = try self.region(&reader)
        let nonce = try self.nonce(&reader), signature = try self.signature(&reader)
        try finish(reader)
        return Registration(wallet: wallet, credentials: OKXCredentials(apiKey: apiKey, secretKey: secretKey, passphrase: passphrase, region: region),
                            nonce: nonce, signature: signature)
    }

    static func removal(_ body: [UInt8]) throws(TraderAPIError) -> Signed {
        var reader = try fields(body)
        let wallet = try self.wallet(&reader)
        let apiKey = try self.apiKey(&reader)
        let nonce = try self.nonce(&reader), signature = try self.signature(&reader)
        try finish(reader)
        return Signed(wallet: wallet, apiKey: apiKey, nonce: nonce, signature: signature)
    }

    static func evidence(_ body: [UInt8], wallet: Address) throws(TraderAPIError) -> Signed {
        var reader = try fields(body)
        let nonce = try self.nonce(&reader), signature = try self.signature(&reader)
        try finish(reader)
        return Signed(wallet: wallet, nonce: nonce, signature: signature)
    }

    /// `0x` and 40 hex digits; mixed case must carry a valid EIP-55 checksum.
    static func wallet(_ text: String, field: String = "wallet") throws(TraderAPIError) -> Address {
        do { return try Address(hex: text) } catch where error.code == .invalidChecksum {
            throw .badRequest("\(field)'s mixed case does not match its EIP-55 checksum", hint: "check the address for a typo, or send it all lowercase")
        } catch {
            throw .badRequest("\(field) must be a wallet address: 0x and 40 hex digits", hint: "send the address of the wallet that files the claims")
        }
    }

    /// An order ID as the contract holds it: decimal digits.
    static func orderID(_ text: Substring) throws(TraderAPIError) -> UInt256 {
        guard (1...78).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
              let order = try? UInt256(decimal: String(text)) else {
            throw .badRequest("the order ID must be decimal digits", hint: "use the orderId of the claim's ClaimRequested event (OKX's ordId)")
        }
        return order
    }

    static func newChallengeHint(_ action: TraderChallenge.Action) -> String {
        switch action {
        case .register: "ask a new challenge with POST /api/keys/challenge"
        case .remove: "ask a new challenge with POST /api/keys/challenge and action \"remove\""
        case .evidence: "ask a new challenge with POST /api/claims/{wallet}/{orderId}/challenge"
        }
    }

    // MARK: Fields

    private static func fields(_ body: [UInt8]) throws(TraderAPIError) -> JSONFieldReader {
        let json: JSON
        do { json = try JSON(parsing: body) } catch { throw .badRequest("the body is not valid JSON (at byte \(error.offset))") }
        guard let members = json.objectValue else { throw .badRequest("the body must be a JSON object") }
        return JSONFieldReader(members: members, path: "")
    }

    private static func finish(_ reader: JSONFieldReader) throws(TraderAPIError) {
        do { try reader.finish() } catch { throw .badRequest(error.message) }
    }

    private static func required(_ reader: inout JSONFieldReader, _ key: String) throws(TraderAPIError) -> String {
        do { return try reader.required(key) } catch { throw .badRequest(error.message) }
    }

    private static func wallet(_ reader: inout JSONFieldReader) throws(TraderAPIError) -> Address {
        try wallet(try required(&reader, "wallet"))
    }

    /// OKX API keys are UUIDs; allow 1–64 of letters, digits and '-' (it is written into the signed statement).
    private static func apiKey(_ reader: inout JSONFieldReader) throws(TraderAPIError) -> String {
        let key = try required(&reader, "apiKey")
        guard key.utf8.count <= 64, key.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x2D }) else {
            throw .badRequest("apiKey must be 1–64 letters, digits or '-' (OKX's API key, a UUID)")
        }
        return key
    }

    /// 1–256 bytes of printable characters.
    private static func secret(_ reader: inout JSONFieldReader, _ key: String) throws(TraderAPIError) -> String {
        let text = try required(&reader, key)
        guard text.utf8.count <= 256, !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .badRequest("\(key) must be at most 256 printable characters")
        }
        return text
    }

    private static func region(_ reader: inout JSONFieldReader) throws(TraderAPIError) -> OKXRegion {
        let text: String?
        do { text = try reader.string("region") } catch { throw .badRequest(error.message) }
        guard let region = OKXRegion(rawValue: text ?? "www") else {
            throw .badRequest("region must be \"www\" (www.okx.com), \"us\" (us.okx.com) or \"eea\" (eea.okx.com): where the key was made")
        }
        return region
    }

    private static func nonce(_ reader: inout JSONFieldReader) throws(TraderAPIError) -> String {
        let nonce = try required(&reader, "nonce")
        guard (8...64).contains(nonce.utf8.count), nonce.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
            throw TraderAPIError(401, "NONCE_UNKNOWN", "nonce is not an EIP-4361 nonce (8–64 letters and digits)",
                                 hint: "send the nonce of the challenge you signed")
        }
        return nonce
    }

    private static func signature(_ reader: inout JSONFieldReader) throws(TraderAPIError) -> String {
        let signature = try required(&reader, "signature")
        guard signature.utf8.count <= 140 else { throw .badRequest("signature must be 0x and 130 hex digits (65 bytes)") }
        return signature
    }
}
