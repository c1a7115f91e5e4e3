import Foundation
import OKX
import Testing
import TestSupport
import Wire
@testable import Keeper

/// `lg-keeper verify` takes `_` in `--inst-id` and sends a key to its region's host (`okx.baseURLs`,
/// `LGK_OKX_REGION` for a key from the environment), against okxsim's per-region listeners.
@Suite struct VerifyCommandRegionTests {
    static func config(_ scratch: Scratch, okx: String) throws -> String {
        let path = "\(scratch.directory)/keeper.json"
        try """
        {"chain": {"rpcUrls": ["http://127.0.0.1:1"], "chainId": 1337, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
         "okx": \(okx), "store": {"path": "\(scratch.database)"}, "evidence": {"dir": "\(scratch.evidence)"}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func regions(_ sim: ServerProcess) async throws -> JSON {
        try JSON(parsing: try await HTTPClient().send(HTTPRequest(method: .get, url: sim.baseURL + "/sim/regions")).body)
    }

    static func orderRead(_ stdout: String) throws -> JSON? {
        try JSON(parsing: Array(stdout.utf8))["raw"]?["trade/order"]?["data"]?[0]
    }

    @Test func anInstrumentIDWithAnUnderscoreReachesOKX() async throws {
        let sim = try OKXSim.shared()
        let scratch = try Scratch()
        defer { scratch.remove() }
        let victor = try #require(try OKXScenario.all().first { $0.account == "victor" })
        let result = try VerifyCommandTests.run(
            ["verify", "--ord-id", victor.ordId, "--inst-id", "BTC-USD_UM-SWAP", "--config", try Self.config(scratch, okx: #"{"baseURL": "\#(sim.baseURL)"}"#)],
            environment: VerifyCommandTests.environment(victor.credentials))
        #expect(result.status != 64, "\(result.stderr)")
        #expect(try Self.orderRead(result.stdout)?["instId"]?.stringValue == "BTC-USD_UM-SWAP")
        let refused = try VerifyCommandTests.run(["verify", "--ord-id", "1", "--inst-id", "BTC/USD"], environment: VerifyCommandTests.environment(victor.credentials))
        #expect(refused.status == 64)
    }

    @Test func aUSKeyIsSentToTheUSHost() async throws {
        let sim = try OKXSim.shared()
        let scratch = try Scratch()
        defer { scratch.remove() }
        let uma = try #require(try OKXScenario.all().first { $0.account == "uma" })
        let us = try #require(try await Self.regions(sim)["us"]?.stringValue)
        let config = try Self.config(scratch, okx: #"{"baseURL": "\#(sim.baseURL)", "baseURLs": {"us": "\#(us)"}}"#)
        var environment = VerifyCommandTests.environment(uma.credentials)
        environment["LGK_OKX_REGION"] = "us"
        let onUS = try VerifyCommandTests.run(["verify", "--ord-id", uma.ordId, "--inst-id", uma.instId, "--config", config], environment: environment)
        #expect(try Self.orderRead(onUS.stdout)?["ordId"]?.stringValue == uma.ordId, "\(onUS.stderr)")
        environment["LGK_OKX_REGION"] = "www"
        let onWWW = try VerifyCommandTests.run(["verify", "--ord-id", uma.ordId, "--inst-id", uma.instId, "--config", config], environment: environment)
        #expect(onWWW.stdout.contains("50119") || onWWW.stdout.contains("API key doesn't exist"), "\(onWWW.stdout)")
        environment["LGK_OKX_REGION"] = "mars"
        #expect(try VerifyCommandTests.run(["verify", "--ord-id", uma.ordId, "--inst-id", uma.instId, "--config", config], environment: environment).status == 64)
    }
}
