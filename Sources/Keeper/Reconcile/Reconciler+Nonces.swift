import Ethereum
import Indexer
import Store

/// The nonce check: the keeper's stored transactions against each sender's transaction count on-chain.
/// Every nonce the keeper stores is used on-chain once the transaction is final — by it, or by
/// another transaction if it was `dropped` — so, with nothing in flight, the chain's count is the
/// highest stored nonce + 1. More means another party signed with the keeper's key; a transaction
/// recorded as mined at confirmed depth whose nonce the chain has not reached means the chain lost it.
extension Reconciler {
    /// What the keeper stored for one sender.
    struct StoredNonces: Equatable {
        /// The highest nonce stored.
        let highest: UInt64
        /// Transactions not final yet (`pending`, `mined`).
        let unfinished: Int
        /// The highest nonce of a transaction recorded as mined at confirmed depth (`confirmed`, `reverted`).
        let highestSettled: UInt64?
    }

    enum NonceVerdict: Equatable {
        case agrees
        case disagrees(Mismatch)
        /// Transactions in flight, at the keeper or at the node: the counts cannot be compared now.
        case inconclusive
    }

    /// `latest` and `pending` are the sender's transaction counts at the latest block and in the node's pool.
    static func nonceVerdict(sender: Address, stored: StoredNonces, latest: UInt64, pending: UInt64) -> NonceVerdict {
        let subject = sender.checksummed
        if let settled = stored.highestSettled, settled >= latest {
            return .disagrees(Mismatch(.nonce, subject, "the keeper recorded nonce \(settled) as mined, but the chain's nonce is \(latest)"))
        }
        guard stored.unfinished == 0, pending == latest else { return .inconclusive }
        let expected = stored.highest + 1
        if latest > expected {
            return .disagrees(Mismatch(.nonce, subject, "the chain's nonce is \(latest), the keeper's next is \(expected): \(latest - expected) transaction(s) signed with the keeper's key were not sent by the keeper"))
        }
        if latest < expected {
            return .disagrees(Mismatch(.nonce, subject, "the chain's nonce is \(latest), the keeper stored nonces up to \(stored.highest)"))
        }
        return .agrees
    }

    /// The nonce check for every sender the keeper stored transactions for. `concluded` is false
    /// when some sender's check was inconclusive.
    func nonceMismatches() async throws(KeeperError) -> (found: [Mismatch], concluded: Bool) {
        let senders = try IndexStore.wrap {
            try database.fetchAll("SELECT DISTINCT sender FROM txs WHERE chain_id = ? ORDER BY sender", [chainID]).map { try $0.get("sender", as: String.self) }
        }
        var found = [Mismatch](), concluded = true
        for text in senders {
            let sender: Address
            do { sender = try Address(hex: text) } catch { throw KeeperError(.badData, "txs: sender \(text) is not an address") }
            switch try await nonceVerdict(sender) {
            case .agrees: break
            case .disagrees(let mismatch): found.append(mismatch)
            case .inconclusive: concluded = false
            }
        }
        return (found, concluded)
    }

    /// Reads the store, the chain, then the store again: a keeper in another process storing or
    /// settling a transaction in between makes the readings incomparable, so they are taken again.
    private func nonceVerdict(_ sender: Address) async throws(KeeperError) -> NonceVerdict {
        for _ in 0..<3 {
            let before = try storedNonces(sender)
            let latest: UInt64, pending: UInt64
            do {
                latest = try await reader.rpc.transactionCount(of: sender, block: .latest)
                pending = try await reader.rpc.transactionCount(of: sender, block: .pending)
            } catch {
                throw KeeperError(.unavailable, "eth_getTransactionCount of \(sender.checksummed): \(error)")
            }
            if try storedNonces(sender) == before {
                return Self.nonceVerdict(sender: sender, stored: before, latest: latest, pending: pending)
            }
        }
        return .inconclusive
    }

    private func storedNonces(_ sender: Address) throws(KeeperError) -> StoredNonces {
        try IndexStore.wrap {
            let row = try database.fetchOne("""
                SELECT max(nonce) AS highest, sum(state IN ('pending', 'mined')) AS unfinished,
                       max(CASE WHEN state IN ('confirmed', 'reverted') THEN nonce END) AS settled
                FROM txs WHERE chain_id = ? AND sender = ?
                """, [chainID, sender.description])
            return StoredNonces(highest: try row?.get("highest", as: UInt64?.self) ?? 0, unfinished: try row?.get("unfinished", as: Int?.self) ?? 0,
                                highestSettled: try row?.get("settled", as: UInt64?.self))
        }
    }
}
