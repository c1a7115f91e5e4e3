import Ethereum
import Indexer
import Logging

extension TxManager {
    /// One pass over the unfinished transactions, oldest nonce first:
    /// - a receipt for any attempt → `mined` (that attempt becomes the job's transaction);
    /// - mined with `confirmations` blocks on top → `confirmed`, or `reverted` with the reason
    ///   replayed by `eth_call` at its block;
    /// - a mined transaction whose block a reorg removed → `pending`, and its raw bytes rebroadcast;
    /// - never sent, or unknown to the node (dropped from its pool) → the stored raw bytes rebroadcast;
    /// - waiting `bumpAfterBlocks` blocks below the market → re-signed at the same nonce with at least
    ///   12.5 % (`bumpPercent`) more on both fee fields and a fresh gas estimate, stored, then broadcast;
    ///   at the cap, no bump and a `.feeCapReached` outcome (once);
    /// - refused by the node for a reason it names → remedied (`TxManager+Refusals`);
    /// - its nonce used, at confirmed depth, by none of its attempts → `dropped`.
    ///
    /// Returns each final outcome once (later calls do not repeat it; `outcome(for:)` always answers).
    public func poll() async throws(KeeperError) -> [TxOutcome] {
        let head = try await node("eth_blockNumber") { try await self.rpc.blockNumber() }
        try await reopenUndone(head: head)
        var outcomes = [TxOutcome]()
        for transaction in try store.unfinished(chainID: options.chainID, sender: signer.address) {
            if let outcome = try await advance(transaction, head: head) { outcomes.append(outcome) }
        }
        for transaction in try store.unreported(chainID: options.chainID, sender: signer.address) {
            if let outcome = TxOutcome.final(transaction) { outcomes.append(outcome) }
            try store.markReported(txID: transaction.id)
        }
        _ = try await nonces()
        let age = try store.summary(chainID: options.chainID, sender: signer.address).oldestPendingAge
        statistics.update { $0.oldestPendingAgeSeconds = age ?? 0 }
        return outcomes
    }

    /// A deep reorg (a finality violation) can undo transactions already recorded `confirmed` or
    /// `reverted`: their nonces are free again on-chain and their receipts gone. They become pending,
    /// so that the stored bytes are rebroadcast (filling those nonces) and their outcome is reported
    /// again; a job whose transaction then fails is issued anew by the pipeline (`resubmit`).
    private func reopenUndone(head: UInt64) async throws(KeeperError) {
        let used = try await node("eth_getTransactionCount") { try await self.rpc.transactionCount(of: self.signer.address, block: .latest) }
        for transaction in try store.settled(chainID: options.chainID, sender: signer.address, fromNonce: used) {
            guard try await node("eth_getTransactionReceipt", { try await self.rpc.transactionReceipt(transaction.hash) }) == nil else { continue }
            try store.reopen(txID: transaction.id, sentBlock: head)
            statistics.update { $0.reorgedOut += 1 }
            log.warn("a reorg undid a settled tx; rebroadcasting", ["claims": claims(of: transaction), "job": "\(transaction.key)", "nonce": .int(transaction.nonce), "hash": "\(transaction.hash)", "was": "\(transaction.state.rawValue)"])
        }
    }

    /// Moves one transaction forward; returns a non-final outcome to report (`.feeCapReached`).
    private func advance(_ transaction: StoredTransaction, head: UInt64) async throws(KeeperError) -> TxOutcome? {
        var transaction = transaction
        if transaction.state == .pending {
            guard let (attempt, receipt) = try await minedAttempt(of: transaction) else {
                return try await nudge(transaction, head: head)
            }
            try storeReceipt(of: transaction, attempt: attempt, receipt)
            transaction = try store.transaction(id: transaction.id)
            log.info("tx mined", ["claims": claims(of: transaction), "job": "\(transaction.key)", "hash": "\(transaction.hash)", "block": .int(receipt.blockNumber), "attempt": .int(attempt.attempt)])
        }
        try await settle(transaction, head: head)
        return nil
    }

    /// A mined transaction: re-checks its receipt; confirms, reverts or un-mines it.
    private func settle(_ transaction: StoredTransaction, head: UInt64) async throws(KeeperError) {
        guard let receipt = try await node("eth_getTransactionReceipt", { try await self.rpc.transactionReceipt(transaction.hash) }) else {
            try store.markUnmined(txID: transaction.id, sentBlock: head)
            statistics.update { $0.reorgedOut += 1 }
            log.warn("tx block reorged out; rebroadcasting", ["claims": claims(of: transaction), "job": "\(transaction.key)", "hash": "\(transaction.hash)", "block": transaction.blockNumber.map { .int($0) } ?? "?"])
            try await broadcast(try store.transaction(id: transaction.id))
            return
        }
        if receipt.blockHash != transaction.blockHash {
            guard let attempt = try store.attempts(txID: transaction.id).first(where: { $0.hash == transaction.hash }) else {
                throw KeeperError(.badData, "txs: job \(transaction.key) has no attempt with its hash \(transaction.hash)")
            }
            try storeReceipt(of: transaction, attempt: attempt, receipt)
        }
        guard receipt.blockNumber + options.confirmations <= head else { return }
        // The receipt must belong to the canonical block at its height before it is final.
        let header = try await node("eth_getBlockByNumber") { try await self.rpc.block(.number(receipt.blockNumber)) }
        guard header?.hash == receipt.blockHash else { return }
        if receipt.succeeded {
            try store.finish(txID: transaction.id, state: .confirmed, revertReason: nil)
            statistics.update { $0.confirmed += 1 }
            log.info("tx confirmed", ["claims": claims(of: transaction), "job": "\(transaction.key)", "hash": "\(transaction.hash)", "block": .int(receipt.blockNumber)])
        } else {
            let reason = await replayedRevertReason(transaction, block: receipt.blockNumber)
            try store.finish(txID: transaction.id, state: .reverted, revertReason: reason)
            statistics.update { $0.reverted += 1 }
            log.warn("tx reverted", ["claims": claims(of: transaction), "job": "\(transaction.key)", "hash": "\(transaction.hash)", "block": .int(receipt.blockNumber), "reason": "\(reason ?? "unknown")"])
        }
        CrashPoint.afterFinal.reach(log)
    }

    /// A pending transaction without a receipt: dropped if its nonce was used by another transaction;
    /// otherwise broadcast if never sent, rebroadcast if the node forgot it, and repriced once it has
    /// waited `bumpAfterBlocks` blocks.
    private func nudge(_ transaction: StoredTransaction, head: UInt64) async throws(KeeperError) -> TxOutcome? {
        let confirmedHead = head >= options.confirmations ? head - options.confirmations : 0
        let usedAtConfirmed = try await node("eth_getTransactionCount") {
            try await self.rpc.transactionCount(of: self.signer.address, block: .number(confirmedHead))
        }
        if usedAtConfirmed > transaction.nonce {
            // Receipts are checked again after the nonce: one of ours may have been mined in between.
            if try await minedAttempt(of: transaction) != nil { return nil }
            try store.finish(txID: transaction.id, state: .dropped, revertReason: nil)
            statistics.update { $0.dropped += 1 }
            log.warn("tx nonce used by another transaction", ["claims": claims(of: transaction), "job": "\(transaction.key)", "nonce": .int(transaction.nonce)])
            return nil
        }
        let usedAtHead = try await node("eth_getTransactionCount") { try await self.rpc.transactionCount(of: self.signer.address, block: .latest) }
        if usedAtHead > transaction.nonce { return nil }  // used in a block not yet confirmed: wait
        let waited = head >= transaction.sentBlock + options.bumpAfterBlocks
        if transaction.sentAt == nil {
            // Never accepted: send it. A refusal that names its remedy gets it now; a node that keeps
            // refusing for another reason gets a repriced attempt once it has waited.
            switch try await broadcast(transaction) {
            case .refused(let refusal): return try await remedy(refusal, of: transaction, head: head)
            case .failed where waited: return try await reprice(transaction, head: head)
            default: return nil
            }
        }
        if try await node("eth_getTransactionByHash", { try await self.rpc.transaction(transaction.hash) }) == nil {
            statistics.update { $0.rebroadcast += 1 }
            log.info("tx unknown to the node; rebroadcasting", ["claims": claims(of: transaction), "job": "\(transaction.key)", "hash": "\(transaction.hash)"])
            if case .refused(let refusal) = try await broadcast(transaction) { return try await remedy(refusal, of: transaction, head: head) }
            return nil
        }
        return waited ? try await reprice(transaction, head: head) : nil
    }

    /// Bumps a transaction that waited below the market: re-signed at the same nonce with a fresh gas
    /// estimate, stored, then broadcast. At the cap, reports `.feeCapReached` once instead.
    func reprice(_ transaction: StoredTransaction, head: UInt64) async throws(KeeperError) -> TxOutcome? {
        let market = try await feeOracle.quote(cap: options.maxFeePerGas)
        switch FeeBump.decide(maxFee: transaction.maxFeePerGas, tip: transaction.maxPriorityFeePerGas, market: market,
                              percent: options.bumpPercent, cap: options.maxFeePerGas) {
        case .aboveMarket:
            return nil
        case .capReached:
            guard !transaction.feeCapReached else { return nil }
            try store.markFeeCapReached(txID: transaction.id)
            statistics.update { $0.feeCapReached += 1 }
            log.warn("tx stuck at the fee cap", ["claims": claims(of: transaction), "job": "\(transaction.key)", "nonce": .int(transaction.nonce), "hash": "\(transaction.hash)", "max_fee": "\(transaction.maxFeePerGas)", "cap": "\(options.maxFeePerGas)", "base_fee": "\(market.nextBaseFee)"])
            return TxOutcome(transaction, .feeCapReached)
        case .bump(let maxFee, let tip):
            // Gas is estimated again: on Arbitrum the L1 part of the limit moves with L1 prices.
            let gasLimit = try await freshGasLimit(transaction)
            statistics.update { $0.bumped += 1 }
            try await resign(transaction, maxFee: maxFee, tip: tip, gasLimit: gasLimit, head: head, why: "fee_bump")
            return nil
        }
    }

    /// Replays a reverted call with `eth_call` at its block (the state after it, which holds whatever
    /// earlier transaction of the block made it fail) to read the reason; nil when the replay does not
    /// revert or the node cannot answer.
    private func replayedRevertReason(_ transaction: StoredTransaction, block: UInt64) async -> String? {
        let call = CallRequest(from: transaction.sender, to: transaction.to, data: transaction.data)
        do {
            _ = try await rpc.call(call, block: .number(block))
            return nil
        } catch {
            if let reason = Self.revertReason(of: error) { return reason.description }
            log.warn("cannot replay a reverted tx", ["claims": claims(of: transaction), "job": "\(transaction.key)", "hash": "\(transaction.hash)", "error": "\(Self.printable(error.description))"])
            return nil
        }
    }
}
