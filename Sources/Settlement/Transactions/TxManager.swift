import Ethereum
import Indexer
import Logging
import Store

/// Sends the keeper's transactions exactly once (DESIGN.md §6). Each job — (chain id, claim-request
/// tx hash, log index, action) — gets one nonce. Its signed transaction is committed to `txs`
/// together with the caller's own state change before anything is broadcast; after a crash the
/// stored bytes are rebroadcast or re-signed at the same nonce with higher fees, never at a new one.
///
/// Use it from one task at a time: it shares the caller's `Database` connection so that `submit`
/// can commit the caller's change in the same SQLite transaction. `statistics` may be read anywhere.
public final class TxManager {
    public struct Options: Sendable {
        public var chainID: UInt64
        /// A receipt is final when its block has this many blocks on top (`chain.confirmations`).
        public var confirmations: UInt64
        /// The fee cap (`fees.maxFeePerGasGwei`, in wei): no attempt pays more per gas.
        public var maxFeePerGas: UInt256
        /// Fee increase of a bump, in percent; below 12.5 it is raised to 12.5.
        public var bumpPercent: Int
        /// Blocks an attempt may wait unmined before it is bumped.
        public var bumpAfterBlocks: UInt64
        /// Added to `eth_estimateGas`, in percent.
        public var gasMarginPercent: UInt64 = 20
        /// Broadcast right after the commit. False leaves it to `resync()` / `poll()`, as after a crash
        /// between the commit and the broadcast (tests use it to stage that crash).
        public var broadcastOnSubmit = true

        public init(chainID: UInt64, confirmations: UInt64, maxFeePerGas: UInt256, bumpPercent: Int, bumpAfterBlocks: UInt64) {
            self.chainID = chainID
            self.confirmations = confirmations
            self.maxFeePerGas = maxFeePerGas
            self.bumpPercent = bumpPercent
            self.bumpAfterBlocks = bumpAfterBlocks
        }
    }

    /// What `resync()` found and did.
    public struct ResyncReport: Sendable, Hashable {
        /// Stored transactions that had never been broadcast and now were.
        public let broadcast: Int
        /// The node's pending nonce for the signer.
        public let chainPendingNonce: UInt64
        /// One above the highest stored nonce (0 when none).
        public let storedNextNonce: UInt64
        /// The nonce the next new job would take: max(stored + 1, pending).
        public var nextNonce: UInt64 { max(chainPendingNonce, storedNextNonce) }
    }

    public let database: Database
    public let rpc: JSONRPCClient
    public let signer: Signer
    public var options: Options
    public let statistics: TxStatistics
    let feeOracle: any FeeOracle
    let store: TxStore
    let log: Logger

    /// Applies the schema's migrations to `database` (which the caller's `alsoWrite` closures share).
    public init(database: Database, rpc: JSONRPCClient, signer: Signer, options: Options, feeOracle: (any FeeOracle)? = nil,
                statistics: TxStatistics = TxStatistics(), log: Logger = .discarding) throws(KeeperError) {
        self.database = database
        self.rpc = rpc
        self.signer = signer
        self.options = options
        self.feeOracle = feeOracle ?? NodeFeeOracle(rpc: rpc)
        self.statistics = statistics
        self.store = TxStore(database: database)
        self.log = log
        try TxStore.wrap { try KeeperSchema.migrator.migrate(database) }
    }

    // MARK: Reading

    /// The job's stored transaction, if it has one.
    public func transaction(for key: TxJobKey) throws(KeeperError) -> StoredTransaction? { try store.transaction(for: key) }

    /// Every signed attempt at the job's nonce, newest first.
    public func attempts(for key: TxJobKey) throws(KeeperError) -> [TxAttempt] {
        guard let transaction = try store.transaction(for: key) else { return [] }
        return try store.attempts(txID: transaction.id)
    }

    /// A transaction of the job (of any generation) that is not final yet: stored, sent or mined. While
    /// one exists no other may be signed for the job.
    public func inFlight(for key: TxJobKey) throws(KeeperError) -> StoredTransaction? { try store.inFlight(for: key) }

    /// The newest transaction that did or does the job: its own, or one covering it (a batch, `verifyAndPay`).
    public func latest(for key: TxJobKey) throws(KeeperError) -> StoredTransaction? { try store.latest(for: key) }


    /// The job's final outcome, or nil while it has no transaction or its transaction is in flight.
    public func outcome(for key: TxJobKey) throws(KeeperError) -> TxOutcome? {
        try store.transaction(for: key).flatMap { TxOutcome.final($0) }
    }

    // MARK: Submitting

    /// Sends `data` to `to` for the job `key`, exactly once.
    ///
    /// If the job already has a transaction it is returned and nothing else happens (`alsoWrite` is
    /// not called). Otherwise the call is simulated (`eth_call` from the signer; a revert throws
    /// `.reverted` with the decoded reason and stores nothing), gas is estimated (+`gasMarginPercent`),
    /// fees are quoted and capped, and — in one SQLite transaction — the nonce is taken as
    /// max(highest stored + 1, the node's pending count), the transaction is signed and stored, and
    /// `alsoWrite` runs. Only then is it broadcast. A broadcast failure does not throw: the
    /// transaction is stored, and `poll()` resolves or rebroadcasts it.
    public func submit(_ key: TxJobKey, to: Address, data: [UInt8],
                       alsoWrite: (Database) throws -> Void = { _ in }) async throws(KeeperError) -> StoredTransaction {
        try await send(key, to: to, data: data, afterFailure: false, alsoWrite: alsoWrite)
    }

    /// Like `submit`, but when the job's transaction is final a new one (the next generation, a new
    /// nonce) is made: it `reverted`, was `dropped`, or was `confirmed` in a block a reorg undid (its
    /// receipt is gone; while the node still has the receipt this throws `.unavailable`). Call it only
    /// after reading the contract's state shows the job still has to be done (DESIGN.md §6); a job in
    /// flight is returned as is, without `alsoWrite`.
    public func resubmit(_ key: TxJobKey, to: Address, data: [UInt8],
                         alsoWrite: (Database) throws -> Void = { _ in }) async throws(KeeperError) -> StoredTransaction {
        try await send(key, to: to, data: data, afterFailure: true, alsoWrite: alsoWrite)
    }

    /// Sends one transaction that does the jobs `items` (a batch of claims, or `verifyAndPay`'s verify
    /// and execute jobs of one claim) under its own key `key`, exactly once. Nothing is stored and nil
    /// is returned when `key` already has a transaction or any item has a transaction in flight (its
    /// own or another covering one): each job is in at most one transaction in flight. Otherwise as
    /// `submit`: simulated, estimated, signed, stored with the items and `alsoWrite` in one SQLite
    /// transaction, then broadcast. An estimate above `gasCeiling` stores nothing and throws
    /// `.unavailable`, so that the caller splits the batch.
    public func submit(_ key: TxJobKey, covering items: [TxJobKey], to: Address, data: [UInt8], gasCeiling: UInt64? = nil,
                       alsoWrite: (Database) throws -> Void = { _ in }) async throws(KeeperError) -> StoredTransaction? {
        if try store.transaction(for: key) != nil { return nil }
        for item in items where try store.inFlight(for: item) != nil { return nil }
        let stored = try await send(key, to: to, data: data, afterFailure: false, items: items, gasCeiling: gasCeiling, alsoWrite: alsoWrite)
        return stored.inserted ? stored.transaction : nil
    }

    private func send(_ key: TxJobKey, to: Address, data: [UInt8], afterFailure: Bool,
                      alsoWrite: (Database) throws -> Void) async throws(KeeperError) -> StoredTransaction {
        try await send(key, to: to, data: data, afterFailure: afterFailure, items: [], gasCeiling: nil, alsoWrite: alsoWrite).transaction
    }

    private func send(_ key: TxJobKey, to: Address, data: [UInt8], afterFailure: Bool, items: [TxJobKey], gasCeiling: UInt64?,
                      alsoWrite: (Database) throws -> Void) async throws(KeeperError) -> (transaction: StoredTransaction, inserted: Bool) {
        guard key.chainID == options.chainID else {
            throw KeeperError(.software, "job \(key) is for chain \(key.chainID) but this keeper sends on chain \(options.chainID)")
        }
        if let existing = try store.transaction(for: key) {
            if !Self.mayFollow(existing, afterFailure: afterFailure) { return (existing, false) }
            if existing.state == .confirmed,
               let receipt = try await node("eth_getTransactionReceipt", { try await self.rpc.transactionReceipt(existing.hash) }) {
                throw KeeperError(.unavailable, "job \(key): its transaction \(existing.hash) is still in block \(receipt.blockNumber) although the contract read says the job is not done: the node lags; trying again later")
            }
        }
        let call = CallRequest(from: signer.address, to: to, data: data)
        // The node's answers are independent: asked at once, so a send waits one round trip, not four.
        let (rpc, feeOracle, cap, sender) = (rpc, feeOracle, options.maxFeePerGas, signer.address)
        async let quoted = Self.result { () async throws(KeeperError) in try await feeOracle.quote(cap: cap) }
        async let pending = Self.result { () async throws(KeeperError) in
            try await Self.node("eth_getTransactionCount") { try await rpc.transactionCount(of: sender, block: .pending) }
        }
        async let latest = Self.result { () async throws(KeeperError) in try await Self.node("eth_blockNumber") { try await rpc.blockNumber() } }
        let estimate = try await simulate(call, job: key)
        let (fees, pendingNonce, head) = (try await quoted.get(), try await pending.get(), try await latest.get())
        if let gasCeiling, estimate > gasCeiling {
            throw KeeperError(.unavailable, "job \(key) needs \(estimate) gas, above the batch ceiling \(gasCeiling): split it")
        }
        let gasLimit = try withMargin(estimate)

        CrashPoint.beforeCommit.reach(log)
        var inserted = false
        let id: Int64? = try TxStore.wrap {
            try database.transaction { db -> Int64? in
                let existing = try store.transaction(for: key)
                if let existing, !Self.mayFollow(existing, afterFailure: afterFailure) { return existing.id }
                // Checked again inside the write: another path may have covered an item meanwhile.
                for item in items where try store.inFlight(for: item) != nil { return nil }
                let stored = try store.highestNonce(chainID: options.chainID, sender: signer.address)
                let nonce = max(stored.map { $0 + 1 } ?? 0, pendingNonce)
                let signed = try signer.sign(EIP1559Transaction(
                    chainId: options.chainID, nonce: nonce, maxPriorityFeePerGas: fees.maxPriorityFeePerGas, maxFeePerGas: fees.maxFeePerGas,
                    gasLimit: gasLimit, to: to, data: data))
                let id = try store.insert(key: key, generation: existing.map { $0.generation + 1 } ?? 0, signed: signed, to: to, data: data,
                                          gasLimit: gasLimit, maxFee: fees.maxFeePerGas, priorityFee: fees.maxPriorityFeePerGas, sentBlock: head)
                try store.insertItems(txID: id, items)
                try alsoWrite(db)
                inserted = true
                return id
            }
        }
        guard let id else {
            throw KeeperError(.unavailable, "job \(key): one of its \(items.count) items got a transaction in flight meanwhile")
        }
        var transaction = try store.transaction(id: id)
        if inserted {
            log.info("tx stored", ["claims": claims(of: transaction), "job": "\(key)", "items": .int(items.count), "nonce": .int(transaction.nonce), "hash": "\(transaction.hash)",
                                    "gas": .int(gasLimit), "max_fee": "\(fees.maxFeePerGas)", "tip": "\(fees.maxPriorityFeePerGas)", "capped": .bool(fees.capped)])
            CrashPoint.afterCommit.reach(log)
            if options.broadcastOnSubmit {
                try await broadcast(transaction)
                transaction = try store.transaction(id: id)
            }
        }
        return (transaction, inserted)
    }

    /// `body`'s outcome as a value, so that it can be awaited later (`async let`) with its error type kept.
    static func result<T: Sendable, Failure: Error>(_ body: @Sendable () async throws(Failure) -> T) async -> Result<T, Failure> {
        do throws(Failure) { return .success(try await body()) } catch { return .failure(error) }
    }

    /// Whether a new generation may follow `existing`: only by `resubmit`, once it is final.
    static func mayFollow(_ existing: StoredTransaction, afterFailure: Bool) -> Bool {
        afterFailure && existing.state.isFinal
    }

    /// `eth_call` and `eth_estimateGas` (at once), from the signer. A revert in either is `.reverted`,
    /// the call's reason first.
    func simulate(_ call: CallRequest, job: TxJobKey) async throws(KeeperError) -> UInt64 {
        let rpc = rpc
        async let estimated = Self.result { () async throws(RPCError) in try await rpc.estimateGas(call) }
        do throws(RPCError) {
            _ = try await rpc.call(call)
            return try await estimated.get()
        } catch {
            if let reason = Self.revertReason(of: error) {
                throw KeeperError(.reverted, "job \(job) would revert: \(Self.printable(reason.description))", revertReason: reason)
            }
            throw KeeperError(.unavailable, "cannot simulate job \(job): \(Self.printable(error.description))")
        }
    }

    /// The decoded reason when `error` is a revert (code 3, or -32000 "execution reverted").
    static func revertReason(of error: RPCError) -> RevertReason? {
        guard case .rpc(let code, let message, let data) = error, code == 3 || message.lowercased().contains("revert") else { return nil }
        return RevertReason(data: data ?? [])
    }

    // MARK: Broadcasting

    /// How one broadcast ended.
    enum BroadcastResult: Equatable {
        case accepted, alreadyKnown, nonceTooLow
        /// The node named what it wants before it takes the transaction (`TxManager+Refusals`).
        case refused(BroadcastRefusal)
        case failed

        /// The node has the transaction (or has had it).
        var reachedNode: Bool { self == .accepted || self == .alreadyKnown || self == .nonceTooLow }
    }

    /// Sends the stored raw bytes of the current attempt once; never signs. "already known" means the
    /// node has it; "nonce too low" is resolved through the attempts' receipts; a refusal that names
    /// what the node wants is recorded (and alerted when untakeable) for `poll()` to remedy; any other
    /// failure is recorded in `last_error` for `poll()` to retry. Every client's wording counts
    /// (`BroadcastRefusal.classify`).
    @discardableResult
    func broadcast(_ transaction: StoredTransaction) async throws(KeeperError) -> BroadcastResult {
        CrashPoint.beforeBroadcast.reach(log)
        let hash: Hash
        do { hash = try await rpc.sendRawTransaction(transaction.raw) } catch {
            return try await resolve(error, broadcasting: transaction)
        }
        CrashPoint.afterBroadcast.reach(log)
        if hash != transaction.hash { log.warn("node reported another hash", ["claims": claims(of: transaction), "job": "\(transaction.key)", "ours": "\(transaction.hash)", "node": "\(hash)"]) }
        try store.markSent(txID: transaction.id)
        statistics.update { $0.sent += 1 }
        log.info("tx broadcast", ["claims": claims(of: transaction), "job": "\(transaction.key)", "nonce": .int(transaction.nonce), "hash": "\(transaction.hash)"])
        return .accepted
    }

    private func resolve(_ error: RPCError, broadcasting transaction: StoredTransaction) async throws(KeeperError) -> BroadcastResult {
        switch error.broadcastRefusal {
        case .alreadyKnown:
            try store.markSent(txID: transaction.id)
            log.info("tx already known to the node", ["claims": claims(of: transaction), "job": "\(transaction.key)", "hash": "\(transaction.hash)"])
            return .alreadyKnown
        case .nonceTooLow:
            log.info("nonce too low: resolving through receipts", ["claims": claims(of: transaction), "job": "\(transaction.key)", "nonce": .int(transaction.nonce), "hash": "\(transaction.hash)"])
            if let (attempt, receipt) = try await minedAttempt(of: transaction) {
                try storeReceipt(of: transaction, attempt: attempt, receipt)
            } else {
                try store.recordError(txID: transaction.id, "nonce too low and no attempt has a receipt yet")
            }
            return .nonceTooLow
        case .replacementUnderpriced, nil:
            try store.recordError(txID: transaction.id, Self.printable(error.description))
            log.warn("broadcast failed; will retry", ["claims": claims(of: transaction), "job": "\(transaction.key)", "hash": "\(transaction.hash)", "error": "\(Self.printable(error.description))"])
            return .failed
        case let refusal?:
            try recordRefusal(refusal, error, of: transaction)
            return .refused(refusal)
        }
    }

    /// The attempt of `transaction` that is in a block, with its receipt.
    func minedAttempt(of transaction: StoredTransaction) async throws(KeeperError) -> (TxAttempt, TransactionReceipt)? {
        for attempt in try store.attempts(txID: transaction.id) {
            if let receipt = try await node("eth_getTransactionReceipt", { try await self.rpc.transactionReceipt(attempt.hash) }) {
                return (attempt, receipt)
            }
        }
        return nil
    }

    /// `attempt` of `transaction` has `receipt`: the attempt becomes the job's transaction, `mined`.
    func storeReceipt(of transaction: StoredTransaction, attempt: TxAttempt, _ receipt: TransactionReceipt) throws(KeeperError) {
        CrashPoint.beforeReceipt.reach(log)
        try store.markMined(txID: transaction.id, attempt: attempt, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash)
        CrashPoint.afterReceipt.reach(log)
    }

    // MARK: Start-up

    /// At start: broadcasts every stored transaction that was never sent (a crash between commit and
    /// broadcast), reads the node's pending nonce and updates the nonce-gap gauge.
    public func resync() async throws(KeeperError) -> ResyncReport {
        var sent = 0
        for transaction in try store.unfinished(chainID: options.chainID, sender: signer.address)
        where transaction.state == .pending && transaction.sentAt == nil {
            if try await broadcast(transaction).reachedNode { sent += 1 }
        }
        let (pending, storedNext) = try await nonces()
        log.info("tx resync", ["rebroadcast": .int(sent), "chain_pending_nonce": .int(pending), "stored_next_nonce": .int(storedNext)])
        return ResyncReport(broadcast: sent, chainPendingNonce: pending, storedNextNonce: storedNext)
    }

    /// The node's pending nonce and the stored next nonce; updates the nonce-gap gauge.
    func nonces() async throws(KeeperError) -> (pending: UInt64, storedNext: UInt64) {
        let pending = try await node("eth_getTransactionCount") { try await self.rpc.transactionCount(of: self.signer.address, block: .pending) }
        let storedNext = try store.highestNonce(chainID: options.chainID, sender: signer.address).map { $0 + 1 } ?? 0
        statistics.update { $0.nonceGap = storedNext > pending ? storedNext - pending : 0 }
        return (pending, storedNext)
    }

    /// Runs one node call; a failure is `.unavailable` naming the method.
    func node<T>(_ method: String, _ body: () async throws -> T) async throws(KeeperError) -> T {
        try await Self.node(method, body)
    }

    static func node<T>(_ method: String, _ body: () async throws -> T) async throws(KeeperError) -> T {
        do { return try await body() } catch {
            throw KeeperError(.unavailable, "\(method) failed: \(printable("\(error)"))")
        }
    }
}
