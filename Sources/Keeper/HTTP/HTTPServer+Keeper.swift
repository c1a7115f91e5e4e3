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

extension HTTPServer {
    /// The public listener's options from `http.publicListen` (nil when it is not set): TLS from
    /// `http.tlsCertFile`/`http.tlsKeyFile`, the per-client rate limit, CORS for `http.publicOrigins`.
    /// Refused (config, exit 78): a non-loopback address without TLS (secrets cross this listener), one
    /// TLS file without the other, TLS files without `http.publicListen`, a certificate or key that will not load.
    public static func publicOptions(for config: HTTPConfig, log: Logger = .discarding) throws(KeeperError) -> Options? {
        guard (config.tlsCertFile == nil) == (config.tlsKeyFile == nil) else {
            throw KeeperError(.config, "http.tlsCertFile and http.tlsKeyFile go together: set both (the certificate chain and its 0600 key) or neither")
        }
        guard let text = config.publicListen else {
            guard config.tlsCertFile == nil else {
                throw KeeperError(.config, "http.tlsCertFile and http.tlsKeyFile serve http.publicListen: set http.publicListen, or remove them")
            }
            return nil
        }
        let address: HTTPListenAddress
        do { address = try HTTPListenAddress(parsing: text) } catch { throw KeeperError(.config, "http.publicListen: \(error.message)") }
        var tls: TLSIdentity?
        if let certificate = config.tlsCertFile, let key = config.tlsKeyFile {
            do { tls = try TLSIdentity(certificateFile: certificate, keyFile: key) } catch { throw KeeperError(error) }
        }
        guard tls != nil || address.isLoopback else {
            throw KeeperError(.config, "http.publicListen \(address) is not loopback and would serve traders' keys over plain HTTP: set http.tlsCertFile and http.tlsKeyFile, or bind 127.0.0.1 behind a TLS-terminating proxy")
        }
        return Options(listen: address, log: log, tls: tls, rateLimitPerMinute: config.publicRateLimitPerMinute,
                       cors: HTTPCORSPolicy(allowedOrigins: config.publicOrigins), name: "public")
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
