import Foundation
import Indexer

/// The shared secret of `POST /api/verify`, read from the environment variable that
/// `http.apiSecretEnv` names — never from the configuration file. Its text forms are redacted.
public struct APISecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Shorter secrets are refused: HMAC is only as strong as its key.
    public static let minimumLength = 16

    let bytes: [UInt8]

    public init(_ bytes: [UInt8]) throws(KeeperError) {
        guard bytes.count >= Self.minimumLength else {
            throw KeeperError(.config, "the API secret must be at least \(Self.minimumLength) bytes")
        }
        self.bytes = bytes
    }

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

    public var description: String { "APISecret(redacted)" }
    public var debugDescription: String { description }
}
