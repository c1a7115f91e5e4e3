import Ethereum

/// Where a sealed response was written and what it commits to.
public struct EvidenceReceipt: Sendable, Equatable {
    /// `evi_YYYYMMDD_` and the first 16 hex digits of the root.
    public let evidenceId: String
    /// The Merkle root (`keccak256-merkle-v1`): the `evidenceRoot` of `verifyPayout`.
    public let root: Hash
    public let bundleHash: Hash
    /// The `.json` file.
    public let path: String

    public init(evidenceId: String, root: Hash, bundleHash: Hash, path: String) {
        self.evidenceId = evidenceId
        self.root = root
        self.bundleHash = bundleHash
        self.path = path
    }
}
