import Foundation
import Testing
import TestSupport
import Wire

/// `lg-keeper run` with an `http.listen` it cannot use stops before its loop, with the server's
/// error (`HTTPServerError`) as the keeper's: one last line and the exit code of its kind.
@Suite(.serialized) struct HTTPListenStartupTests {
    @Test(.timeLimit(.minutes(3))) func anAddressTakenIsUnavailableAndANameIsAConfigError() throws {
        let harness = try SettlementHarness()
        defer { harness.stop() }
        let holder = try SilentListener()
        defer { holder.stop() }

        let taken = try harness.writeConfig("taken.json", ["http": ["listen": .string("127.0.0.1:\(holder.port)")]])
        let busy = try KeeperBinary.run(["run", "--config", taken], environment: harness.environment)
        let busyLast = busy.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(busy.status == 69, "exit \(busy.status): \(busy.stderr.suffix(1_500))")
        #expect(busyLast.contains("cannot listen on 127.0.0.1:\(holder.port): Address already in use"), "\(busyLast)")

        let named = try harness.writeConfig("named.json", ["http": ["listen": "example.com:9464"]])
        let refused = try KeeperBinary.run(["run", "--config", named], environment: harness.environment)
        let refusedLast = refused.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(refused.status == 78, "exit \(refused.status): \(refused.stderr.suffix(1_500))")
        #expect(refusedLast.contains(#"http.listen: "example.com" is not an IPv4 address (write IPv6 as [::1]:PORT)"#), "\(refusedLast)")
    }
}
