import Ethereum
import Foundation
import Indexer
import PrivateFiles
import Settlement

// The settlement side's types built from the keeper's configuration.

extension TxManager.Options {
    public init(chain: ChainConfig, fees: FeesConfig) {
        self.init(chainID: chain.chainId, confirmations: UInt64(chain.confirmations), maxFeePerGas: fees.maxFeePerGas,
                  bumpPercent: fees.bumpPercent, bumpAfterBlocks: UInt64(fees.bumpAfterBlocks))
    }
}

extension PayoutPolicy {
    public init(_ config: PolicyConfig, pool: PoolConfig? = nil) {
        self.init(maxPayoutPerClaim: config.maxPayoutPerClaim, dailyLimit: config.dailyLimit, minPoolReserve: config.minPoolReserve,
                  reviewAbove: config.reviewAbove, denylist: Set(config.denylist),
                  unit: pool.map { PoolUnit(currency: $0.currency, decimals: $0.decimals) } ?? .baseUnits)
    }
}

extension Signer {
    /// Loads the key `config` names. `environment` is the process environment (a parameter for tests).
    public static func load(_ config: SignerConfig,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(KeeperError) -> Signer {
        if let path = config.keyFile {
            return Signer(key: try rawKey(path))
        }
        guard let path = config.keystore else {
            throw KeeperError(.config, "signer: set signer.keystore (with passwordEnv or passwordFile) or signer.keyFile")
        }
        let password = try Self.password(config, environment: environment, keystore: path)
        var keystoreBytes = try ConfigSecretFile.read(path, what: "keystore")
        defer { SecretFile.wipe(&keystoreBytes) }
        do {
            let keystore = try Keystore(json: keystoreBytes, source: path)
            try keystore.requireStrongKeyDerivation()
            return Signer(key: try keystore.decrypt(password: password))
        } catch {
            // EthereumError messages name the file and the failure, never the password or the key.
            throw KeeperError(.config, "signer: \(error.message)")
        }
    }

    fileprivate static func rawKey(_ path: String) throws(KeeperError) -> PrivateKey {
        var bytes = try ConfigSecretFile.read(path, what: "signer key file")
        defer { SecretFile.wipe(&bytes) }
        var end = bytes.endIndex
        while end > bytes.startIndex, [0x0A, 0x0D, 0x20, 0x09].contains(bytes[end - 1]) { end -= 1 }
        var text = String(decoding: bytes[..<end], as: UTF8.self)
        defer { text = "" }
        do { return try PrivateKey(hex: text) } catch {
            throw KeeperError(.config, "the signer key file \(path) must hold one private key as 64 hex digits (with or without 0x)")
        }
    }

    fileprivate static func password(_ config: SignerConfig, environment: [String: String], keystore: String) throws(KeeperError) -> String {
        if let name = config.passwordEnv {
            guard let value = environment[name], !value.isEmpty else {
                throw KeeperError(.config, "signer: the environment variable \(name) (signer.passwordEnv) is not set or empty")
            }
            return value
        }
        if let path = config.passwordFile {
            var bytes = try ConfigSecretFile.read(path, what: "signer password file")
            defer { SecretFile.wipe(&bytes) }
            // One line: a trailing newline is not part of the password.
            var end = bytes.endIndex
            while end > bytes.startIndex, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
            guard end > bytes.startIndex else { throw KeeperError(.config, "the signer password file \(path) is empty") }
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
        throw KeeperError(.config, "signer: the keystore \(keystore) needs signer.passwordEnv or signer.passwordFile")
    }
}

extension SignerConfig {
    /// A signer section built in code (tests, tools); the configuration file is read by `Config`.
    public init(keystore: String? = nil, passwordEnv: String? = nil, passwordFile: String? = nil, keyFile: String? = nil, minTransactions: Int = 20) {
        self.minTransactions = minTransactions
        self.keystore = keystore
        self.passwordEnv = passwordEnv
        self.passwordFile = passwordFile
        self.keyFile = keyFile
    }
}
