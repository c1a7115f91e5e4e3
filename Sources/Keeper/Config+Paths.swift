import Foundation

extension Config {
    /// The configuration with every relative path in it (`store.path`, `evidence.dir`, `signer.keystore`,
    /// `signer.passwordFile`, `signer.keyFile`, `vault.masterKeyFile`, `http.tlsCertFile`, `http.tlsKeyFile`) read against `directory`, the
    /// configuration file's own directory: a keeper started from any working directory (systemd, cron, a
    /// shell elsewhere) finds the same files. Absolute paths are kept as written.
    func resolvingPaths(against directory: String) -> Config {
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") || directory.isEmpty ? path : (directory as NSString).appendingPathComponent(path)
        }
        var config = self
        config.store.path = resolve(store.path)
        config.evidence.dir = resolve(evidence.dir)
        config.signer.keystore = signer.keystore.map(resolve)
        config.signer.passwordFile = signer.passwordFile.map(resolve)
        config.signer.keyFile = signer.keyFile.map(resolve)
        config.vault.masterKeyFile = vault.masterKeyFile.map(resolve)
        config.http.tlsCertFile = http.tlsCertFile.map(resolve)
        config.http.tlsKeyFile = http.tlsKeyFile.map(resolve)
        return config
    }
}
