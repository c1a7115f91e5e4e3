import Foundation
import Testing
import TestSupport
@testable import Keeper

@Suite struct MetricsRegistryTests {
    func sample() -> MetricsRegistry {
        let registry = MetricsRegistry()
        registry.declare("lgk_events_indexed_total", .counter, help: "Contract events indexed, by event name.", labels: ["event"])
        registry.declare("lgk_head_block", .gauge, help: "The node's latest block.")
        registry.declare("lgk_rpc_request_duration_seconds", .histogram, help: "JSON-RPC latency.\nBy method.", labels: ["method", "outcome"],
                         buckets: [0.01, 0.1, 1])
        registry.increment("lgk_events_indexed_total", ["PayoutExecuted"], by: 2)
        registry.increment("lgk_events_indexed_total", ["ClaimRequested"])
        registry.increment("lgk_events_indexed_total", ["we\"ird\\na\nme"])
        registry.set("lgk_head_block", to: 12_345)
        registry.observe("lgk_rpc_request_duration_seconds", ["eth_getLogs", "ok"], 0.05)
        registry.observe("lgk_rpc_request_duration_seconds", ["eth_getLogs", "ok"], 2)
        return registry
    }

    @Test func rendersFamiliesSortedWithHelpTypeAndCumulativeBuckets() {
        let text = sample().render()
        #expect(text == """
            # HELP lgk_events_indexed_total Contract events indexed, by event name.
            # TYPE lgk_events_indexed_total counter
            lgk_events_indexed_total{event="ClaimRequested"} 1
            lgk_events_indexed_total{event="PayoutExecuted"} 2
            lgk_events_indexed_total{event="we\\"ird\\\\na\\nme"} 1
            # HELP lgk_head_block The node's latest block.
            # TYPE lgk_head_block gauge
            lgk_head_block 12345
            # HELP lgk_rpc_request_duration_seconds JSON-RPC latency.\\nBy method.
            # TYPE lgk_rpc_request_duration_seconds histogram
            lgk_rpc_request_duration_seconds_bucket{method="eth_getLogs",outcome="ok",le="0.01"} 0
            lgk_rpc_request_duration_seconds_bucket{method="eth_getLogs",outcome="ok",le="0.1"} 1
            lgk_rpc_request_duration_seconds_bucket{method="eth_getLogs",outcome="ok",le="1"} 1
            lgk_rpc_request_duration_seconds_bucket{method="eth_getLogs",outcome="ok",le="+Inf"} 2
            lgk_rpc_request_duration_seconds_sum{method="eth_getLogs",outcome="ok"} 2.05
            lgk_rpc_request_duration_seconds_count{method="eth_getLogs",outcome="ok"} 2

            """)
    }

    /// The Prometheus project's own Python parser reads it back, escaped label included.
    @Test func prometheusClientParsesIt() throws {
        let script = """
            import sys, json
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    out[s.name + json.dumps(s.labels, sort_keys=True)] = float(s.value)
            print(json.dumps(out, sort_keys=True))
            """
        let parsed = try ReferencePython.run(script, stdin: sample().render())
        #expect(parsed.contains(#""lgk_events_indexed_total{\"event\": \"we\\\"ird\\\\na\\nme\"}": 1.0"#))
        #expect(parsed.contains(#""lgk_rpc_request_duration_seconds_bucket{\"le\": \"+Inf\", \"method\": \"eth_getLogs\", \"outcome\": \"ok\"}": 2.0"#))
        #expect(parsed.contains(#""lgk_head_block{}": 12345.0"#))
    }

    @Test func replaceAllDropsSeriesThatNoLongerExist() {
        let registry = MetricsRegistry()
        registry.declare("lgk_claims", .gauge, help: "Claims by state.", labels: ["state"])
        registry.replaceAll("lgk_claims", with: [["paid"]: 2, ["requested"]: 1])
        registry.replaceAll("lgk_claims", with: [["paid"]: 3])
        #expect(registry.value("lgk_claims", ["paid"]) == 3)
        #expect(registry.value("lgk_claims", ["requested"]) == nil)
    }
}
