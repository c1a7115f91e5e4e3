import Foundation
import Testing
import TestSupport
@testable import Ethereum

@Suite struct SignInMessageTests {
    /// The example messages of ERC-4361 (ethereum/ERCs, ERCS/erc-4361.md, "Examples"): implicit
    /// scheme, explicit port, explicit scheme.
    static let ercExamples = [
        """
        example.com wants you to sign in with your Ethereum account:
        0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2

        I accept the ExampleOrg Terms of Service: https://example.com/tos

        URI: https://example.com/login
        Version: 1
        Chain ID: 1
        Nonce: 32891756
        Issued At: 2021-09-30T16:25:24Z
        Resources:
        - ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/
        - https://example.com/my-web2-claim.json
        """,
        """
        example.com:3388 wants you to sign in with your Ethereum account:
        0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2

        I accept the ExampleOrg Terms of Service: https://example.com/tos

        URI: https://example.com/login
        Version: 1
        Chain ID: 1
        Nonce: 32891756
        Issued At: 2021-09-30T16:25:24Z
        Resources:
        - ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/
        - https://example.com/my-web2-claim.json
        """,
        """
        https://example.com wants you to sign in with your Ethereum account:
        0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2

        I accept the ExampleOrg Terms of Service: https://example.com/tos

        URI: https://example.com/login
        Version: 1
        Chain ID: 1
        Nonce: 32891756
        Issued At: 2021-09-30T16:25:24Z
        Resources:
        - ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/
        - https://example.com/my-web2-claim.json
        """,
    ]

    /// The layout the keeper's challenge uses (issue 18). The address is in its EIP-55 form
    /// (eth_utils.to_checksum_address gives 0xc0ffee…; the often-copied 0xC0ffee… is mis-cased).
    static let keeperLayout = """
        keeper.example wants you to sign in with your Ethereum account:
        0xc0ffee254729296a45a3885639AC7E10F9d54979

        LeverageGuard: register the read-only OKX API key 5bc1a3e2-... (region www) to settle liquidation claims on contract 0x5FbDB2315678afecb367f032d93F642f64180aa3.

        URI: https://keeper.example/api/keys
        Version: 1
        Chain ID: 31337
        Nonce: 32891756a1b2c3d4
        Issued At: 2026-12-06T12:00:00Z
        Expiration Time: 2026-12-06T12:10:00Z
        """

    @Test func ercExamplesParseAndRenderToTheSameText() throws {
        for example in Self.ercExamples {
            let message = try SignInMessage(parsing: example)
            #expect(message.text == example)
            #expect(message.address.checksummed == "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2")
            #expect(message.statement == "I accept the ExampleOrg Terms of Service: https://example.com/tos")
            #expect(message.uri == "https://example.com/login")
            #expect(message.chainId == 1)
            #expect(message.nonce == "32891756")
            #expect(message.issuedAt.date == Date(timeIntervalSince1970: 1_633_019_124))
            #expect(message.expirationTime == nil && message.notBefore == nil && message.requestId == nil)
            #expect(message.resources == ["ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/",
                                          "https://example.com/my-web2-claim.json"])
        }
        let parsed = try Self.ercExamples.map { text throws(EthereumError) in try SignInMessage(parsing: text) }
        #expect(parsed.map(\.domain) == ["example.com", "example.com:3388", "example.com"])
        #expect(parsed.map(\.scheme) == [nil, nil, "https"])
    }

    @Test func rendersTheKeeperLayout() throws {
        let message = try SignInMessage(
            domain: "keeper.example",
            address: Address(hex: "0xc0ffee254729296a45a3885639ac7e10f9d54979"),
            statement: "LeverageGuard: register the read-only OKX API key 5bc1a3e2-... (region www) to settle liquidation claims on contract 0x5FbDB2315678afecb367f032d93F642f64180aa3.",
            uri: "https://keeper.example/api/keys",
            chainId: 31337,
            nonce: "32891756a1b2c3d4",
            issuedAt: SignInMessage.Timestamp(Date(timeIntervalSince1970: 1_796_558_400)),
            expirationTime: SignInMessage.Timestamp(Date(timeIntervalSince1970: 1_796_559_000.9)))
        #expect(message.text == Self.keeperLayout)
        #expect(try SignInMessage(parsing: Self.keeperLayout) == message)
    }

    @Test func everyOptionalFieldInItsPlace() throws {
        let full = """
            https://keeper.example:8443 wants you to sign in with your Ethereum account:
            0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266

            Remove my key.

            URI: https://keeper.example/api/keys?x=1#top
            Version: 1
            Chain ID: 1
            Nonce: abcdefGH12
            Issued At: 2024-02-29T23:59:60.5+01:00
            Expiration Time: 2024-03-01T00:10:00z
            Not Before: 2024-02-29t22:00:00-00:30
            Request ID: req-1:@%20x
            Resources:
            """
        let message = try SignInMessage(parsing: full)
        #expect(message.text == full)
        #expect(message.scheme == "https" && message.domain == "keeper.example:8443")
        #expect(message.resources == [])
        #expect(message.requestId == "req-1:@%20x")
        // 2024-02-29T23:59:60.5+01:00 = 2024-02-29T23:00:00.5Z (leap second read as the next second).
        #expect(message.issuedAt.date == Date(timeIntervalSince1970: 1_709_247_600.5))
        #expect(message.notBefore?.date == Date(timeIntervalSince1970: 1_709_245_800))
        #expect(message.expirationTime?.date == Date(timeIntervalSince1970: 1_709_251_800))
    }

    @Test func withoutStatementTheBlankLinesStay() throws {
        // ABNF: address LF LF [ statement LF ] LF "URI: " — without a statement, two blank lines.
        let none = "a.example wants you to sign in with your Ethereum account:\n0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\n\n\n"
            + "URI: https://a.example\nVersion: 1\nChain ID: 5\nNonce: 12345678\nIssued At: 2026-01-01T00:00:00Z"
        let parsedNone = try SignInMessage(parsing: none)
        #expect(parsedNone.statement == nil)
        #expect(parsedNone.text == none)
        // An empty statement is a third blank line.
        let empty = none.replacingOccurrences(of: "\n\n\nURI", with: "\n\n\n\nURI")
        let parsedEmpty = try SignInMessage(parsing: empty)
        #expect(parsedEmpty.statement == "")
        #expect(parsedEmpty.text == empty)
    }

    @Test func timestamps() throws {
        #expect(SignInMessage.Timestamp(Date(timeIntervalSince1970: 0)).text == "1970-01-01T00:00:00Z")
        #expect(SignInMessage.Timestamp(Date(timeIntervalSince1970: -1)).text == "1969-12-31T23:59:59Z")
        #expect(SignInMessage.Timestamp(Date(timeIntervalSince1970: 951_782_400)).text == "2000-02-29T00:00:00Z")
        #expect(SignInMessage.Timestamp(Date(timeIntervalSince1970: 253_402_300_799)).text == "9999-12-31T23:59:59Z")
        #expect(try SignInMessage.Timestamp(rfc3339: "2000-02-29T00:00:00Z").date == Date(timeIntervalSince1970: 951_782_400))
        #expect(abs(try SignInMessage.Timestamp(rfc3339: "1985-04-12T23:20:50.52Z").date.timeIntervalSince1970 - 482_196_050.52) < 1e-6)
        // RFC 3339 §5.8's examples.
        #expect(try SignInMessage.Timestamp(rfc3339: "1996-12-19T16:39:57-08:00").date == Date(timeIntervalSince1970: 851_042_397))
        #expect(try SignInMessage.Timestamp(rfc3339: "1990-12-31T23:59:60Z").date == Date(timeIntervalSince1970: 662_688_000))
        #expect(try SignInMessage.Timestamp(rfc3339: "1990-12-31T15:59:60-08:00").date == Date(timeIntervalSince1970: 662_688_000))
        #expect(abs(try SignInMessage.Timestamp(rfc3339: "1937-01-01T12:00:27.87+00:20").date.timeIntervalSince1970 + 1_041_337_172.13) < 1e-6)
        for bad in ["2026-12-06", "2026-12-06 12:00:00Z", "2026-12-06T12:00:00", "2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z",
                    "2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-12-06T24:00:00Z", "2026-12-06T12:60:00Z",
                    "2026-12-06T12:00:61Z", "2026-12-06T12:00:00.Z", "2026-12-06T12:00:00+0100", "2026-12-06T12:00:00+24:00",
                    "26-12-06T12:00:00Z", "2026-12-06T12:00:00Z ", "+2026-12-06T12:00:00Z", "2026-1２-06T12:00:00Z"] {
            expectError(.invalidSignInMessage, "\(bad)") { try SignInMessage.Timestamp(rfc3339: bad) }
        }
    }

    @Test func strictParsingRefusesWhatTheGrammarDoesNot() throws {
        let good = Self.keeperLayout
        func refused(_ text: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                let message = try SignInMessage(parsing: text)
                Issue.record("accepted \(message.text)", sourceLocation: sourceLocation)
            } catch {
                #expect(error.code == .invalidSignInMessage, "\(error)", sourceLocation: sourceLocation)
                #expect(error.message.contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
                #expect(!error.message.contains("\n"), "one line: \(error.message)", sourceLocation: sourceLocation)
            }
        }
        func replacing(_ old: String, _ new: String) -> String {
            precondition(good.contains(old))
            return good.replacingOccurrences(of: old, with: new)
        }
        refused(good + "\n", "no final newline")
        refused(good.replacingOccurrences(of: "\n", with: "\r\n"), "line 1")
        refused("", "line 1")
        refused(replacing("wants you to sign in", "wants you to log in"), "line 1 must be")
        refused(replacing("keeper.example wants", "keeper.example/path wants"), "the domain")
        refused(replacing("keeper.example wants", " wants"), "line 1 must be")
        refused(replacing("keeper.example wants", "://keeper.example wants"), "the scheme")
        let address = "0xc0ffee254729296a45a3885639AC7E10F9d54979"
        refused(replacing(address, "0xc0ffee254729296a45a3885639ac7e10f9d54979"), "EIP-55 form \(address)")
        refused(replacing(address, "0xC0ffee254729296a45a3885639AC7E10F9d54979"), "EIP-55 form \(address)")
        refused(replacing(address, "0xC0FFEE254729296A45A3885639AC7E10F9D54979"), "EIP-55 form \(address)")
        refused(replacing(address, "0xc0ffee254729296a45a3885639AC7E10F9d5497"), "must be 0x and 40 hex digits")
        refused(replacing(address, "c0ffee254729296a45a3885639AC7E10F9d54979"), "must be 0x and 40 hex digits")
        refused(replacing(address, "0xc0ffee254729296a45a3885639AC7E10F9d5497g"), "must be 0x and 40 hex digits")
        refused(replacing("54979\n\nLeverageGuard", "54979\nLeverageGuard"), "must be blank")
        refused(replacing("aa3.\n\nURI", "aa3.\nURI"), "must be blank")
        refused(replacing("Version: 1", "Version: 2"), "must be 1")
        refused(replacing("Chain ID: 31337", "Chain ID: 031337"), "leading zeros")
        refused(replacing("Chain ID: 31337", "Chain ID: 18446744073709551616"), "64 bits")
        refused(replacing("Chain ID: 31337", "Chain ID: +31337"), "chain ID")
        refused(replacing("Chain ID: 31337", "Chain Id: 31337"), "must start with \"Chain ID: \"")
        refused(replacing("Nonce: 32891756a1b2c3d4", "Nonce: 1234567"), "at least 8")
        refused(replacing("Nonce: 32891756a1b2c3d4", "Nonce: 12345678-9"), "at least 8")
        refused(replacing("Issued At: 2026-12-06T12:00:00Z", "Issued At: 2026-12-06T12:00:00"), "RFC 3339")
        refused(replacing("URI: https://keeper.example/api/keys", "URI: keeper.example/api/keys"), "not an RFC 3986 URI")
        refused(replacing("URI: https://keeper.example/api/keys", "URI: https://keeper.example/api keys"), "not an RFC 3986 URI")
        refused(replacing("URI: https://keeper.example/api/keys", "URI: https://keeper.example/%zz"), "not an RFC 3986 URI")
        refused(replacing("\nNonce: 32891756a1b2c3d4", ""), "must start with \"Nonce: \"")
        refused(replacing("(region www)", "(région www)"), "statement")
        refused(replacing("(region www)", "\"region www\""), "statement")
        refused(replacing("Expiration Time: 2026-12-06T12:10:00Z", "Not Before: 2026-12-06T12:00:00Z\nExpiration Time: 2026-12-06T12:10:00Z"), "in that order")
        refused(replacing("Expiration Time", "Expires"), "is not a field")
        refused(good + "\nResources:\n- not a uri", "the resource")
        refused(good + "\nResources:\n-https://a.example", "is not a field")
    }

    @Test func initRefusesValuesOutsideTheGrammar() throws {
        let address = try Address(hex: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        let now = SignInMessage.Timestamp(Date(timeIntervalSince1970: 1_796_558_400))
        func make(domain: String = "keeper.example", statement: String? = nil, uri: String = "https://keeper.example",
                  nonce: String = "abcdefgh", requestId: String? = nil) throws(EthereumError) -> SignInMessage {
            try SignInMessage(domain: domain, address: address, statement: statement, uri: uri, chainId: 1, nonce: nonce,
                              issuedAt: now, requestId: requestId)
        }
        expectError(.invalidSignInMessage) { try make(statement: "two\nlines") }
        expectError(.invalidSignInMessage) { try make(statement: "100%") }
        expectError(.invalidSignInMessage) { try make(domain: "") }
        expectError(.invalidSignInMessage) { try make(domain: "https://keeper.example") }
        expectError(.invalidSignInMessage) { try make(domain: "keeper.example:80a") }
        expectError(.invalidSignInMessage) { try make(domain: "[::1") }
        expectError(.invalidSignInMessage) { try make(domain: "[:::1]") }
        expectError(.invalidSignInMessage) { try make(nonce: "abcdéfgh") }
        expectError(.invalidSignInMessage) { try make(requestId: "a/b") }
        expectError(.invalidSignInMessage) { try make(uri: "") }
        // Authorities and URIs the grammar allows.
        for domain in ["localhost:9464", "127.0.0.1:8080", "[::1]:8443", "[v1.fe80::a+en1]", "user:pw@keeper.example", "xn--bcher-kva.example"] {
            #expect(try make(domain: domain).domain == domain)
        }
        for uri in ["urn:isbn:0451450523", "did:pkh:eip155:1:0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "file:///etc/hosts",
                    "https://[2001:db8::7]/c=GB?objectClass?one", "mailto:John.Doe@example.com", "ipfs://bafy/"] {
            #expect(try make(uri: uri).uri == uri)
        }
    }

    /// Strictness as a property: whatever text the parser accepts is exactly the text its message
    /// renders, so no two texts read as the same message (random edits of conforming messages).
    @Test func whatParsesRendersBackByteForByte() throws {
        var random = SeededRandom(seed: 4361)
        let alphabet = Array("aZ09 :/-.\n\r%@#?[]xX\u{0}é".utf8)
        var accepted = 0
        for round in 0..<4000 {
            let base = round % 2 == 0 ? Self.keeperLayout : Self.ercExamples[round % 3]
            var bytes = Array(base.utf8)
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes.remove(at: index)
                case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: index)
                default: bytes[index] = alphabet.randomElement(using: &random)!
                }
            }
            let text = String(decoding: bytes, as: UTF8.self)
            do {
                let message = try SignInMessage(parsing: text)
                accepted += 1
                #expect(message.text == text)
            } catch {
                #expect(error.code == .invalidSignInMessage)
                #expect(!error.message.contains("\n"))
            }
        }
        #expect(accepted > 100, "edits inside the statement, nonce or URI keep a message valid")
    }

    @Test func signedChallengeRecoversTheWallet() throws {
        // The whole path the keeper takes: render, personal_sign, recover.
        let key = try PrivateKey(hex: PersonalMessageTests.devKey)
        let message = try SignInMessage(
            domain: "keeper.example", address: key.address, statement: "LeverageGuard: remove my key.",
            uri: "https://keeper.example/api/keys", chainId: 31337, nonce: "Zz09Zz09Zz09",
            issuedAt: SignInMessage.Timestamp(Date(timeIntervalSince1970: 1_796_558_400)))
        let signature = try key.signPersonalMessage(message.text)
        #expect(try PersonalMessage.signer(of: message.text, signature: signature) == key.address)
        #expect(try SignInMessage(parsing: message.text) == message)
    }
}
