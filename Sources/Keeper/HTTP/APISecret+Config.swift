import Foundation
import HTTPServer
import Indexer

/// The keeper's `POST /api/verify` secret, read from the environment variable that
/// `http.apiSecretEnv` names — never from the configuration file.
extension APISecret {
    /// The secret in `environment[name]` (the process environment by default).
    public static func fromEnvironment(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(KeeperError) -> APISecret {
        guard let value = environment[name], !value.isEmpty else {
            throw KeeperError(.config, "http.apiSecretEnv names \(name), which is not set: POST /api/verify needs a secret")
        }
        do { return try APISecret(Array(value.utf8)) } catch {
            throw KeeperError(.config, "\(name): \(error.message)")
        }
    }

    /// The secret for `config`: `http.apiSecretEnv` must be set and name a set variable.
    public static func from(_ config: HTTPConfig, environment: [String: String] = ProcessInfo.processInfo.environment) throws(KeeperError) -> APISecret {
        guard let name = config.apiSecretEnv else {
            throw KeeperError(.config, "http.apiSecretEnv is not set: POST /api/verify needs a secret from the environment")
        }
        return try fromEnvironment(name, environment: environment)
    }
}
