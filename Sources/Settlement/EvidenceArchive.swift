import Ethereum
import Indexer
import Store
import Synchronization
import Verification
import Wire

/// Where sealed responses go: the evidence files and their `evidence` row, written together.
/// Safe to share between concurrent verifications (the connection is used under a lock).
public final class EvidenceArchive: Sendable {
    public let files: EvidenceFiles
    private let database: Mutex<Database>

    /// - Parameter database: a connection to the keeper's database, migrated (`KeeperSchema`);
    ///   the archive owns it from now on.
    public init(files: EvidenceFiles, database: sending Database) {
        self.files = files
        self.database = Mutex(database)
    }

    /// Writes `document` (sealed) and its `.root` file, then records the row. Refuses, writing
    /// nothing, a document that holds a credential-named member or any of `secrets`.
    public func store(_ document: JSON, wallet: String?, refusing secrets: [String]) throws(KeeperError) -> EvidenceReceipt {
        let path: String
        do { path = try files.write(document, refusing: secrets) } catch {
            switch error.code {
            case .secretInEvidence: throw KeeperError(.badData, error.message)  // redaction makes this unreachable; a claim fault, never a reason to stop
            case .fileSystem: throw KeeperError(.unavailable, error.message)
            case .malformedDocument, .invalidClaim: throw KeeperError(.software, error.message)
            }
        }
        let entry: EvidenceLedger.Entry
        do {
            entry = try database.withLock { database in try EvidenceLedger(database: database).record(document, path: path, wallet: wallet) }
        } catch {
            throw KeeperError(.store, "cannot record evidence \(document["evidence"]?["evidenceId"]?.stringValue ?? "?"): \(error)")
        }
        do {
            return EvidenceReceipt(evidenceId: entry.evidenceId, root: try Hash(hex: entry.root),
                                   bundleHash: try Hash(hex: entry.bundleHash), path: path)
        } catch {
            throw KeeperError(.software, "a sealed response has a malformed root or bundle hash: \(error.message)")
        }
    }

    /// The `evidence` row of `evidenceId`, or nil.
    public func entry(_ evidenceId: String) throws(KeeperError) -> EvidenceLedger.Entry? {
        do { return try database.withLock { database in try EvidenceLedger(database: database).entry(evidenceId) } } catch {
            throw KeeperError(.store, "cannot read evidence \(evidenceId): \(error)")
        }
    }
}
