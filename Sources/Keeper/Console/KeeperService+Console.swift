import Foundation
import HTTPServer
import Indexer

extension KeeperService {
    /// The console's routes on `router` (`console.enabled`): over the service's readers, health, metrics
    /// and `/api/verify`'s verifier, with a session key drawn for this process.
    func registerConsole(in router: inout HTTPRouter, readiness: OperationsEndpoints.Settings) throws(KeeperError) {
        let sessions: ConsoleSessions
        do { sessions = try ConsoleSessions() } catch { throw KeeperError(.software, "no randomness for the console's session key: \(error.message)") }
        let verifier = apiVerifier
        let context = Console.Context(readers: readers, databasePath: config.store.path, evidenceDirectory: config.evidence.dir, pool: config.pool,
                                      dailyLimit: config.policy.dailyLimit, health: health, metrics: metrics, readiness: readiness,
                                      verify: { request in await verifier.answer(request) }, log: log)
        Console(context: context, sessions: sessions).register(in: &router)
        do {
            let operators = try readers.readSync { db in try ConsoleOperators.names(db) }
            if operators.isEmpty {
                log.warn("console enabled with no operators: add one with `lg-keeper console add-operator NAME`", ["path": "/console/"])
            } else {
                log.info("console enabled", ["path": "/console/", "operators": .int(operators.count)])
            }
        } catch {
            log.warn("console enabled; its operators cannot be read yet", ["path": "/console/", "error": "\(error)"])
        }
    }
}
