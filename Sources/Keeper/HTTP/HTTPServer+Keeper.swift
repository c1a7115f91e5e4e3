import HTTPServer
import Indexer
import Logging

extension HTTPServer {
    /// Options for `http` of the configuration file: its `listen` address, the other limits at their defaults.
    public static func options(for config: HTTPConfig, log: Logger = .discarding) throws(KeeperError) -> Options {
        do { return Options(listen: try HTTPListenAddress(parsing: config.listen), log: log) } catch {
            throw KeeperError(error)
        }
    }
}

extension KeeperError {
    /// The server's error as the keeper reports it: a bad address is the configuration's
    /// (`http.listen`, exit 78), a refused socket or bind is unavailable (exit 69).
    public init(_ error: HTTPServerError) {
        switch error.code {
        case .badAddress: self.init(.config, "http.listen: \(error.message)")
        case .weakSecret, .badTLS: self.init(.config, error.message)
        case .unavailable: self.init(.unavailable, error.message)
        case .alreadyStarted: self.init(.software, error.message)
        }
    }
}
