import Ethereum
import Foundation
import HTTPServer
import Indexer
import Logging
import OKX
import Settlement
import Store
import Synchronization
import Vault
import Verification
import Wire

/// Everything `lg-keeper run` does, in one loop over one database connection: follow the logs,
/// settle transactions, advance claims, reconcile now and then. One writer, one step at a time: a
/// stop request is honoured between steps, and every step commits whole. Alerts are logged and
/// delivered beside the loop (`AlertDelivery`), so a webhook that hangs never holds up a round.
public final class KeeperService {
    public let config: Config
    public let session: IndexerSession
    public let follower: LogFollower
    public let transactions: TxManager
    public let pipeline: ClaimPipeline
    public let reconciler: Reconciler
    public let alerts: AlertDelivery
    public let metrics: MetricsRegistry
    /// Reader connections (WAL) for what must not wait on the loop's writes: `/metrics`, `/readyz`, workers.
    public let readers: DatabaseReaderPool
    /// What `/readyz` reads: the loop's last round.
    public let health = KeeperHealth()
    /// The OKX clock skew measured after a 50102, until the next round raises `okx_clock_skew`.
    public let clockSkew = ClockSkewMonitor()
    /// What `POST /api/verify` runs: the same policy, vault and exchange as the claims.
    public let apiVerifier: APIVerifier
    let reader: ContractReader
    /// Opens the OKX key vault with the configured master key (the start-up check and every claim).
    let openVault: @Sendable () throws(VaultError) -> KeyVault
    /// Epoch milliseconds, as the pipeline and the trader API's challenges read them.
    let clock: @Sendable () -> Int64
    /// What every OKX client of the service reports its requests to (metrics, the clock-skew monitor).
    let okxObserver: @Sendable (OKXRequestRecord) -> Void
    /// When OKX last said each held key can only read: asked by the verifier, told by the trader API.
    let readOnlyChecks: ReadOnlyKeyChecks
    let log: Logger
    private var lastReconcile: Date = .distantPast
    private var lastBalanceCheck: Date = .distantPast
    /// The pool's asset once checked against `config.pool`.
    private var poolAsset: PoolAsset?
    /// The contract's `paused()` as last read; nil before the first round.
    private var contractPaused: Bool?
    /// The node's state as the loop sees it: since when rounds fail on it, and whether `rpc_down` was raised.
    private var outage: (since: Date, alerted: Bool)?
    /// How often the signer's and the pool's balances are read (about a scrape interval), besides
    /// after every round in which a keeper transaction moved.
    static let balanceCheckInterval: TimeInterval = 15

    /// What a stop request looks like to the loop.
    public final class StopSignal: Sendable {
        private let requested = Atomic<Bool>(false)
        public init() {}
        public func request() { requested.store(true, ordering: .sequentiallyConsistent) }
        public var isRequested: Bool { requested.load(ordering: .sequentiallyConsistent) }
    }

    public init(config: Config, environment: [String: String] = ProcessInfo.processInfo.environment,
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
                log: Logger) throws(KeeperError) {
        if let crash = try CrashPoint.trigger() {
            log.warn("fault injection armed: this process kills itself at a crash point (tests and chaos runs only)", ["crash_at": "\(crash)"])
        }
        self.config = config
        self.log = log
        self.clock = clock
        readOnlyChecks = ReadOnlyKeyChecks(clock: clock)
        readers = DatabaseReaderPool(path: config.store.path)
        metrics = MetricsRegistry()
        KeeperMetrics.declare(metrics)
        metrics.set("lgk_daily_payout_limit", to: Double(config.policy.dailyLimit.description) ?? 0)
        session = try IndexerSession(config: config, rpcObserver: KeeperMetrics.rpcObserver(metrics))
        follower = session.follower(log: log)
        let metrics = metrics
        follower.onProgress = { progress in KeeperMetrics.refresh(metrics, progress: progress) }
        let database = session.store.database
        let signer = try Signer.load(config.signer, environment: environment)
        transactions = try TxManager(database: database, rpc: session.rpc, signer: signer, options: .init(chain: config.chain, fees: config.fees), log: log)
        let path = config.store.path
        let archiveDatabase: Database
        do { archiveDatabase = try Database(path: path) } catch { throw KeeperError(.store, "cannot open \(path) for evidence: \(error.message)") }
        let coverage = try CoveragePolicy(pool: config.pool, policy: config.policy)
        let archive = EvidenceArchive(files: EvidenceFiles(root: config.evidence.dir), database: archiveDatabase)
        let verifier = LiquidationVerifier(policy: coverage, archive: archive)
        let vaultConfig = config.vault
        let openVault: @Sendable () throws(VaultError) -> KeyVault = { () throws(VaultError) -> KeyVault in
            let key: VaultMasterKey
            if let file = vaultConfig.masterKeyFile {
                key = try VaultMasterKey(file: file)
            } else {
                key = try VaultMasterKey.from(environment: environment, prefix: vaultConfig.masterKeyEnv ?? VaultMasterKey.environmentVariable)
            }
            do { return KeyVault(database: try Database(path: path), masterKey: key) } catch {
                throw VaultError(.database, "cannot open \(path): \(error)")
            }
        }
        self.openVault = openVault
        let reader = ContractReader(rpc: session.rpc, contract: config.chain.contract)
        self.reader = reader
        let okxObserver = clockSkew.observer(passingTo: KeeperMetrics.okxObserver(metrics))
        self.okxObserver = okxObserver
        apiVerifier = APIVerifier(policy: coverage, evidenceDirectory: config.evidence.dir, databasePath: path, vault: openVault,
                                  okx: config.okx, observer: okxObserver, log: log)
        var settings = ClaimPipeline.Settings(chainID: config.chain.chainId, contract: config.chain.contract, policy: PayoutPolicy(config.policy, pool: config.pool))
        settings.recheckMilliseconds = Int64(max(config.chain.pollIntervalMs, 250))
        settings.decisionWindowMilliseconds = Int64(config.policy.decisionWindowHours) * 3_600_000
        settings.maxConcurrentVerifications = config.pipeline.maxConcurrentVerifications
        settings.maxBatchItems = config.pipeline.maxBatchItems
        settings.poolDecimals = config.pool.decimals
        settings.poolCurrency = config.pool.currency
        pipeline = ClaimPipeline(settings: settings, ledger: ClaimLedger(database: database), reader: reader, transactions: transactions,
                                 verifier: ClaimVerifier(vault: openVault, verifier: verifier, okx: config.okx, observer: okxObserver,
                                                         readOnlyChecks: readOnlyChecks), archive: archive,
                                 clock: clock, workerExecutor: KeeperExecutors.blockingIO, log: log)
        reconciler = Reconciler(database: database, reader: reader, chainID: config.chain.chainId, confirmations: UInt64(config.chain.confirmations),
                                pauseOnMismatch: config.reconcile.pauseOnMismatch, signer: signer.address, metrics: metrics)
        var webhook: AlertDelivery.Webhook?
        if let url = config.alerts.webhookURL {
            guard let name = config.alerts.secretEnv, let secret = environment[name], !secret.isEmpty else {
                throw KeeperError(.config, "alerts.webhookURL is set: set alerts.secretEnv to the name of an environment variable holding the webhook secret")
            }
            webhook = AlertDelivery.Webhook(url: url, secret: Array(secret.utf8), timeoutMilliseconds: config.alerts.timeoutMs)
        }
        alerts = AlertDelivery(databasePath: path, webhook: webhook, metrics: metrics, log: log)
    }

    /// The start-up checks of `run` that need the signer and the vault (StartupCheck): the signer is
    /// the contract's `keeper()` and can pay `signer.minTransactions` transactions; the vault opens.
    public func checkSignerAndVault() async throws(KeeperError) {
        try await StartupCheck.signer(transactions.signer.address, config: config, rpc: session.rpc)
        try StartupCheck.vault(openVault)
    }

    /// Prepares the loop: checks the chain and the pool's asset, resumes the cursor, settles what a
    /// crash left unsent.
    public func start() async throws(KeeperError) {
        try await follower.start()
        try await checkPoolAsset()
        let resync = try await transactions.resync()
        log.info("keeper started", ["signer": "\(transactions.signer.address.checksummed)", "next_nonce": .int(resync.nextNonce), "rebroadcast": .int(resync.broadcast)])
    }

    /// Reads the pool's asset from the contract and refuses (`.config`) a `pool` section that
    /// describes another; once per process. `run` calls it before it serves HTTP, `start` in any case.
    public func checkPoolAsset() async throws(KeeperError) {
        guard poolAsset == nil else { return }
        let asset = try await PoolAsset.check(reader, against: config.pool)
        poolAsset = asset
        log.info("pool asset checked", ["currency": "\(config.pool.currency)", "decimals": .int(asset.decimals), "token": "\(asset.token?.checksummed ?? "native")"])
    }

    /// One round of every duty, in dependency order. Returns what the follower reported.
    @discardableResult
    public func round() async throws(KeeperError) -> LogFollower.RoundReport {
        let report = try await follower.round()
        try await readContractPause()
        let outcomes = try await transactions.poll()
        for outcome in outcomes {
            log.info("tx outcome", ["claims": transactions.claims(of: outcome), "job": "\(outcome.key)", "kind": "\(outcome.kind)", "hash": "\(outcome.hash)"])
            if outcome.kind == .feeCapReached {
                try IndexStore.wrap {
                    try session.store.database.transaction { db in
                        try AlertOutbox.raise(db, .feeCapReached, "transaction \(outcome.hash) for \(outcome.key) is stuck at the fee cap \(config.fees.maxFeePerGas) wei",
                                              dedupeKey: "fee-cap:\(outcome.hash)")
                    }
                }
            }
        }
        if !report.halted {
            try await pipeline.pass()
            // After the pass, which took the answers that came: a claim answered early is not asked again.
            try pipeline.preverify()
        }
        try raiseClockSkew()
        if Date().timeIntervalSince(lastReconcile) >= Double(config.reconcile.intervalSeconds) {
            lastReconcile = Date()
            let mismatches = try await reconciler.run()
            for mismatch in mismatches { log.warn("reconcile mismatch", ["kind": "\(mismatch.kind.rawValue)", "subject": "\(mismatch.subject)", "detail": "\(mismatch.detail)"]) }
        }
        if !outcomes.isEmpty || Date().timeIntervalSince(lastBalanceCheck) >= Self.balanceCheckInterval {
            lastBalanceCheck = Date()
            try await checkBalances()
        }
        KeeperMetrics.refresh(metrics, report: report, follower: follower.statistics, transactions: transactions.statistics.snapshot)
        return report
    }

    /// Reads `paused()` into the metric, `/readyz` and the pipeline (payouts wait while it is on); a
    /// change is logged, and the switch turning on raises `contract_paused`.
    private func readContractPause() async throws(KeeperError) {
        let paused = try await reader.paused()
        metrics.set("lgk_contract_paused", to: paused ? 1 : 0)
        health.contractPaused(paused)
        pipeline.contractPaused = paused
        let before = contractPaused
        contractPaused = paused
        guard paused != before else { return }
        if paused {
            log.warn("contract paused by its owner: payouts wait until it is unpaused", ["contract": "\(config.chain.contract.checksummed)"])
            try IndexStore.wrap {
                try session.store.database.transaction { db in
                    try AlertOutbox.raise(db, .contractPaused, "the contract \(config.chain.contract.checksummed) is paused by its owner: verified claims wait, unpaid, until it is unpaused",
                                          dedupeKey: "contract-paused")
                }
            }
        } else if before == true {
            log.info("contract unpaused: payouts resume", ["contract": "\(config.chain.contract.checksummed)"])
        }
    }

    /// `okx_clock_skew` when an OKX client measured this host's clock off after a 50102.
    private func raiseClockSkew() throws(KeeperError) {
        guard let skew = clockSkew.take() else { return }
        metrics.set("lgk_okx_clock_skew_ms", to: Double(skew))
        log.warn("okx clock skew", ["skew_ms": .int(skew)])
        try IndexStore.wrap {
            try session.store.database.transaction { db in
                try AlertOutbox.raise(db, .okxClockSkew, "OKX's clock is \(skew) ms ahead of this host's (50102 Timestamp request expired): requests are corrected, fix the host's clock (NTP)",
                                      detail: ["skewMs": JSON(Int(skew))], dedupeKey: "okx-clock-skew")
            }
        }
    }

    /// The signer's and the pool's balances into the metrics; `signer_balance_low` when the
    /// signer could soon not pay for its transactions.
    private func checkBalances() async throws(KeeperError) {
        let signer = transactions.signer.address
        let balance: UInt256
        do { balance = try await session.rpc.balance(of: signer) } catch {
            throw KeeperError(.unavailable, "eth_getBalance of the signer: \(error)")
        }
        metrics.set("lgk_signer_balance_wei", to: Double(balance.description) ?? 0)
        metrics.set("lgk_pool_balance", [config.pool.currency], to: Double(try await reader.poolBalance().description) ?? 0)
        guard balance < config.alerts.minSignerBalance else { return }
        try IndexStore.wrap {
            try session.store.database.transaction { db in
                try AlertOutbox.raise(db, .signerBalanceLow, "the signer \(signer.checksummed) holds \(balance) wei, under alerts.minSignerBalance (\(config.alerts.minSignerBalance) wei)",
                                      dedupeKey: "signer-balance-low")
            }
        }
    }

    /// Runs rounds until `stop` is requested; a failing round is logged and retried after the poll
    /// interval. The node going silent and coming back are logged once each, and `rpc_down` is raised
    /// when no round has completed for `alerts.rpcDownAfterSeconds`.
    public func run(until stop: StopSignal) async throws(KeeperError) {
        // Alerts go beside the loop, on a thread of the blocking pool (SQLite on its own connection).
        let alerts = self.alerts
        let delivered = StopSignal()
        let delivery = Task(executorPreference: KeeperExecutors.blockingIO) {
            await alerts.run(until: stop)
            delivered.request()
        }
        defer { delivery.cancel() }
        do throws(KeeperError) { try await loop(until: stop) } catch {
            stop.request()
            await Self.awhile(delivered)
            throw error
        }
        // An attempt in flight gets a moment to record its answer; past it, an alert it had not marked
        // delivered is sent again at the next start (at least once, never lost).
        await Self.awhile(delivered)
    }

    /// Waits up to two seconds for `done`.
    private static func awhile(_ done: StopSignal) async {
        for _ in 0..<40 where !done.isRequested { try? await Task.sleep(for: .milliseconds(50)) }  // cancellation only ends the wait early
    }

    private func loop(until stop: StopSignal) async throws(KeeperError) {
        try await start()
        var lastCompleted = Date()
        while !stop.isRequested {
            do throws(KeeperError) {
                health.roundSucceeded(try await roundWithinDeadline())
                lastCompleted = Date()
                if let outage {
                    log.info("node answering again", ["silent_s": .int(Int(lastCompleted.timeIntervalSince(outage.since).rounded()))])
                    self.outage = nil
                }
            } catch where error.code == .store || error.code == .software {
                throw error
            } catch {
                log.error("round failed", ["error": "\(error.message)"])
                _ = health.roundFailed(error.message)
                try await noteFailedRound(error, lastCompleted: lastCompleted)
            }
            // A verification that answered starts the next round at once: its verdict goes out now.
            var waited = 0
            while waited < config.chain.pollIntervalMs, !stop.isRequested, !pipeline.hasAnswers {
                try? await Task.sleep(for: .milliseconds(50))  // cancellation only ends the wait early
                waited += 50
            }
        }
        log.info("keeper stopped")
    }

    /// One round with one deadline (`RPCDeadline`, `chain.requestTimeoutMs` from its start): once it
    /// has passed, failed reads are not retried, so a hung node fails the round after one request timeout.
    func roundWithinDeadline() async throws(KeeperError) -> LogFollower.RoundReport {
        let deadline = ContinuousClock.now + .milliseconds(config.chain.requestTimeoutMs)
        let result: Result<LogFollower.RoundReport, KeeperError> = await RPCDeadline.$current.withValue(deadline) {
            do throws(KeeperError) { return .success(try await round()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// After a failed round: the first failure on the node is logged as the node going silent, and
    /// `rpc_down` is raised once per outage when no round has completed for `alerts.rpcDownAfterSeconds`.
    private func noteFailedRound(_ error: KeeperError, lastCompleted: Date) async throws(KeeperError) {
        if outage == nil {
            outage = (lastCompleted, false)
            log.error("node stopped answering", ["error": "\(error.message)"])
        }
        let silent = Date().timeIntervalSince(lastCompleted)
        guard let outage, !outage.alerted, silent >= Double(config.alerts.rpcDownAfterSeconds) else { return }
        self.outage = (outage.since, true)
        try await raiseRPCDown(silentSeconds: Int(silent), error)
    }

    private func raiseRPCDown(silentSeconds: Int, _ error: KeeperError) async throws(KeeperError) {
        try IndexStore.wrap {
            try session.store.database.transaction { db in
                try AlertOutbox.raise(db, .rpcDown, "no round has reached the node for \(silentSeconds) s (alerts.rpcDownAfterSeconds \(config.alerts.rpcDownAfterSeconds)): \(error.message)",
                                      dedupeKey: "rpc-down")
            }
        }
    }
}

extension KeeperService {
    /// The HTTP server's routes: `/metrics`, `/healthz`, `/readyz`, `/console/` when `console.enabled`, and `POST /api/verify` when
    /// `http.apiSecretEnv` names the secret that authenticates it (without one it is not served).
    public func router(environment: [String: String] = ProcessInfo.processInfo.environment) throws(KeeperError) -> HTTPRouter {
        var router = HTTPRouter()
        let staleAfter = max(10, 5 * Double(config.chain.pollIntervalMs) / 1000)
        let readiness = OperationsEndpoints.Settings(maxLagBlocks: UInt64(config.http.readyMaxLagBlocks), staleAfterSeconds: staleAfter, log: log)
        OperationsEndpoints.register(in: &router, metrics: metrics, health: health, database: OperationsDatabase(readers: readers), settings: readiness)
        if config.console.enabled { try registerConsole(in: &router, readiness: readiness) }
        if config.http.apiSecretEnv != nil {
            let verifier = apiVerifier
            // Secrets never cross plain HTTP beyond the machine: inline keys only on a loopback http.listen.
            let loopback: Bool
            do { loopback = try HTTPListenAddress(parsing: config.http.listen).isLoopback } catch { throw KeeperError(error) }
            VerifyEndpoint.register(in: &router, authenticator: APIAuthenticator(secret: try APISecret.from(config.http, environment: environment)),
                                    inlineCredentials: loopback) { request in
                await verifier.answer(request)
            }
        }
        return router
    }
}
