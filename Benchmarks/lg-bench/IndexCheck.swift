import Foundation
import Store

/// Compares a keeper database with the corpus: the number of `events` and `claims` rows, and every
/// column of a sample of events (spread over the whole corpus, first and last included) with the
/// row built from the generator's values.
struct IndexCheck {
    let corpus: LogCorpus
    let sample: Int

    struct Report {
        let rows: Int
        let claims: Int
        let expectedClaims: Int
        let compared: Int
        let mismatches: [String]
        var passed: Bool { rows == 0 ? false : mismatches.isEmpty }
    }

    func run(databasePath path: String) throws -> Report {
        let db = try Database(path: path)
        var mismatches = [String]()
        let rows = try db.fetchOne("SELECT count(*) FROM events", as: Int.self) ?? 0
        if rows != corpus.totalLogs { mismatches.append("events holds \(rows) rows, the server served \(corpus.totalLogs) logs") }
        let claims = try db.fetchOne("SELECT count(*) FROM claims", as: Int.self) ?? 0
        var expectedClaims = 0
        for number in 0...corpus.head {
            for index in 0..<corpus.logCount(inBlock: number) where corpus.entry(block: number, logIndex: index).kind == .claimRequested {
                expectedClaims += 1
            }
        }
        if claims != expectedClaims { mismatches.append("claims holds \(claims) rows, expected \(expectedClaims)") }

        let count = min(sample, corpus.totalLogs)
        var positions = Set<Int>()
        if count > 0 { positions = [0, corpus.totalLogs - 1] }
        var state = corpus.seed ^ 0xC4EC
        while positions.count < count {
            state = mix(state)
            positions.insert(Int(state % UInt64(corpus.totalLogs)))
        }
        for position in positions.sorted() {
            let block = corpus.block(ofLog: position)
            let expected = corpus.expectedRow(corpus.entry(block: block, logIndex: position - corpus.firstLog(ofBlock: block)))
            guard let row = try db.fetchOne("""
                SELECT chain_id, block_number, block_hash, tx_hash, tx_index, log_index, address, name, user, order_id, data
                FROM events WHERE block_number = ? AND log_index = ?
                """, [expected.blockNumber, expected.logIndex]) else {
                mismatches.append("no row for log \(expected.logIndex) of block \(expected.blockNumber)")
                continue
            }
            let actual = ExpectedRow(
                blockNumber: try row.get("block_number"), blockHash: try row.get("block_hash"), transactionHash: try row.get("tx_hash"),
                transactionIndex: try row.get("tx_index"), logIndex: try row.get("log_index"), address: try row.get("address"),
                name: try row.get("name"), user: try row.get("user"), orderID: try row.get("order_id"), data: try row.get("data"),
                claim: nil)
            let chainID: UInt64 = try row.get("chain_id")
            if chainID != corpus.chainID || actual != ExpectedRow(copyWithoutClaim: expected) {
                mismatches.append("block \(expected.blockNumber) log \(expected.logIndex): stored \(actual), expected \(expected)")
                continue
            }
            if let claim = expected.claim {
                guard let stored = try db.fetchOne("""
                    SELECT inst_id, principal, leverage, request_block_number, request_log_index FROM claims
                    WHERE chain_id = ? AND user = ? AND order_id = ?
                    """, [corpus.chainID, claim.user, claim.orderID]),
                    try stored.get("inst_id", as: String.self) == claim.instrument, try stored.get("principal", as: String.self) == claim.principal,
                    try stored.get("leverage", as: Int.self) == claim.leverage, try stored.get("request_block_number", as: UInt64.self) == expected.blockNumber,
                    try stored.get("request_log_index", as: Int.self) == expected.logIndex else {
                    mismatches.append("the claim of block \(expected.blockNumber) log \(expected.logIndex) is missing or differs")
                    continue
                }
            }
        }
        return Report(rows: rows, claims: claims, expectedClaims: expectedClaims, compared: positions.count, mismatches: mismatches)
    }
}

extension ExpectedRow {
    init(copyWithoutClaim row: ExpectedRow) {
        self.init(blockNumber: row.blockNumber, blockHash: row.blockHash, transactionHash: row.transactionHash,
                  transactionIndex: row.transactionIndex, logIndex: row.logIndex, address: row.address, name: row.name,
                  user: row.user, orderID: row.orderID, data: row.data, claim: nil)
    }
}
