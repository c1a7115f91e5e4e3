import Store
import Wire

/// What `lg-keeper status` reports: the index's position, its lag behind the node, claims by
/// state, and whether claim processing is halted.
public struct IndexStatus: Sendable, Hashable {
    public let chainID: UInt64
    public let contract: String
    /// The node's head, when it could be read.
    public let head: UInt64?
    /// The newest indexed block, nil before the first.
    public let indexedBlock: UInt64?
    public let confirmedBlock: UInt64
    public let events: Int
    public let claimsByState: [String: Int]
    /// Unfinished claims the pipeline may act on (requested in a confirmed block, processing not halted).
    public let actionableClaims: Int
    /// Claims whose settlement is over: paid, rejected, or failed (only an operator's `claims retry` reopens one).
    public static let finalStates: Set<String> = ["paid", "rejected", "failed"]

    /// Claims in a final state (`finalStates`).
    public var finalClaims: Int { claimsByState.filter { Self.finalStates.contains($0.key) }.values.reduce(0, +) }
    /// Claims not yet in a final state, actionable or not (unconfirmed, halted).
    public var openClaims: Int { claimsByState.filter { !Self.finalStates.contains($0.key) }.values.reduce(0, +) }
    public let reorgs: Int
    public let deepestReorg: Int
    public let halted: Bool
    public let haltedReason: String?

    /// Blocks between the node's head and the newest indexed block.
    public var lag: UInt64? {
        guard let head else { return nil }
        guard let indexedBlock else { return head }
        return head > indexedBlock ? head - indexedBlock : 0
    }

    /// Reads the status from the store; `head` comes from the node, if reachable.
    public static func read(_ store: IndexStore, head: UInt64?) throws(KeeperError) -> IndexStatus? {
        guard let cursor = try store.cursor() else { return nil }
        return try IndexStore.wrap {
            let db = store.database
            var byState = [String: Int]()
            for row in try db.fetchAll("SELECT state, count(*) AS n FROM claims GROUP BY state") {
                byState[try row.get("state")] = try row.get("n", as: Int.self)
            }
            let reorgRow = try db.fetchOne("SELECT count(*) AS n, coalesce(max(depth), 0) AS deepest FROM reorgs")
            return IndexStatus(chainID: cursor.chainID, contract: cursor.contract, head: head,
                               indexedBlock: cursor.nextBlock > cursor.startBlock ? cursor.nextBlock - 1 : nil,
                               confirmedBlock: cursor.confirmedBlock,
                               events: try db.fetchOne("SELECT count(*) FROM events", as: Int.self) ?? 0,
                               claimsByState: byState,
                               actionableClaims: try db.fetchOne("SELECT count(*) FROM actionable_claims WHERE state NOT IN ('paid', 'rejected', 'failed')", as: Int.self) ?? 0,
                               reorgs: try reorgRow?.get("n", as: Int.self) ?? 0,
                               deepestReorg: try reorgRow?.get("deepest", as: Int.self) ?? 0,
                               halted: cursor.halted, haltedReason: cursor.haltedReason)
        }
    }

    /// The status as one JSON object (sorted keys).
    public var json: JSON {
        var object: [String: JSON] = [
            "chainId": .number(String(chainID)), "contract": .string(contract),
            "confirmedBlock": .number(String(confirmedBlock)), "events": JSON(events),
            "claimsByState": .object(claimsByState.mapValues { JSON($0) }), "actionableClaims": JSON(actionableClaims),
            "openClaims": JSON(openClaims), "finalClaims": JSON(finalClaims),
            "reorgs": JSON(reorgs), "deepestReorg": JSON(deepestReorg), "halted": .bool(halted),
        ]
        object["head"] = head.map { .number(String($0)) } ?? .null
        object["indexedBlock"] = indexedBlock.map { .number(String($0)) } ?? .null
        object["lag"] = lag.map { .number(String($0)) } ?? .null
        object["haltedReason"] = haltedReason.map(JSON.string) ?? .null
        return .object(object)
    }
}
