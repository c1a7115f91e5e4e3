/// A Sign-In with Ethereum message (ERC-4361, https://eips.ethereum.org/EIPS/eip-4361): the
/// text a wallet shows and signs with `personal_sign` (`PersonalMessage`).
///
/// Every value is checked against the EIP's ABNF when the message is made or parsed, so `text`
/// is always a conforming message, and `SignInMessage(parsing: m.text) == m`.
public struct SignInMessage: Sendable, Equatable {
    /// The only version the EIP defines.
    public static let version = "1"

    /// RFC 3986 scheme of the requesting origin; nil: not written (HTTPS assumed).
    public let scheme: String?
    /// RFC 3986 authority requesting the signature (`keeper.example`, `example.com:3388`).
    public let domain: String
    /// The signer; written in EIP-55 mixed case.
    public let address: Address
    /// What the wallet's user agrees to: ASCII reserved/unreserved characters and spaces, no newline.
    public let statement: String?
    /// RFC 3986 URI of the resource the signature is about.
    public let uri: String
    /// EIP-155 chain id.
    public let chainId: UInt64
    /// At least 8 ASCII letters and digits, chosen by the relying party against replay.
    public let nonce: String
    public let issuedAt: Timestamp
    public let expirationTime: Timestamp?
    public let notBefore: Timestamp?
    /// `*pchar`: may be empty.
    public let requestId: String?
    /// RFC 3986 URIs; nil: no `Resources:` line, [] the line alone.
    public let resources: [String]?

    /// Checks every value against the EIP's grammar.
    public init(scheme: String? = nil, domain: String, address: Address, statement: String? = nil, uri: String,
                chainId: UInt64, nonce: String, issuedAt: Timestamp, expirationTime: Timestamp? = nil,
                notBefore: Timestamp? = nil, requestId: String? = nil, resources: [String]? = nil) throws(EthereumError) {
        if let scheme {
            guard RFC3986.isScheme(Array(scheme.utf8)[...]) else { throw Self.invalid("scheme", scheme, "is not an RFC 3986 scheme (a letter, then letters, digits, + - .)") }
        }
        guard RFC3986.isAuthority(Array(domain.utf8)[...], requireHost: true) else {
            throw Self.invalid("domain", domain, "is not an RFC 3986 authority (host[:port], no scheme or path)")
        }
        if let statement {
            guard statement.utf8.allSatisfy({ RFC3986.isReserved($0) || RFC3986.isUnreserved($0) || $0 == 0x20 }) else {
                throw Self.invalid("statement", statement, "may hold only ASCII letters, digits, spaces and - . _ ~ : / ? # [ ] @ ! $ & ' ( ) * + , ; =")
            }
        }
        guard RFC3986.isURI(Array(uri.utf8)[...]) else { throw Self.invalid("URI", uri, "is not an RFC 3986 URI") }
        guard nonce.utf8.count >= 8, nonce.utf8.allSatisfy({ RFC3986.isAlpha($0) || RFC3986.isDigit($0) }) else {
            throw Self.invalid("nonce", nonce, "must be at least 8 ASCII letters and digits")
        }
        if let requestId {
            guard RFC3986.isSequence(Array(requestId.utf8)[...], extra: []) else {
                throw Self.invalid("request ID", requestId, "may hold only RFC 3986 path characters (pchar)")
            }
        }
        for resource in resources ?? [] {
            guard RFC3986.isURI(Array(resource.utf8)[...]) else { throw Self.invalid("resource", resource, "is not an RFC 3986 URI") }
        }
        self.scheme = scheme
        self.domain = domain
        self.address = address
        self.statement = statement
        self.uri = uri
        self.chainId = chainId
        self.nonce = nonce
        self.issuedAt = issuedAt
        self.expirationTime = expirationTime
        self.notBefore = notBefore
        self.requestId = requestId
        self.resources = resources
    }

    /// The message as the EIP's ABNF lays it out: lines joined by LF, no final LF.
    public var text: String {
        var lines = ["\(scheme.map { "\($0)://" } ?? "")\(domain)\(Self.header)", address.checksummed, ""]
        if let statement { lines.append(statement) }
        lines.append("")
        lines.append("URI: \(uri)")
        lines.append("Version: \(Self.version)")
        lines.append("Chain ID: \(chainId)")
        lines.append("Nonce: \(nonce)")
        lines.append("Issued At: \(issuedAt.text)")
        if let expirationTime { lines.append("Expiration Time: \(expirationTime.text)") }
        if let notBefore { lines.append("Not Before: \(notBefore.text)") }
        if let requestId { lines.append("Request ID: \(requestId)") }
        if let resources { lines.append("Resources:"); lines += resources.map { "- \($0)" } }
        return lines.joined(separator: "\n")
    }

    /// Reads a message strictly: the EIP's exact line layout and field order, each value's grammar,
    /// the address in its EIP-55 form, chain id without leading zeros, RFC 3339 times.
    public init(parsing text: String) throws(EthereumError) {
        var lines = Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false)[...]
        var lineNumber = 0
        func next(_ expected: String) throws(EthereumError) -> ArraySlice<UInt8> {
            guard let line = lines.popFirst() else {
                throw EthereumError(.invalidSignInMessage, "the message ends at line \(lineNumber), before \(expected)")
            }
            lineNumber += 1
            return line
        }
        func field(_ label: String) throws(EthereumError) -> String {
            let line = try next("the \"\(label)\" line")
            guard line.starts(with: label.utf8) else {
                throw EthereumError(.invalidSignInMessage, "line \(lineNumber) must start with \"\(label)\", found \(Self.quoted(line))")
            }
            return String(decoding: line.dropFirst(label.utf8.count), as: UTF8.self)
        }
        func blank(_ after: String) throws(EthereumError) {
            let line = try next("a blank line")
            guard line.isEmpty else { throw EthereumError(.invalidSignInMessage, "line \(lineNumber) must be blank (after \(after)), found \(Self.quoted(line))") }
        }
        func optionalField(_ label: String) throws(EthereumError) -> String? {
            guard let line = lines.first, line.starts(with: label.utf8) else { return nil }
            return try field(label)
        }

        let header = try next("the first line")
        guard header.count > Self.header.utf8.count, header.reversed().starts(with: Self.header.utf8.reversed()) else {
            throw EthereumError(.invalidSignInMessage, "line 1 must be \"DOMAIN\(Self.header)\", found \(Self.quoted(header))")
        }
        var origin = header.dropLast(Self.header.utf8.count)
        var scheme: String?
        if let separator = origin.firstRange(of: "://".utf8) {
            scheme = String(decoding: origin[..<separator.lowerBound], as: UTF8.self)
            origin = origin[separator.upperBound...]
        }
        let addressText = String(decoding: try next("the address"), as: UTF8.self)
        let address = try Self.address(addressText)
        try blank("the address")
        var statement: String?
        // No statement: the blank line is followed by "URI: ". Otherwise the statement, then a blank line.
        if lines.first?.isEmpty == true, lines.dropFirst().first?.starts(with: "URI: ".utf8) == true {
            try blank("the address")
        } else {
            statement = String(decoding: try next("the statement"), as: UTF8.self)
            try blank("the statement")
        }
        let uri = try field("URI: ")
        let version = try field("Version: ")
        guard version == Self.version else { throw Self.invalid("version", version, "must be 1") }
        let chainText = try field("Chain ID: ")
        guard let chainId = UInt64(chainText), chainText.utf8.allSatisfy(RFC3986.isDigit), chainText == String(chainId) else {
            throw Self.invalid("chain ID", chainText, "must be a decimal number without leading zeros that fits 64 bits")
        }
        let nonce = try field("Nonce: ")
        let issuedAt = try Timestamp(rfc3339: try field("Issued At: "))
        let expirationTime = try optionalField("Expiration Time: ").map { text throws(EthereumError) in try Timestamp(rfc3339: text) }
        let notBefore = try optionalField("Not Before: ").map { text throws(EthereumError) in try Timestamp(rfc3339: text) }
        let requestId = try optionalField("Request ID: ")
        var resources: [String]?
        if let line = lines.first, line.elementsEqual("Resources:".utf8) {
            _ = try next("Resources:")
            var list: [String] = []
            while let item = lines.first {
                guard item.starts(with: "- ".utf8) else { break }
                list.append(String(decoding: try next("a resource").dropFirst(2), as: UTF8.self))
            }
            resources = list
        }
        if let extra = lines.first {
            throw EthereumError(.invalidSignInMessage, "line \(lineNumber + 1) is not a field the EIP allows here (after Issued At come Expiration Time, Not Before, Request ID, Resources, in that order; no final newline): \(Self.quoted(extra))")
        }
        try self.init(scheme: scheme, domain: String(decoding: origin, as: UTF8.self), address: address, statement: statement, uri: uri,
                      chainId: chainId, nonce: nonce, issuedAt: issuedAt, expirationTime: expirationTime, notBefore: notBefore,
                      requestId: requestId, resources: resources)
    }

    static let header = " wants you to sign in with your Ethereum account:"

    /// `0x` and 40 hex digits in EIP-55 mixed case, as the message renders it.
    private static func address(_ text: String) throws(EthereumError) -> Address {
        guard text.utf8.count == 42, text.hasPrefix("0x"), text.utf8.dropFirst(2).allSatisfy(RFC3986.isHexDigit) else {
            throw invalid("address", text, "must be 0x and 40 hex digits")
        }
        // All lowercase: only the length and digits are checked here; the case is compared below.
        let address = try Address(hex: text.lowercased())
        guard address.checksummed == text else {
            throw invalid("address", text, "must be written in its EIP-55 form \(address.checksummed)")
        }
        return address
    }

    private static func invalid(_ field: String, _ value: String, _ rule: String) -> EthereumError {
        EthereumError(.invalidSignInMessage, "the \(field) \(quoted(Array(value.utf8)[...])) \(rule)")
    }

    /// Outside text for an error message: quoted, control and non-ASCII bytes escaped, cut at 60 bytes.
    static func quoted(_ bytes: ArraySlice<UInt8>) -> String {
        var out = "\""
        for byte in bytes.prefix(60) {
            switch byte {
            case 0x22, 0x5C: out += "\\" + String(UnicodeScalar(byte))
            case 0x20...0x7E: out.append(Character(UnicodeScalar(byte)))
            default: out += "\\x" + String(byte, radix: 16, uppercase: false).leftPadded
            }
        }
        return out + (bytes.count > 60 ? "\"…" : "\"")
    }
}

private extension String {
    var leftPadded: String { count < 2 ? "0" + self : self }
}
