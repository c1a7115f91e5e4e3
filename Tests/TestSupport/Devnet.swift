import Foundation

/// A devnode (py-evm behind JSON-RPC, LeverageGuard deployed) on a free port, for one test suite.
public final class Devnet: @unchecked Sendable {
    /// The deployment file devnode.py writes (DESIGN.md §8).
    public struct Deployment: Decodable, Sendable {
        public struct Account: Decodable, Sendable {
            public let address: String
            public let privateKey: String
        }
        public let rpcUrl: String
        public let chainId: UInt64
        public let contract: String
        public let deployBlock: UInt64
        /// The pool's token (`--pool-token`: TestStablecoin, USDT), or the zero address for ETH.
        public let asset: String
        public let assetSymbol: String
        public let assetDecimals: Int
        public let owner: Account
        public let keeper: Account
        public let users: [Account]
    }

    public let deployment: Deployment
    public var rpcURL: String { deployment.rpcUrl }
    /// Whether the pool pays in a token (devnode.py `--pool-token`) rather than ETH.
    public var isTokenPool: Bool { deployment.asset.dropFirst(2).contains { $0 != "0" } }
    /// The deployment file, for scripts that take `--deployment FILE`.
    public let deploymentFile: String
    private let server: ServerProcess
    private let directory: URL

    /// One devnode shared by every suite of the test process that does not need its own. It is
    /// stopped when the process exits (its lifeline pipe closes), since statics are never released.
    public static func shared() throws -> Devnet { try sharedInstance.get() }
    private static let sharedInstance = Result { try Devnet() }

    public init(arguments: [String] = []) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-devnet-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let out = directory.appendingPathComponent("deployment.json")
        server = try ServerProcess(script: "devnode.py", arguments: ["--port", "0", "--out", out.path] + arguments, timeout: 120)
        deployment = try JSONDecoder().decode(Deployment.self, from: Data(contentsOf: out))
        deploymentFile = out.path
    }

    /// Hangs the node (SIGSTOP): connections are accepted, no request is answered.
    public func suspend() { server.suspend() }

    /// Un-hangs a suspended node.
    public func resume() { server.resume() }

    public func stop() {
        server.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }
}
