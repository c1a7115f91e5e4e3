import Ethereum
import Logging

extension LogFollower {
    /// Compares the newest stored block (or the stored block at the node's head, if the node is
    /// behind) with the chain. On a mismatch, walks back to the common ancestor, deletes everything
    /// indexed above it in one transaction, records the reorg, and halts claim processing when a
    /// confirmed block was rewritten. Returns true when it rolled back.
    func detectReorg(head: UInt64) async throws(KeeperError) -> Bool {
        guard let newest = try store.newestBlock() else { return false }
        let probe = min(newest.number, head)
        guard let stored = try store.storedBlock(probe) else { return false }
        let atProbe = try await retrying("eth_getBlockByNumber") { () async throws(RPCError) in try await rpc.headers([probe]) }
        guard let chainHeader = atProbe[probe] else { return false }  // the node does not have it (yet): nothing to compare
        if chainHeader.hash.description == stored.hash && probe == newest.number { return false }
        if chainHeader.hash.description == stored.hash {
            // The node is behind our newest block but agrees up to its head: a lagging node, not a reorg.
            return false
        }

        let ancestor = try await commonAncestor(below: probe)
        let depth = newest.number - ancestor
        let violation = try store.rollBack(toAncestor: ancestor, depth: depth, oldHash: newest.hash, newHash: chainHeader.hash.description)
        statistics.reorgs += 1
        statistics.deepestReorg = max(statistics.deepestReorg, depth)
        if violation { statistics.finalityViolations += 1 }
        log.log(violation ? .error : .warn, "reorg", ["depth": .int(depth), "ancestor": .int(ancestor), "old_hash": "\(newest.hash)", "new_hash": "\(chainHeader.hash)", "finality_violation": .bool(violation)])
        sizer = BlockRangeSizer(maximum: options.maxBlockRange)
        return true
    }

    /// The newest stored block below `number` whose hash the chain still has.
    private func commonAncestor(below number: UInt64) async throws(KeeperError) -> UInt64 {
        guard number > 0 else { return try noAncestor(number) }
        let candidates = try store.blocks(atOrBelow: number - 1, limit: options.hashWindow)
        var offset = 0
        while offset < candidates.count {
            let chunk = Array(candidates[offset..<min(offset + 32, candidates.count)])
            let numbers = chunk.map(\.number)
            let chainHeaders = try await retrying("eth_getBlockByNumber") { () async throws(RPCError) in try await rpc.headers(numbers) }
            for block in chunk where chainHeaders[block.number]?.hash.description == block.hash {
                return block.number
            }
            offset += chunk.count
        }
        return try noAncestor(number)
    }

    /// No stored block matches: if the store holds everything since `startBlock`, the whole index is
    /// on a dead fork and is redone from the start; otherwise the reorg is deeper than the window.
    private func noAncestor(_ number: UInt64) throws(KeeperError) -> UInt64 {
        guard let cursor = try store.cursor() else { throw KeeperError(.store, "no cursor") }
        let oldest = try store.blocks(atOrBelow: number, limit: Int.max).last
        if cursor.startBlock > 0, oldest?.number == cursor.startBlock {
            return cursor.startBlock - 1
        }
        let reason = "reorg deeper than the \(options.hashWindow) stored block hashes below block \(number): no common ancestor found"
        try store.halt(reason: reason)
        statistics.finalityViolations += 1
        throw KeeperError(.halted, reason)
    }

    /// Fetches confirmed blocks a second time, from the re-scan mark to the confirmed point, and
    /// inserts any log the first pass did not get (a node that silently missed logs).
    func rescan() async throws(KeeperError) {
        guard var cursor = try store.cursor() else { return }
        while cursor.rescannedBlock < cursor.confirmedBlock {
            let from = max(cursor.rescannedBlock + 1, cursor.startBlock)
            guard from <= cursor.confirmedBlock else { break }
            let valid = try await fetchRange(from: from, limit: cursor.confirmedBlock)
            for header in valid.headers {
                if let stored = try store.storedBlock(header.number), stored.hash != header.hash.description {
                    statistics.inconsistentAnswers += 1
                    log.warn("re-scan found a different confirmed block", ["block": .int(header.number), "stored": "\(stored.hash)", "node": "\(header.hash)"])
                    return  // the next round's reorg check decides; nothing from this answer is indexed
                }
            }
            let recovered = try store.commitRescan(through: valid.range.upperBound, events: valid.events)
            statistics.rescannedRanges += 1
            if recovered > 0 {
                statistics.missedLogsRecovered += recovered
                statistics.eventsIndexed += recovered
                log.warn("re-scan recovered missed logs", ["from": .int(valid.range.lowerBound), "to": .int(valid.range.upperBound), "count": .int(recovered)])
            }
            guard let next = try store.cursor() else { return }
            cursor = next
        }
    }
}
