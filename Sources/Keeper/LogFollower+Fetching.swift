import Ethereum

extension LogFollower {
    /// Fetches and validates the widest acceptable range starting at `from`, ending at most at
    /// `limit`: narrowed on a provider's refusal, retried (and counted) on failures and
    /// inconsistent answers, never returned unless it passed validation.
    func fetchRange(from: UInt64, limit: UInt64) async throws(KeeperError) -> RangeValidator.ValidRange {
        var failures = 0
        var lastProblem = ""
        while true {
            let to = min(limit, from + sizer.current - 1)
            do {
                let answer = try await rpc.logsWithHeaders(from: from, to: to, addresses: [chain.contract], headerNumbers: Array(from...to))
                let valid = try RangeValidator.validate(answer, range: from...to, contract: chain.contract)
                sizer.succeeded()
                return valid
            } catch let error as RPCError {
                if let refusal = BlockRangeSizer.rangeLimit(in: error) {
                    statistics.rangeRefusals += 1
                    let width = sizer.current
                    sizer.refused(from: from, suggestedTo: refusal.suggestedTo, limit: refusal.limit)
                    if width > 1 || sizer.current < width { continue }  // a narrower range is worth trying at once
                    lastProblem = error.description
                } else {
                    guard error.isTransient else { throw KeeperError(.unavailable, "eth_getLogs \(from)…\(to): \(error.description)") }
                    statistics.transientFailures += 1
                    lastProblem = error.description
                }
            } catch let error as RangeValidator.Inconsistency {
                statistics.inconsistentAnswers += 1
                lastProblem = error.description
                log("msg=\"inconsistent answer refused\" from=\(from) to=\(to) reason=\"\(error.description)\"")
            } catch let error as KeeperError {
                throw error
            } catch {
                throw KeeperError(.software, "\(error)")
            }
            failures += 1
            guard failures < options.maxAttempts, !RPCDeadline.hasPassed else {
                throw KeeperError(.unavailable, "blocks \(from)…\(to) failed \(failures) times; last: \(lastProblem)")
            }
            try await pause(failures)
        }
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
