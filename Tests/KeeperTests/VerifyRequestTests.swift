import OKX
import Testing
import Wire
@testable import Indexer
@testable import Keeper

@Suite struct VerifyRequestTests {
    /// Seed 002 §三.1's example, verbatim apart from the placeholders.
    static let seedExample = """
    {
      "exchange": "okx",
      "ordId": "2940071038556348417",
      "instId": "BTC-USDT-SWAP",
      "live": true,
      "fresh": true,
      "noCache": true,
      "keyMode": "inline",
      "apiKey": "test-api-key-0001",
      "secretKey": "TEST-SECRET-KEY-abcdef",
      "passphrase": "Test-Passphrase-1!",
      "uid": "201933253463154688",
      "clientMeta": { "source": "us-backend", "requestId": "uuid-1234" }
    }
    """

    func parse(_ text: String) throws(KeeperError) -> VerifyRequest { try VerifyRequest.parse(Array(text.utf8)) }

    func message(_ text: String) -> String? {
        do { _ = try parse(text); return nil } catch {
            #expect(error.code == .badData)
            return error.message
        }
    }

    @Test func parsesTheSeedExample() throws {
        let request = try parse(Self.seedExample)
        #expect(request.exchange == .okx)
        #expect(request.ordId == "2940071038556348417")
        #expect(request.instId == "BTC-USDT-SWAP")
        #expect(request.live == true)
        #expect(request.fresh == true)
        #expect(request.noCache == true)
        #expect(request.key == .inline(OKXCredentials(apiKey: "test-api-key-0001", secretKey: "TEST-SECRET-KEY-abcdef",
                                                      passphrase: "Test-Passphrase-1!", uid: "201933253463154688")))
        #expect(request.clientMeta == VerifyRequest.ClientMeta(source: "us-backend", requestId: "uuid-1234"))
        #expect(request.requestId == "uuid-1234")
    }

    @Test func parsesAliasModeAndOptionalFields() throws {
        let request = try parse(#"{"ordId":"1","instId":"ETH-USDT-SWAP","keyMode":"alias","keyAlias":"okx-main-001","wallet":"0xAbCdEf0123456789aBcDeF0123456789ABCDEF01","uid":""}"#)
        #expect(request.exchange == .okx)
        #expect(request.key == .alias(keyAlias: "okx-main-001", wallet: "0xabcdef0123456789abcdef0123456789abcdef01"))
        #expect(request.live == nil)
        #expect(request.fresh == nil)
        #expect(request.clientMeta == nil)
        #expect(request.secrets.isEmpty)
        let noWallet = try parse(#"{"ordId":"1","instId":"ETH-USDT-SWAP","keyMode":"alias","keyAlias":"a","live":false,"clientMeta":null}"#)
        #expect(noWallet.key == .alias(keyAlias: "a", wallet: nil))
        #expect(noWallet.live == false)
    }

    @Test func missingOrMalformedFieldsAreNamed() {
        let inline = #""keyMode":"inline","apiKey":"k","secretKey":"s","passphrase":"p""#
        #expect(message("[]") == "the body must be a JSON object")
        #expect(message("{") == "the body is not valid JSON (at byte 1)")
        #expect(message("{\(inline),\"instId\":\"BTC-USDT\"}") == "ordId is required")
        #expect(message("{\(inline),\"ordId\":\"1\"}") == "instId is required")
        #expect(message(#"{"ordId":"1","instId":"BTC-USDT"}"#) == "keyMode is required")
        #expect(message("{\(inline),\"ordId\":1,\"instId\":\"BTC-USDT\"}") == "ordId must be a string")
        #expect(message("{\(inline),\"ordId\":\"12a\",\"instId\":\"BTC-USDT\"}")?.hasPrefix("ordId must be") == true)
        #expect(message("{\(inline),\"ordId\":\"1\",\"instId\":\"btc usdt\"}")?.hasPrefix("instId must be") == true)
        #expect(message("{\(inline),\"ordId\":\"1\",\"instId\":\"BTC-USDT\",\"live\":\"yes\"}") == "live must be true or false")
        #expect(message("{\(inline),\"ordId\":\"1\",\"instId\":\"BTC-USDT\",\"exchange\":\"binance\"}") == "exchange: only \"okx\" is supported")
        #expect(message(#"{"ordId":"1","instId":"BTC-USDT","keyMode":"vault"}"#) == "keyMode must be \"inline\" or \"alias\"")
        #expect(message(#"{"ordId":"1","instId":"BTC-USDT","keyMode":"inline","apiKey":"k","secretKey":"s"}"#) == "keyMode \"inline\" needs apiKey, secretKey and passphrase")
        #expect(message(#"{"ordId":"1","instId":"BTC-USDT","keyMode":"alias"}"#) == "keyMode \"alias\" needs keyAlias")
        #expect(message(#"{"ordId":"1","instId":"BTC-USDT","keyMode":"alias","keyAlias":"a b"}"#)?.hasPrefix("keyAlias must be") == true)
        #expect(message(#"{"ordId":"1","instId":"BTC-USDT","keyMode":"alias","keyAlias":"a","wallet":"0x12"}"#) == "wallet must be 0x and 40 hex digits")
        #expect(message("{\(inline),\"ordId\":\"1\",\"instId\":\"BTC-USDT\",\"clientMeta\":{\"requestId\":\"x\",\"extra\":1}}") == "unknown field clientMeta.extra")
        #expect(message("{\(inline),\"ordId\":\"1\",\"instId\":\"BTC-USDT\",\"secret\":\"x\"}") == "unknown field secret")
        #expect(message("{\(inline),\"ordId\":\"1\",\"instId\":\"BTC-USDT\",\"a b\":\"x\"}") == "an unknown field in the body")
    }

    @Test func keyModesDoNotMix() {
        #expect(message(#"{"ordId":"1","instId":"BTC-USDT","keyMode":"alias","keyAlias":"a","apiKey":"k"}"#)?.contains("send no apiKey") == true)
        #expect(message(#"{"ordId":"1","instId":"BTC-USDT","keyMode":"inline","apiKey":"k","secretKey":"s","passphrase":"p","keyAlias":"a"}"#)
                == "keyAlias and wallet belong to keyMode \"alias\"")
        #expect(message(#"{"ordId":"1","instId":"BTC-USDT","keyMode":"inline","apiKey":"k","secretKey":"s\n","passphrase":"p"}"#)?.contains("control characters") == true)
    }

    @Test func noErrorOrTextFormShowsACredential() throws {
        let request = try parse(Self.seedExample)
        for text in ["\(request)", String(reflecting: request), "\(Mirror(reflecting: request).children.map { "\($0.value)" })"] {
            for secret in ["TEST-SECRET-KEY-abcdef", "Test-Passphrase-1!", "test-api-key-0001"] {
                #expect(!text.contains(secret), "\(text)")
            }
        }
        // Type errors on credential fields name the field only.
        let wrongType = message(#"{"ordId":"1","instId":"BTC-USDT","keyMode":"inline","apiKey":"k","secretKey":["TEST-SECRET-KEY-abcdef"],"passphrase":"p"}"#)
        #expect(wrongType == "secretKey must be a string")
        let tooLong = String(repeating: "S", count: 300)
        #expect(message(#"{"ordId":"1","instId":"BTC-USDT","keyMode":"inline","apiKey":"k","secretKey":"\#(tooLong)","passphrase":"p"}"#)?.contains(tooLong) == false)
    }
}
