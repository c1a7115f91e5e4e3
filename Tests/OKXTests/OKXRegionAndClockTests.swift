import Foundation
import Synchronization
import Testing
import Wire
@testable import OKX

/// Keys of each OKX region on their own host, and 50102 corrected by measuring OKX's clock
/// (https://www.okx.com/docs-v5/en/#overview-rest-authentication), against devnet/okxsim.py.
@Suite final class OKXRegionAndClockTests {
    let sim: OKXSimulator
    let alice: OKXCredentials
    let order = "2940071038556348417"

    init() throws {
        sim = try OKXSimulator()
        alice = try OKXSimulator.credentials("alice")
    }

    deinit { sim.stop() }

    @Test func aUSKeyWorksOnlyOnTheUSHost() async throws {
        let uma = try OKXSimulator.credentials("uma")
        #expect(uma.region == .us)
        let urls = try await sim.regionURLs()
        #expect(urls[.www] == sim.baseURL && urls[.us] != urls[.www])
        let found = try await sim.client(uma, baseURL: urls[uma.region]).order(id: "3210000000000000001", instrumentID: "ETH-USDT-SWAP")
        #expect(found.items.count == 1)
        let wrongHost = try await expectFailure {
            try await self.sim.client(uma, baseURL: urls[.www]).order(id: "3210000000000000001", instrumentID: "ETH-USDT-SWAP")
        }
        #expect(wrongHost.okxCode == "50119" && wrongHost.isKeyProblem && wrongHost.hint.contains("--region"))
    }

    @Test func regionsAndTheirDefaultHosts() {
        #expect(OKXBaseURLs()[.www] == "https://www.okx.com" && OKXBaseURLs()[.us] == "https://us.okx.com")
        #expect(OKXBaseURLs()[.eea] == "https://eea.okx.com")
        #expect(OKXBaseURLs([.us: "http://127.0.0.1:1"])[.us] == "http://127.0.0.1:1")
        #expect(OKXRegion(parsing: "US") == .us && OKXRegion(parsing: "cn") == nil)
        let credentials = OKXCredentials(apiKey: "key-1234", secretKey: "SECRET-5678", passphrase: "phrase-9012")
        #expect(credentials.region == .www && credentials.inRegion(.eea).region == .eea && credentials.inRegion(.eea) != credentials)
        let text = String(describing: credentials.inRegion(.us))
        #expect(text.contains("region us") && !text.contains("key-1234") && !text.contains("SECRET-5678") && !text.contains("phrase-9012"))
    }

    @Test func anExpiredKeyIsAKeyProblemAndItsReplacementWorks() async throws {
        let yara = try OKXSimulator.credentials("yara"), replacement = try OKXSimulator.credentials("yara-new")
        let expired = try await expectFailure { try await self.sim.client(yara).order(id: "3250000000000000001", instrumentID: "BTC-USDT-SWAP") }
        #expect(expired.okxCode == "50119" && expired.code == .authError && expired.isKeyProblem && !expired.isRetryable)
        #expect(try await sim.client(replacement).order(id: "3250000000000000001", instrumentID: "BTC-USDT-SWAP").items.count == 1)
    }

    @Test func keyProblemsAreTheKeysCodesOnly() {
        func error(_ code: String) -> OKXError { OKXError.answer(status: 401, okxCode: code, msg: "", endpoint: "/", request: [:]) }
        for code in ["50100", "50101", "50105", "50110", "50111", "50113", "50119", "50120", "50121"] {
            #expect(error(code).isKeyProblem, "\(code)")
        }
        for code in ["50102", "50011", "51603", "50001", "50112"] { #expect(!error(code).isKeyProblem, "\(code)") }
        #expect(error("50102").isClockProblem && error("50102").isRetryable)
        #expect(!OKXError.transport(HTTPError(.timeout, "slow"), endpoint: "/").isKeyProblem)
    }

    @Test func aSkewedSimulatorClockIsMeasuredCorrectedAndReported() async throws {
        // Long enough to outlast a starved test scheduler (each suite starts its own simulators): this simulator is the test's own.
        try await sim.skewClock(45_000, forMs: 600_000)
        let skews = Mutex<[Int64]>([])
        let client = sim.client(alice, observer: { record in
            if let skew = record.clockSkewMilliseconds { skews.withLock { $0.append(skew) } }
        })
        let started = ContinuousClock.now
        let response = try await client.order(id: order, instrumentID: "BTC-USDT-SWAP")
        #expect(response.items.count == 1 && response.attempts == 2)
        let reported = skews.withLock { $0 }
        // Measured at a round trip's midpoint: exact up to half the time the exchange took (seconds, on a starved machine).
        let (seconds, attoseconds) = (ContinuousClock.now - started).components
        let elapsedMs = Int64(seconds) * 1000 + attoseconds / 1_000_000_000_000_000
        #expect(reported.count == 1 && abs((reported.first ?? 0) - 45_000) < 5_000 + elapsedMs / 2, "skew reported: \(reported)")
        let hits = try await sim.hits(alice, .order)
        #expect(hits["count"] == 2 && hits["ok"] == 1)
        // The offset is kept: the next request is signed right at once.
        #expect(try await client.order(id: order, instrumentID: "BTC-USDT-SWAP").attempts == 1)
    }

    @Test func aHostClockBehindIsCorrected() async throws {
        let offsets = OKXClockOffset()
        let client = sim.client(alice, clock: { Date().addingTimeInterval(-90) }, clockOffset: offsets)
        let started = ContinuousClock.now
        #expect(try await client.order(id: order, instrumentID: "BTC-USDT-SWAP").items.count == 1)
        // The skew is measured at the round trip's midpoint: exact up to half the time the exchange took
        // (seconds, when a loaded machine starves the test's threads).
        let (seconds, attoseconds) = (ContinuousClock.now - started).components
        let elapsedMs = Int64(seconds) * 1000 + attoseconds / 1_000_000_000_000_000
        #expect(abs(offsets.milliseconds(for: sim.baseURL) - 90_000) < 2_000 + elapsedMs / 2)
        let other = sim.client(try OKXSimulator.credentials("bob"), clock: { Date().addingTimeInterval(-90) }, clockOffset: offsets)
        let bob = try await other.order(id: "2951883164412407808", instrumentID: "ETH-USDT-SWAP")
        #expect(bob.attempts == 1, "the offset is shared by every client of the host")
    }

    @Test func whenTheSkewEndsTheClientFollows() async throws {
        // Until the test ends it: a window (forMs) can run out on a starved machine before the first
        // request is answered, and then nothing was skewed (seen at -3376 ms under a load of 12).
        try await sim.skewClock(-40_000)
        let offsets = OKXClockOffset()
        let client = sim.client(alice, clockOffset: offsets)
        #expect(try await client.order(id: order, instrumentID: "BTC-USDT-SWAP").items.count == 1)
        #expect(offsets.milliseconds(for: sim.baseURL) < -30_000)
        try await sim.skewClock(0)
        let again = try await client.order(id: order, instrumentID: "BTC-USDT-SWAP")
        #expect(again.items.count == 1 && again.attempts == 2, "re-measured after the skew ended")
        #expect(abs(offsets.milliseconds(for: sim.baseURL)) < 5_000)
    }
}
