import Ethereum
import Indexer
import Store
import Wire

/// A `PayoutVerified` event as the index holds it (`events`): what the keeper wrote on-chain for
/// a claim, for `lg-keeper evidence verify --chain` to compare with a recomputed evidence root.
///
/// The comparison reads the index rather than the node: the log follower has already checked each
/// log against its block header and rolled back reorged blocks, and the check then works offline
/// from the database alone. `confirmed` says whether the event's block was at or below the
/// confirmed point when last indexed (a provisional block may still be reorged away).
public struct PayoutVerifiedRecord: Sendable, Equatable {
    /// Lowercase `0x` hex.
    public let user: String
    /// Decimal text.
    public let orderID: String
    public let amount: String
    public let liquidated: Bool
    public let evidenceRoot: Hash
    public let blockNumber: UInt64
    public let transactionHash: String
    public let confirmed: Bool

    /// The indexed `PayoutVerified` events of `orderID` (and `user`, when given), oldest first.
    public static func find(in database: Database, orderID: String, user: String?) throws(KeeperError) -> [PayoutVerifiedRecord] {
        var sql = """
            SELECT events.block_number, events.tx_hash, events.user, events.order_id, events.data,
                   COALESCE(events.block_number <= (SELECT confirmed_block FROM cursor WHERE id = 1), 0)
            FROM events WHERE events.name = 'PayoutVerified' AND events.order_id = ?
            """
        var arguments: [any DatabaseValueConvertible] = [orderID]
        if let user {
            sql += " AND events.user = ?"
            arguments.append(user.lowercased())
        }
        sql += " ORDER BY events.block_number, events.log_index"
        let rows: [Row]
        do { rows = try database.fetchAll(sql, arguments) } catch {
            throw KeeperError(.store, "cannot read PayoutVerified events: \(error.message)")
        }
        var records = [PayoutVerifiedRecord]()
        for row in rows {
            do {
                let data = try JSON(parsing: Array((try row.get(4, as: String.self)).utf8))
                guard let rootText = data["evidenceRoot"]?.stringValue, let amount = data["amount"]?.stringValue,
                      let liquidated = data["liquidated"]?.boolValue else {
                    throw KeeperError(.badData, "an indexed PayoutVerified event lacks evidenceRoot, amount or liquidated")
                }
                records.append(PayoutVerifiedRecord(
                    user: try row.get(2), orderID: try row.get(3), amount: amount, liquidated: liquidated,
                    evidenceRoot: try Hash(hex: rootText), blockNumber: try row.get(0, as: UInt64.self),
                    transactionHash: try row.get(1), confirmed: try row.get(5, as: Bool.self)))
            } catch let error as KeeperError {
                throw error
            } catch {
                throw KeeperError(.badData, "an indexed PayoutVerified event does not read: \(error)")
            }
        }
        return records
    }
}
