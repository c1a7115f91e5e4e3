import Ethereum
import Indexer
import Logging
import Store

/// What the keeper does when a node refuses one of its transactions and names why
/// (`BroadcastRefusal`, every client's wording; README, "Transactions"):
/// - under the pool's floor or the base fee → re-signed at the same nonce at the market price;
/// - intrinsic gas too low, or above the block gas limit → re-signed at the same nonce with a fresh
///   `eth_estimateGas` (on Arbitrum the L1 part of the gas moves with L1 prices), and alerted;
/// - insufficient funds → alerted; nothing is re-signed: the transaction keeps its nonce and is sent
///   again each poll until the signer is funded.
///
/// The refused transaction always keeps its nonce and its job, so no later nonce is ever orphaned and
/// no job is signed twice; its claim stays in `verify_pending` / `execute_pending` meanwhile. What it
/// blocks is said in the `tx_refused` alert (how many later transactions wait behind it) and counted
/// in `statistics.refused`.
extension TxManager {
    /// Records a refusal in `last_error`; an untakeable one raises `tx_refused` in the same SQLite
    /// transaction, once per attempt and kind (a repeat of the refusal already recorded is not raised again).
    func recordRefusal(_ refusal: BroadcastRefusal, _ error: RPCError, of transaction: StoredTransaction) throws(KeeperError) {
        let label = "refused \(refusal.rawValue):"
        let repeated = transaction.lastError?.hasPrefix(label) == true
        let nodeSaid = Self.printable(Self.nodeMessage(error))
        let behind = try store.unfinished(chainID: options.chainID, sender: signer.address).filter { $0.nonce > transaction.nonce }.count
        try TxStore.wrap {
            try database.transaction { db in
                try db.execute("UPDATE txs SET last_error = ? WHERE id = ?", ["\(label) \(nodeSaid)", transaction.id])
                guard refusal.isUntakeable, !repeated else { return }
                try AlertOutbox.raise(db, .txRefused, """
                    the node refused transaction \(transaction.hash) (job \(transaction.key), nonce \(transaction.nonce)): \(refusal.rawValue) \
                    ("\(nodeSaid)"); \(Self.advice(for: refusal)); it keeps its nonce and \(behind) later transaction(s) wait behind it
                    """, detail: ["kind": .string(refusal.rawValue), "hash": .string(transaction.hash.description),
                                  "nonce": .string(String(transaction.nonce)), "waitingBehind": .string(String(behind))],
                    dedupeKey: "tx-refused:\(transaction.hash):\(refusal.rawValue)")
            }
        }
        if !repeated { statistics.update { $0.refused += 1 } }
        log.log(refusal.isUntakeable ? .warn : .info, "node refused the tx", ["claims": claims(of: transaction), "job": "\(transaction.key)", "nonce": .int(transaction.nonce), "hash": "\(transaction.hash)",
                                                                      "refusal": "\(refusal.rawValue)", "waiting_behind": "\(behind)", "error": "\(nodeSaid)"])
    }

    /// What `poll()` does after a refusal: re-sign with fresh gas, reprice, or wait for the operator.
    func remedy(_ refusal: BroadcastRefusal, of transaction: StoredTransaction, head: UInt64) async throws(KeeperError) -> TxOutcome? {
        switch refusal {
        case .intrinsicGasTooLow, .gasLimitExceeded:
            // Only a different estimate is worth an attempt: the same bytes would be refused again.
            let gasLimit = try await freshGasLimit(transaction)
            guard gasLimit != transaction.gasLimit else { return nil }
            try await resign(transaction, maxFee: transaction.maxFeePerGas, tip: transaction.maxPriorityFeePerGas, gasLimit: gasLimit,
                             head: head, why: refusal.rawValue)
            return nil
        case .underpriced, .feeCapBelowBaseFee:
            return try await reprice(transaction, head: head)
        case .insufficientFunds, .alreadyKnown, .nonceTooLow, .replacementUnderpriced:
            return nil
        }
    }

    /// Signs a new attempt at the transaction's nonce with these fees and gas limit (a fresh estimate:
    /// fee bumps come here too, and never reuse the first estimate), stores it, then broadcasts it.
    func resign(_ transaction: StoredTransaction, maxFee: UInt256, tip: UInt256, gasLimit: UInt64, head: UInt64, why: String) async throws(KeeperError) {
        let signed = try signer.sign(EIP1559Transaction(
            chainId: options.chainID, nonce: transaction.nonce, maxPriorityFeePerGas: tip, maxFeePerGas: maxFee,
            gasLimit: gasLimit, to: transaction.to, data: transaction.data))
        try store.addAttempt(txID: transaction.id, attempt: transaction.attempts + 1, signed: signed, gasLimit: gasLimit,
                             maxFee: maxFee, priorityFee: tip, sentBlock: head)
        log.info("tx re-signed", ["why": "\(why)", "claims": claims(of: transaction), "job": "\(transaction.key)", "nonce": .int(transaction.nonce), "attempt": .int(transaction.attempts + 1),
                                  "gas_limit": .int(gasLimit), "was_gas_limit": .int(transaction.gasLimit), "max_fee": "\(maxFee)", "tip": "\(tip)", "hash": "\(signed.hash)"])
        try await broadcast(try store.transaction(id: transaction.id))
    }

    /// `eth_estimateGas` again, from the signer, plus `gasMarginPercent`. An estimate that now reverts
    /// keeps the stored limit (the receipt will tell what happened); a node that cannot answer is `.unavailable`.
    func freshGasLimit(_ transaction: StoredTransaction) async throws(KeeperError) -> UInt64 {
        let estimate: UInt64
        do {
            estimate = try await rpc.estimateGas(CallRequest(from: transaction.sender, to: transaction.to, data: transaction.data))
        } catch {
            guard Self.revertReason(of: error) != nil else { throw KeeperError(.unavailable, "eth_estimateGas failed: \(Self.printable(error.description))") }
            log.warn("gas estimate now reverts; keeping the stored gas limit", ["claims": claims(of: transaction), "job": "\(transaction.key)", "gas_limit": .int(transaction.gasLimit)])
            return transaction.gasLimit
        }
        return try withMargin(estimate)
    }

    /// The most gas a transaction is signed for: SQLite's integer range, far above any block's gas limit.
    static let maxGasLimit = UInt64(Int64.max)

    /// `estimate` plus `gasMarginPercent`. An estimate whose margin overflows, or lands above
    /// `maxGasLimit`, is the node's fault: `.unavailable`, never a trap or a wrapped-around limit.
    func withMargin(_ estimate: UInt64) throws(KeeperError) -> UInt64 {
        try Self.withMargin(estimate, percent: options.gasMarginPercent)
    }

    static func withMargin(_ estimate: UInt64, percent: UInt64) throws(KeeperError) -> UInt64 {
        let (margin, overflow) = estimate.multipliedReportingOverflow(by: percent)
        let (sum, overflowSum) = estimate.addingReportingOverflow(margin / 100)
        guard !overflow, !overflowSum, sum <= maxGasLimit else {
            throw KeeperError(.unavailable, "the node's gas estimate \(estimate) plus \(percent)% is above any gas limit: check chain.rpcUrls")
        }
        return sum
    }

    /// What the operator does about an untakeable refusal (also in the README's alert table).
    static func advice(for refusal: BroadcastRefusal) -> String {
        switch refusal {
        case .insufficientFunds: "fund the signer; the transaction is sent again each round"
        case .intrinsicGasTooLow, .gasLimitExceeded: "the keeper re-signs it with a fresh gas estimate; if this repeats, check the node and chain.rpcUrls"
        default: "the keeper reprices it"
        }
    }

    /// The node's own message, without the "RPC error N:" frame.
    static func nodeMessage(_ error: RPCError) -> String {
        if case .rpc(_, let message, _) = error { return message }
        return error.description
    }

    /// Text from a node (or a contract's revert reason) as the keeper repeats it: control characters
    /// replaced with "?" so that it cannot start a log line of its own, and cut to 240 characters.
    static func printable(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars.prefix(240) {
            scalars.append(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}" ? "?" : scalar)
        }
        return text.unicodeScalars.count > 240 ? String(scalars) + "…" : String(scalars)
    }
}
