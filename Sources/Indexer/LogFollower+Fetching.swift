import Ethereum
import Logging

extension LogFollower {
    /// Fetches and validates the widest acceptable range starting at `from`, ending at most at
    /// `limit`: narrowed on a provider's range refusal, waited for on a rate limit or a backend
    /// behind the head (never narrowed for those), retried (and counted) on failures and inconsistent
    /// answers, never returned unless it passed validation.
    /// - Parameter denseFrom: every block from this one on (the confirmed point) gets its header, so that
    ///   each provisional block's hash is stored and a reorg above the confirmed point is measured exactly;
    ///   below it, a rewritten block is a finality violation whatever the depth, and sparse hashes suffice.
    func fetchRange(from: UInt64, limit: UInt64, denseFrom: UInt64 = .max) async throws(KeeperError) -> RangeValidator.ValidRange {
        var failures = 0
        var lastProblem = ""
        while true {
            let to = min(limit, from + sizer.current - 1)
            var wait: Duration? = nil
            do {
                let answer = try await fetchAnswer(from: from, to: to, denseFrom: denseFrom)
                let valid = try RangeValidator.validate(answer, range: from...to, contract: options.contract)
                sizer.succeeded()
                return valid
            } catch let error as RPCError {
                lastProblem = error.description
                switch error.providerRefusal {
                case .rangeTooLarge(let suggestedTo, let stated)?:
                    statistics.rangeRefusals += 1
                    let width = sizer.current
                    sizer.refused(from: from, suggestedTo: suggestedTo, limit: stated)
                    if sizer.current < width { continue }  // a narrower range is worth trying at once
                case .responseTooLarge?:
                    statistics.rangeRefusals += 1
                    let width = sizer.current
                    sizer.refused(from: from, suggestedTo: nil, limit: nil)
                    if sizer.current < width { continue }
                case .rateLimited(let seconds)?:
                    // The same range again, after the pause the provider asked for.
                    statistics.rateLimited += 1
                    wait = seconds.map { .seconds(min($0, 60)) }
                case .beyondHead?:
                    // A load-balanced backend behind the head: it catches up; the range is not the problem.
                    statistics.backendBehind += 1
                case .batchTooLarge?:
                    // The client narrows batches itself; one that still reaches here is retried as it is.
                    statistics.transientFailures += 1
                default:
                    guard error.isTransient else { throw KeeperError(.unavailable, "eth_getLogs \(from)…\(to): \(error.description)") }
                    statistics.transientFailures += 1
                }
            } catch let error as RangeValidator.Inconsistency {
                statistics.inconsistentAnswers += 1
                lastProblem = error.description
                log.warn("inconsistent answer refused", ["from": .int(from), "to": .int(to), "reason": "\(error.description)"])
            } catch let error as KeeperError {
                throw error
            } catch {
                throw KeeperError(.software, "\(error)")
            }
            failures += 1
            guard failures < options.maxAttempts, !RPCDeadline.hasPassed else {
                throw KeeperError(.unavailable, "blocks \(from)…\(to) failed \(failures) times; last: \(lastProblem)")
            }
            if let wait {
                do { try await Task.sleep(for: wait) } catch { throw KeeperError(.unavailable, "cancelled") }
            } else {
                try await pause(failures)
            }
        }
    }

    /// The logs of `[from, to]` with the headers validation needs (DESIGN.md §5): the range's first
    /// block (its parent links it to the stored tip), its last block (the next round's reorg check) and
    /// every block from `denseFrom` on (provisional blocks: a reorg among them is found at its exact
    /// depth) in the logs' batch, then the blocks that hold logs — not one header per confirmed block.
    private func fetchAnswer(from: UInt64, to: UInt64, denseFrom: UInt64) async throws(RPCError) -> LogRangeAnswer {
        let provisional = denseFrom <= to ? Array(max(from, denseFrom)...to) : []
        let ends = Array(Set((from == to ? [from] : [from, to]) + provisional)).sorted()
        let first = try await rpc.logsWithHeaders(from: from, to: to, addresses: [options.contract], headerNumbers: ends)
        statistics.headersFetched += ends.count
        var seen = Set<UInt64>(ends)
        let missing = first.logs.map(\.blockNumber).filter { seen.insert($0).inserted }
        guard !missing.isEmpty else { return first }
        var headers = first.headers
        for (number, header) in try await rpc.headers(missing) { headers[number] = header }
        statistics.headersFetched += missing.count
        return LogRangeAnswer(headers: headers, logs: first.logs)
    }

    /// Runs a read, retrying transient failures a bounded number of times.
    func retrying<T>(_ what: String, _ body: () async throws(RPCError) -> T) async throws(KeeperError) -> T {
        var failures = 0
        while true {
            do { return try await body() } catch {
                guard error.isTransient else { throw KeeperError(.unavailable, "\(what): \(error.description)") }
                statistics.transientFailures += 1
                failures += 1
                guard failures < options.maxAttempts, !RPCDeadline.hasPassed else {
                    throw KeeperError(.unavailable, "\(what) failed \(failures) times; last: \(error.description)")
                }
                try await pause(failures)
            }
        }
    }
}
