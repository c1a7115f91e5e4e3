import Ethereum
import Foundation
import Indexer
import Keeper
import Settlement
import Wire

/// `evidence verify --chain`: the recomputed root against the `evidenceRoot` of the indexed
/// `PayoutVerified` event of the document's claim (`events` in the keeper's database, kept by
/// `lg-keeper index`; see `PayoutVerifiedRecord` for why the index rather than the node).
struct ChainCheck {
    /// The keeper's database.
    let database: String
    /// The claimant, when the document does not name one (`meta.wallet`) and its `evidence` row neither.
    let wallet: String?

    /// Lines to print, and the problem when the chain does not carry `root` for this claim.
    func compare(document: JSON, evidenceId: String?, root: String) throws -> (lines: [String], problem: String?) {
        guard let orderID = document["meta"]?["ordId"]?.stringValue else {
            throw CommandFailure(.badData, "the document has no meta.ordId, so its claim cannot be found on chain")
        }
        guard let db = try DatabaseOption.open(database, create: false) else {
            throw CommandFailure(.unavailable, "no database at \(database): run `lg-keeper index` to index the chain's events first")
        }
        let rowWallet: String?
        do { rowWallet = try evidenceId.flatMap { try EvidenceLedger(database: db).entry($0)?.wallet } } catch {
            throw CommandFailure(.software, "cannot read the evidence row of \(evidenceId ?? "?"): \(error)")
        }
        let user = try (document["meta"]?["wallet"]?.stringValue ?? rowWallet ?? wallet).map { text in
            do { return try Address(hex: text).description.lowercased() } catch {
                throw CommandFailure(.badData, "'\(TerminalText.excerpt(text))' is not a wallet address")
            }
        }
        let claim = "order \(orderID)\(user.map { " of \($0)" } ?? " (any user: the document names no wallet)")"
        let records = try KeeperFailure.map { () throws(KeeperError) in try PayoutVerifiedRecord.find(in: db, orderID: orderID, user: user) }
        guard !records.isEmpty else {
            return (["chain         no PayoutVerified event for \(claim) in \(database)"],
                    "chain: no PayoutVerified event for \(claim) is indexed (not verified on-chain yet, or the index is behind)")
        }
        var lines = [String]()
        for record in records {
            let state = record.confirmed ? "confirmed" : "provisional"
            lines.append("chain         PayoutVerified block \(record.blockNumber) tx \(record.transactionHash) (\(state)) user \(record.user) "
                + "evidenceRoot \(record.evidenceRoot) amount \(record.amount) liquidated \(record.liquidated)")
        }
        if records.contains(where: { $0.evidenceRoot.description == root.lowercased() }) { return (lines, nil) }
        return (lines, "chain: the PayoutVerified evidenceRoot of \(claim) is \(records.map(\.evidenceRoot.description).joined(separator: ", ")), recomputed \(root)")
    }
}
