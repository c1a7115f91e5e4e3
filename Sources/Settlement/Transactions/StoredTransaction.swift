import Ethereum
import Indexer
import Store

/// One job's transaction as stored in `txs`: the nonce, the current (or mined) attempt's fees, raw
/// bytes and hash, and where it stands.
public struct StoredTransaction: Sendable, Hashable {
    public let id: Int64
    public let key: TxJobKey
    /// 0 for the job's first transaction; one more for each `resubmit` after a final failure.
    public let generation: Int
    public let sender: Address
    public let nonce: UInt64
    public let to: Address
    public let data: [UInt8]
    public let gasLimit: UInt64
    public let maxFeePerGas: UInt256
    public let maxPriorityFeePerGas: UInt256
    /// The bytes to broadcast (`eth_sendRawTransaction`).
    public let raw: [UInt8]
    public let hash: Hash
    public let state: TxState
    /// Signed attempts at this nonce: 1 plus the fee bumps.
    public let attempts: Int
    /// The head when the current attempt was signed: bumping counts blocks from here.
    public let sentBlock: UInt64
    public let blockNumber: UInt64?
    public let blockHash: Hash?
    public let revertReason: String?
    public let lastError: String?
    public let feeCapReached: Bool
    /// When the node first accepted (or already had) the transaction; nil while stored but unsent.
    public let sentAt: String?
    public let createdAt: String

    init(row: Row) throws(KeeperError) {
        do {
            id = try row.get("id")
            let action: String = try row.get("action")
            guard let parsedAction = TxAction(rawValue: action) else { throw KeeperError(.badData, "txs: unknown action \(action)") }
            let stateText: String = try row.get("state")
            guard let parsedState = TxState(rawValue: stateText) else { throw KeeperError(.badData, "txs: unknown state \(stateText)") }
            key = TxJobKey(chainID: try row.get("chain_id"), requestTxHash: try Hash(hex: try row.get("request_tx_hash", as: String.self)),
                           requestLogIndex: try row.get("request_log_index"), action: parsedAction)
            generation = try row.get("generation")
            sender = try Address(hex: try row.get("sender", as: String.self))
            nonce = try row.get("nonce")
            to = try Address(hex: try row.get("to_address", as: String.self))
            data = try row.get("data")
            gasLimit = try row.get("gas_limit")
            maxFeePerGas = try UInt256(decimal: try row.get("max_fee", as: String.self))
            maxPriorityFeePerGas = try UInt256(decimal: try row.get("max_priority_fee", as: String.self))
            raw = try row.get("raw")
            hash = try Hash(hex: try row.get("hash", as: String.self))
            state = parsedState
            attempts = try row.get("attempts")
            sentBlock = try row.get("sent_block")
            blockNumber = try row.get("block_number", as: UInt64?.self)
            blockHash = try row.get("block_hash", as: String?.self).map { text throws(EthereumError) in try Hash(hex: text) }
            revertReason = try row.get("revert_reason", as: String?.self)
            lastError = try row.get("last_error", as: String?.self)
            feeCapReached = try row.get("fee_cap_reached")
            sentAt = try row.get("sent_at", as: String?.self)
            createdAt = try row.get("created_at")
        } catch let error as KeeperError {
            throw error
        } catch {
            throw KeeperError(.badData, "txs: unreadable row: \(error)")
        }
    }
}

/// One signed attempt at a job's nonce (`tx_attempts`).
public struct TxAttempt: Sendable, Hashable {
    public let attempt: Int
    public let maxFeePerGas: UInt256
    public let maxPriorityFeePerGas: UInt256
    public let raw: [UInt8]
    public let hash: Hash
    public let state: TxAttemptState

    init(row: Row) throws(KeeperError) {
        do {
            attempt = try row.get("attempt")
            maxFeePerGas = try UInt256(decimal: try row.get("max_fee", as: String.self))
            maxPriorityFeePerGas = try UInt256(decimal: try row.get("max_priority_fee", as: String.self))
            raw = try row.get("raw")
            hash = try Hash(hex: try row.get("hash", as: String.self))
            let text: String = try row.get("state")
            guard let parsed = TxAttemptState(rawValue: text) else { throw KeeperError(.badData, "tx_attempts: unknown state \(text)") }
            state = parsed
        } catch let error as KeeperError {
            throw error
        } catch {
            throw KeeperError(.badData, "tx_attempts: unreadable row: \(error)")
        }
    }
}
