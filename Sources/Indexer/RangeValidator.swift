import Ethereum

/// Checks one log-range answer before anything of it is indexed (DESIGN.md §5): the headers of the
/// range's first and last blocks and of every block holding a log present, neighbouring headers
/// chained, every log from the contract, inside the range, in a block whose hash equals the header
/// fetched for it, and no (block hash, log index) twice.
enum RangeValidator {
    /// Why an answer was refused; the follower retries it and counts it.
    struct Inconsistency: Error, CustomStringConvertible {
        let description: String
    }

    /// The validated range: the headers fetched for it, in order, and its logs decoded, in chain order.
    struct ValidRange {
        let range: ClosedRange<UInt64>
        /// The range's first and last blocks and the blocks holding logs (not every block).
        let headers: [BlockHeader]
        let events: [IndexedEvent]
    }

    static func validate(_ answer: LogRangeAnswer, range: ClosedRange<UInt64>, contract: Address) throws -> ValidRange {
        for number in Set([range.lowerBound, range.upperBound]) where answer.headers[number] == nil {
            throw Inconsistency(description: "the node has no header for block \(number) of \(range.lowerBound)…\(range.upperBound)")
        }
        let headers = answer.headers.values.filter { range.contains($0.number) }.sorted { $0.number < $1.number }
        for (previous, header) in zip(headers, headers.dropFirst()) where header.number == previous.number + 1 && header.parentHash != previous.hash {
            throw Inconsistency(description: "block \(header.number)'s parent is not the block \(previous.number) of the same answer (a reorg during the fetch)")
        }
        var seen = Set<LogKey>()
        var events = [IndexedEvent]()
        events.reserveCapacity(answer.logs.count)
        for log in answer.logs {
            guard range.contains(log.blockNumber) else {
                throw Inconsistency(description: "log in block \(log.blockNumber), outside the requested \(range.lowerBound)…\(range.upperBound)")
            }
            guard log.address == contract else { throw Inconsistency(description: "log from \(log.address), not the contract") }
            guard !log.removed else { throw Inconsistency(description: "log marked removed in block \(log.blockNumber)") }
            guard let header = answer.headers[log.blockNumber], header.hash == log.blockHash else {
                throw Inconsistency(description: "log \(log.logIndex) names block \(log.blockNumber) hash \(log.blockHash), the header fetched with it differs")
            }
            guard seen.insert(LogKey(blockHash: log.blockHash, logIndex: log.logIndex)).inserted else {
                throw Inconsistency(description: "log \(log.logIndex) of block \(log.blockNumber) answered twice")
            }
            events.append(try IndexedEvent(log: log))
        }
        events.sort { ($0.blockNumber, $0.logIndex) < ($1.blockNumber, $1.logIndex) }
        return ValidRange(range: range, headers: headers, events: events)
    }

    private struct LogKey: Hashable {
        let blockHash: Hash
        let logIndex: UInt64
    }
}
