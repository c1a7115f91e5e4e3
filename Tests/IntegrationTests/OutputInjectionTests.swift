import Foundation
import Testing
import TestSupport
@testable import Ethereum
@testable import Keeper
@testable import Settlement

/// A trader chooses the instId put on-chain. One holding a newline and an ANSI colour reaches the
/// operator's terminal only escaped: `probe` (from the chain), `claims list` and `claims show` (from the index).
@Suite(.serialized) struct OutputInjectionTests {
    static let injected = "BTC-USDT\n\u{1B}[31mPAID"

    @Test(.timeLimit(.minutes(3))) func anInjectedInstIdIsPrintedEscaped() async throws {
        let harness = try SettlementHarness()
        defer { harness.stop() }
        try await harness.callContract("requestClaim", [.uint(UInt256(4242)), .string(Self.injected), .uint(UInt256(1_000_000)), .uint(UInt256(10))],
                                       as: harness.devnet.deployment.users[0].privateKey)
        let user = try harness.userAddress(0).description.lowercased()

        let probe = try KeeperBinary.run(["probe", "--rpc-url", harness.devnet.rpcURL, "--contract", harness.devnet.deployment.contract])
        #expect(probe.status == 0, "\(probe.stderr)")
        let index = try KeeperBinary.run(["index", "--once", "--config", harness.configPath], environment: harness.environment)
        #expect(index.status == 0, "\(index.stderr)")
        let list = try KeeperBinary.run(["claims", "list", "--config", harness.configPath], environment: harness.environment)
        let show = try KeeperBinary.run(["claims", "show", user, "4242", "--config", harness.configPath], environment: harness.environment)
        for (name, result) in [("probe", probe), ("claims list", list), ("claims show", show)] {
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(result.stdout.contains("BTC-USDT\\n\\x1b[31mPAID"), "\(name) shows the instId escaped: \(result.stdout)")
            #expect(!result.stdout.contains("\u{1B}") && !result.stdout.contains("\nPAID"), "\(name) printed it raw: \(result.stdout.debugDescription)")
        }
        #expect(list.stdout.split(separator: "\n").count == 2, "a header and one row: \(list.stdout)")
    }
}
