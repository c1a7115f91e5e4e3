import Ethereum
import Indexer
import OKX
import Settlement
import Store

/// The keeper's metric families (DESIGN.md §9, prefix `lgk_`) and how each is refreshed.
public enum KeeperMetrics {
    public static func declare(_ m: MetricsRegistry) {
        m.declare("lgk_up", .gauge, help: "1 while the keeper's loop is running.")
        m.declare("lgk_build_info", .gauge, help: "Build information; the value is always 1.", labels: ["version"])
        m.declare("lgk_head_block", .gauge, help: "The node's latest block number.")
        m.declare("lgk_indexed_block", .gauge, help: "The newest block indexed into the events table.")
        m.declare("lgk_confirmed_block", .gauge, help: "The newest block the keeper treats as confirmed.")
        m.declare("lgk_head_lag_blocks", .gauge, help: "Blocks between the node's head and the newest indexed block.")
        m.declare("lgk_events", .gauge, help: "Contract events in the index, by event name.", labels: ["event"])
        m.declare("lgk_reorgs_total", .counter, help: "Chain reorganisations detected and undone.")
        m.declare("lgk_reorg_depth_max", .gauge, help: "The deepest reorganisation seen, in blocks.")
        m.declare("lgk_rpc_inconsistent_answers_total", .counter, help: "Node answers refused as inconsistent (logs outside the range, hash mismatch, duplicates) and retried.")
        m.declare("lgk_rpc_requests_total", .counter, help: "JSON-RPC requests to the node, by method and outcome.", labels: ["method", "outcome"])
        m.declare("lgk_rpc_request_duration_seconds", .histogram, help: "JSON-RPC request latency, by method.", labels: ["method"], buckets: latencyBuckets)
        m.declare("lgk_okx_requests_total", .counter, help: "OKX REST requests, by endpoint and OKX code (or http_NNN, timeout, transport).", labels: ["endpoint", "code"])
        m.declare("lgk_okx_request_duration_seconds", .histogram, help: "OKX REST request latency, by endpoint.", labels: ["endpoint"], buckets: latencyBuckets)
        m.declare("lgk_okx_clock_skew_ms", .gauge, help: "OKX's clock minus this host's, in ms, as last measured after a 50102 (0 until then).")
        m.declare("lgk_halted", .gauge, help: "1 when claim processing is halted after a finality violation.")
        m.declare("lgk_paused", .gauge, help: "1 when payouts are paused until `lg-keeper resume`.")
        m.declare("lgk_contract_paused", .gauge, help: "1 when the contract's owner has paused it (paused()), read each round.")
        m.declare("lgk_claims", .gauge, help: "Claims by state.", labels: ["state"])
        m.declare("lgk_tx_sent_total", .counter, help: "Transactions signed and broadcast since start.")
        m.declare("lgk_tx_bumped_total", .counter, help: "Fee bumps (replacements at the same nonce) since start.")
        m.declare("lgk_tx_reverted_total", .counter, help: "Keeper transactions that reverted on-chain since start.")
        m.declare("lgk_tx_confirmed_total", .counter, help: "Keeper transactions confirmed since start.")
        m.declare("lgk_tx_refused_total", .counter, help: "Broadcasts a node refused for a reason it named (underpriced, insufficient funds, intrinsic gas…), once per attempt and reason, since start.")
        m.declare("lgk_tx_oldest_pending_age_seconds", .gauge, help: "Age of the oldest unconfirmed keeper transaction.")
        m.declare("lgk_nonce_gap", .gauge, help: "The signer's pending nonce minus the keeper's next stored nonce.")
        m.declare("lgk_signer_balance_wei", .gauge, help: "The keeper signer's balance, in wei.")
        m.declare("lgk_pool_balance", .gauge, help: "What the pool holds of its asset (poolBalance()), in the asset's base units (pool.decimals), by pool.currency.",
                  labels: ["currency"])
        m.declare("lgk_daily_payout_limit", .gauge, help: "The keeper's own daily payout limit (policy.dailyLimit), in pool base units.")
        m.declare("lgk_daily_payout_used", .gauge, help: "Pool base units paid or being paid today (UTC, chain time) by the keeper.")
        m.declare("lgk_reconcile_runs_total", .counter, help: "Reconciliation passes.")
        m.declare("lgk_reconcile_mismatches_total", .counter, help: "Reconciliation mismatches found, by kind.", labels: ["kind"])
        m.declare("lgk_alerts_sent_total", .counter, help: "Alerts delivered to the webhook, by kind.", labels: ["kind"])
        m.declare("lgk_alerts_failed_total", .counter, help: "Alert deliveries that failed (and will be retried), by kind.", labels: ["kind"])
        m.declare("lgk_alerts_pending", .gauge, help: "Alerts in the outbox not yet delivered.")
        m.declare("lgk_trader_api_requests_total", .counter, help: "Trader API requests on the public listener, by route and outcome (ok or the refusal's code).",
                  labels: ["route", "outcome"])
        m.declare("lgk_metrics_table_errors_total", .counter, help: "Scrapes whose database-counted families could not be read (served stale).")
        m.set("lgk_build_info", [BuildInfo.version], to: 1)
        m.set("lgk_up", to: 1)
    }

    /// Seconds: 5 ms to 10 s, for loopback nodes and a remote exchange alike.
    static let latencyBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Counts and times every JSON-RPC exchange the client makes.
    public static func rpcObserver(_ m: MetricsRegistry) -> @Sendable (RPCCallRecord) -> Void {
        { record in
            m.increment("lgk_rpc_requests_total", [record.method, record.outcome])
            m.observe("lgk_rpc_request_duration_seconds", [record.method], seconds(record.duration))
        }
    }

    /// Counts and times every HTTP attempt an OKX client makes.
    public static func okxObserver(_ m: MetricsRegistry) -> @Sendable (OKXRequestRecord) -> Void {
        { record in
            m.increment("lgk_okx_requests_total", [record.endpoint, record.outcome])
            m.observe("lgk_okx_request_duration_seconds", [record.endpoint], seconds(record.duration))
        }
    }

    /// Brings the gauges from the follower's report and the transaction manager up to date (every round).
    /// Head, confirmed, indexed and lag as the follower sees them, from the node's first answer and
    /// after every committed range (a long backfill is visible before its first round ends).
    static func refresh(_ m: MetricsRegistry, progress: IndexProgress) {
        m.set("lgk_head_block", to: Double(progress.head))
        m.set("lgk_confirmed_block", to: Double(progress.confirmed))
        if let indexed = progress.indexed { m.set("lgk_indexed_block", to: Double(indexed)) }
        m.set("lgk_head_lag_blocks", to: Double(progress.lag))
    }

    static func refresh(_ m: MetricsRegistry, report: LogFollower.RoundReport, follower: FollowerStatistics, transactions: TxStatistics.Snapshot) {
        m.set("lgk_head_block", to: Double(report.head))
        m.set("lgk_confirmed_block", to: Double(report.confirmed))
        if let indexed = report.indexedThrough {
            m.set("lgk_indexed_block", to: Double(indexed))
            m.set("lgk_head_lag_blocks", to: Double(report.head > indexed ? report.head - indexed : 0))
        }
        m.set("lgk_halted", to: report.halted ? 1 : 0)
        m.setTotal("lgk_rpc_inconsistent_answers_total", to: Double(follower.inconsistentAnswers))
        m.setTotal("lgk_tx_sent_total", to: Double(transactions.sent))
        m.setTotal("lgk_tx_bumped_total", to: Double(transactions.bumped))
        m.setTotal("lgk_tx_reverted_total", to: Double(transactions.reverted))
        m.setTotal("lgk_tx_confirmed_total", to: Double(transactions.confirmed))
        m.setTotal("lgk_tx_refused_total", to: Double(transactions.refused))
        m.set("lgk_tx_oldest_pending_age_seconds", to: transactions.oldestPendingAgeSeconds)
        m.set("lgk_nonce_gap", to: Double(transactions.nonceGap))
    }

    /// The metrics counted from the database, read at scrape time over the scraper's own connection.
    public static func refreshTables(_ m: MetricsRegistry, database: Database) throws(KeeperError) {
        try IndexStore.wrap {
            var events = [[String]: Double]()
            for row in try database.fetchAll("SELECT name, count(*) FROM events GROUP BY name") { events[[try row.get(0)]] = Double(try row.get(1, as: Int64.self)) }
            m.replaceAll("lgk_events", with: events)
            var claims = [[String]: Double]()
            for state in ClaimState.allCases { claims[[state.rawValue]] = 0 }
            for row in try database.fetchAll("SELECT state, count(*) FROM claims GROUP BY state") { claims[[try row.get(0)]] = Double(try row.get(1, as: Int64.self)) }
            m.replaceAll("lgk_claims", with: claims)
            let reorgs = try database.fetchOne("SELECT count(*), coalesce(max(depth), 0) FROM reorgs")
            m.setTotal("lgk_reorgs_total", to: Double(try reorgs?.get(0, as: Int64.self) ?? 0))
            m.set("lgk_reorg_depth_max", to: Double(try reorgs?.get(1, as: Int64.self) ?? 0))
            m.set("lgk_paused", to: try KeeperControl.state(database).paused ? 1 : 0)
            m.set("lgk_alerts_pending", to: Double(try AlertOutbox.pending(database)))
            let day = try database.fetchOne("SELECT max(payout_day) FROM claims", as: Int64?.self) ?? nil
            let used = try day.map { try ClaimLedger(database: database).committedPayouts(day: $0) } ?? .zero
            m.set("lgk_daily_payout_used", to: Double(used.description) ?? 0)
        }
    }
}
