import HTTPServer
import OKX
import Settlement

extension KeeperService {
    /// The trader API's routes on `router`, over the service's readers, vault and OKX configuration;
    /// `domain` is what the sign-in messages name (`http.publicDomain`).
    func registerTraderAPI(in router: inout HTTPRouter, domain: String) {
        let okx = config.okx, observer = okxObserver, readOnlyChecks = self.readOnlyChecks
        let keys = TraderKeys(signIn: TraderSignIn(domain: domain, chainID: config.chain.chainId, contract: config.chain.contract),
                              databasePath: config.store.path, vault: openVault,
                              checkKey: { credentials throws(OKXError) in
                                  let answer = try await okx.client(credentials, simulated: okx.simulated, observer: observer).accountConfig()
                                  // The verifier need not ask again before the key's first claim.
                                  if answer.isReadOnly { readOnlyChecks.noteReadOnly(credentials) }
                                  return answer
                              },
                              clock: clock, log: log)
        TraderEndpoints(keys: keys, readers: readers, pool: PoolUnit(currency: config.pool.currency, decimals: config.pool.decimals),
                        metrics: metrics, log: log)
            .register(in: &router)
    }
}
