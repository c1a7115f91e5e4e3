import Ethereum
import Indexer
import Store

/// What the claim pipeline asks of the transaction manager: the jobs' stored transactions and their
/// outcomes, and sending a job (or a batch of jobs) exactly once. `TxManager` in production; the
/// pipeline's unit tests stand in with a double that keeps the same contract: `alsoWrite` runs in
/// the SQLite transaction that stores the transaction (and its `tx_items`), and nothing is stored
/// when the call would revert.
public protocol ClaimTransactions: AnyObject {
    /// The job's own stored transaction (newest generation), if it has one.
    func transaction(for key: TxJobKey) throws(KeeperError) -> StoredTransaction?
    /// The newest transaction that did or does the job: its own, or one covering it.
    func latest(for key: TxJobKey) throws(KeeperError) -> StoredTransaction?
    /// A transaction of the job (its own or one covering it) that is not final yet.
    func inFlight(for key: TxJobKey) throws(KeeperError) -> StoredTransaction?
    /// The job's final outcome, or nil while it has no transaction or its transaction is in flight.
    func outcome(for key: TxJobKey) throws(KeeperError) -> TxOutcome?
    /// Sends `data` for the job once; an existing transaction of the job is returned without `alsoWrite`.
    func submit(_ key: TxJobKey, to: Address, data: [UInt8], alsoWrite: (Database) throws -> Void) async throws(KeeperError) -> StoredTransaction
    /// As `submit`, but a job whose transaction is final gets a new one (the next generation).
    func resubmit(_ key: TxJobKey, to: Address, data: [UInt8], alsoWrite: (Database) throws -> Void) async throws(KeeperError) -> StoredTransaction
    /// One transaction doing the jobs `items` under its own `key`; nil, and nothing stored, when `key`
    /// has a transaction or an item has one in flight. An estimate above `gasCeiling` throws `.unavailable`.
    func submit(_ key: TxJobKey, covering items: [TxJobKey], to: Address, data: [UInt8], gasCeiling: UInt64?,
                alsoWrite: (Database) throws -> Void) async throws(KeeperError) -> StoredTransaction?
}

extension TxManager: ClaimTransactions {}
