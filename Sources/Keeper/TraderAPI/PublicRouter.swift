import HTTPServer
import Indexer

extension KeeperService {
    /// The routes of the public listener (`http.publicListen`): the trader API only. Nothing of the
    /// operations surface (`/metrics`, `/readyz`, `/console/`, `/api/verify`) is served here.
    public func publicRouter() throws(KeeperError) -> HTTPRouter {
        var router = HTTPRouter()
        if let domain = config.http.signInDomain {
            if config.http.publicDomain == nil {
                log.warn("http.publicDomain is not set: the sign-in messages traders sign name the listen address; set it to the host traders reach",
                         ["domain": "\(domain)"])
            }
            registerTraderAPI(in: &router, domain: domain)
        }
        router.notFound = { _ in
            .error(404, code: "NOT_FOUND", "no such path on the public listener", hint: "the trader API is listed in the README under \"Registering a trader's OKX key\"")
        }
        return router
    }
}
