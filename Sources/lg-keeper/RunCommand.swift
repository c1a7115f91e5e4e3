import Dispatch
import Foundation
import HTTPServer
import Indexer
import Keeper
import Logging

/// `lg-keeper run`: follow, index, settle, alert and reconcile until SIGINT/SIGTERM, with the HTTP
/// server (`/metrics`, `/healthz`, `/readyz`, `POST /api/verify`) on `http.listen` and the trader API
/// on `http.publicListen` when set. A stop signal
/// lets the current step finish (each commits whole) and exits within the deadline. Like every
/// command it runs on `KeeperExecutors.writer` (main.swift), so the loop's SQLite writes have a thread of their own.
enum RunCommand {
    static let command = Command(
        name: "run",
        usage: "run [--config FILE] [--stop-deadline SECONDS] \(LogOptions.usage)",
        summary: "everything: follow, index, settle claims, alert, reconcile",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: LogOptions.names.union(["config", "stop-deadline"]), flags: [])
        guard let deadline = Int(arguments.value("stop-deadline") ?? "20"), deadline > 0 else { throw UsageError("--stop-deadline must be a positive number of seconds") }
        let logFlags = try LogOptions.parse(arguments)
        let config = try KeeperFailure.map { () throws(KeeperError) in try Config.load(path: arguments.value("config") ?? Config.defaultPath, command: "run") }
        try KeeperFailure.map { () throws(KeeperError) in try config.requireSigner(for: "run") }
        let log = LogOptions.logger(logFlags, config)
        // The public listener's rule (never plain HTTP beyond the machine) and its TLS files, before anything else.
        let publicOptions = try KeeperFailure.map { () throws(KeeperError) in try HTTPServer.publicOptions(for: config.http, log: log) }
        // A setup that cannot work stops here, one line each (StartupCheck): the node and the contract
        // before the database is opened; then the signer, the vault and the pool's asset.
        try await KeeperFailure.map { () async throws(KeeperError) in try await StartupCheck.chain(config.chain, rpc: StartupCheck.client(config.chain)) }
        let service = try KeeperFailure.map { () throws(KeeperError) in try KeeperService(config: config, log: log) }
        try await KeeperFailure.map { () async throws(KeeperError) in try await service.checkSignerAndVault() }
        try await KeeperFailure.map { () async throws(KeeperError) in try await service.checkPoolAsset() }
        let server = try KeeperFailure.map { () throws(KeeperError) in
            HTTPServer(router: try service.router(), options: try HTTPServer.options(for: config.http, log: log))
        }
        // The public listener (trader API) when http.publicListen is set: TLS or loopback, rate limit, CORS.
        let publicServer = try KeeperFailure.map { () throws(KeeperError) -> HTTPServer? in
            guard let options = publicOptions else { return nil }
            return HTTPServer(router: try service.publicRouter(), options: options)
        }
        // Each server logs "http listening" itself, once.
        try KeeperFailure.map { () throws(KeeperError) in
            do throws(HTTPServerError) { try server.start() } catch { throw KeeperError(error) }
        }
        do {
            try KeeperFailure.map { () throws(KeeperError) in
                do throws(HTTPServerError) { try publicServer?.start() } catch { throw KeeperError(error) }
            }
        } catch {
            await server.stop(grace: .seconds(1))
            throw error
        }
        let stop = KeeperService.StopSignal()
        let signals = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler {
                log.info("stop requested", ["signal": .int(number), "deadline_s": .int(deadline)])
                stop.request()
                DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(deadline)) {
                    log.error("stop deadline passed; exiting with the current step unfinished (it commits whole or not at all)")
                    exit(ExitCode.unavailable.rawValue)
                }
            }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        var failure: KeeperError?
        do throws(KeeperError) { try await service.run(until: stop) } catch {
            // In the log's own format too (the plain last line follows from main), for whoever reads only the log.
            log.error("keeper stopped on an error", ["error": .string(error.message)])
            failure = error
        }
        await publicServer?.stop(grace: .seconds(min(deadline, 5)))
        await server.stop(grace: .seconds(min(deadline, 5)))
        if let failure { throw KeeperFailure.failure(failure) }
        return .ok
    }
}
