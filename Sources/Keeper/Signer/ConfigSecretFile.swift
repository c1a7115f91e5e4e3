import Indexer
import PrivateFiles

/// A secret file named by the configuration (`PrivateFiles.SecretFile`: checked through the opened
/// descriptor), its refusals as `.config` errors.
enum ConfigSecretFile {
    static func read(_ path: String, what: String) throws(KeeperError) -> [UInt8] {
        do { return try SecretFile.read(path, what: what) } catch { throw KeeperError(.config, error.message) }
    }
}
