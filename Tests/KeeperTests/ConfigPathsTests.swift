import Foundation
import Testing
@testable import Keeper

/// Relative paths in a configuration file are read against the file's directory (Config+Paths).
@Suite struct ConfigPathsTests {
    static func write(_ text: String, to directory: URL) throws -> String {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("keeper.json")
        try Data(text.utf8).write(to: file)
        return file.path
    }

    static let chain = #""chain": {"rpcUrls": ["http://127.0.0.1:8545"], "chainId": 1337, "contract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"}"#

    @Test func everyPathIsReadAgainstTheConfigurationsDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-paths-\(UUID().uuidString)/etc")
        let path = try Self.write("""
            {\(Self.chain), "signer": {"keystore": "keys/signer.json", "passwordFile": "secrets/password"},
             "store": {"path": "var/keeper.sqlite"}, "evidence": {"dir": "../evidence"}, "vault": {"masterKeyFile": "vault.key"}}
            """, to: directory)
        let config = try Config.load(path: path)
        let base = directory.path
        #expect(config.store.path == "\(base)/var/keeper.sqlite")
        #expect(config.evidence.dir == "\(base)/../evidence")
        #expect(config.signer.keystore == "\(base)/keys/signer.json")
        #expect(config.signer.passwordFile == "\(base)/secrets/password")
        #expect(config.vault.masterKeyFile == "\(base)/vault.key")

        let keyFile = try Self.write("""
            {\(Self.chain), "signer": {"keyFile": "signer.key"}, "store": {"path": "/var/lib/lg-keeper/keeper.sqlite"}}
            """, to: directory.appendingPathComponent("other"))
        let other = try Config.load(path: keyFile)
        #expect(other.signer.keyFile == "\(base)/other/signer.key")
        #expect(other.store.path == "/var/lib/lg-keeper/keeper.sqlite", "absolute paths are kept")
        #expect(other.evidence.dir == "\(base)/other/reports/evidence", "the defaults too are relative to the file")
    }

    @Test func aConfigurationInTheWorkingDirectoryKeepsItsPathsAsWritten() throws {
        // `--config keeper.json`: the file's directory is the working directory.
        let config = try Config.parse(Array("{\(Self.chain), \"store\": {\"path\": \"var/k.sqlite\"}}".utf8)).resolvingPaths(against: "")
        #expect(config.store.path == "var/k.sqlite")
    }
}
