import Ethereum
import Indexer
import Wire

/// The JSON-RPC client's response decoder and typed results. The first byte says how many
/// requests were sent (1–4; more than one is a batch) and the rest is the body. Every answer
/// is then read as each result type the keeper asks for, and logs as the keeper indexes them.
enum JSONRPCFuzz {
    static func run(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        guard let first = input.first else { return false }
        let count = Int(first % 4) + 1
        let ids = Array(1...count)
        guard let results = try? JSONRPCClient.decode(Array(input.dropFirst()), expectedIDs: ids, batch: count > 1) else { return false }
        try require(results.count == ids.count, "\(results.count) results for \(ids.count) requests")
        for result in results {
            switch result {
            case .success(let json): readTyped(json)
            case .failure(let error): _ = (error.revertData, error.isTransient, error.broadcastRefusal, error.description)
            }
        }
        return true
    }

    private static func readTyped(_ json: JSON) {
        _ = try? BlockHeader(json: json)
        _ = try? TransactionReceipt(json: json)
        _ = try? FeeHistory(json: json)
        _ = try? TransactionInfo(json: json)
        for item in json.arrayValue ?? [json] {
            guard let log = try? Log(json: item) else { continue }
            _ = try? IndexedEvent(log: log)
        }
    }
}
