import Crypto
import Ethereum
import Foundation
import Indexer

/// The keeper's transaction key, loaded from `signer` in the configuration: a keystore v3 file
/// with its password from an environment variable or a 0600 file, or a 0600 file holding the raw
/// key as 64 hex digits. Files open to group or others are refused. The key never appears in a
/// description, a log line or an error.
public final class Signer: Sendable {
    /// The account the keeper sends from.
    public let address: Address
    private let key: PrivateKey

    public init(key: PrivateKey) {
        self.key = key
        self.address = key.address
    }

    /// Signs a transaction with the keeper's key.
    public func sign(_ transaction: EIP1559Transaction) throws(KeeperError) -> SignedTransaction {
        do { return try transaction.signed(with: key) } catch {
            throw KeeperError(.software, "cannot sign the transaction with nonce \(transaction.nonce): \(error.message)")
        }
    }
}

extension Signer: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "Signer(\(address.checksummed))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["address": address.checksummed], displayStyle: .class) }
}
