import Ethereum
import Indexer
import Logging

extension LogFollower.Options {
    /// The follower's settings from the `chain` section.
    public init(_ chain: ChainConfig) {
        self.init(chainID: chain.chainId, contract: chain.contract, startBlock: chain.startBlock,
                  confirmations: UInt64(chain.confirmations), useFinalizedTag: chain.useFinalizedTag,
                  maxBlockRange: chain.maxBlockRange, pollInterval: .milliseconds(chain.pollIntervalMs),
                  rescanInterval: .seconds(chain.rescanIntervalSeconds), hashWindow: chain.blockHashWindow)
    }
}

extension LogFollower {
    /// A follower of `chain`'s contract into `store`.
    public convenience init(rpc: JSONRPCClient, store: IndexStore, chain: ChainConfig, log: Logger = .discarding) {
        self.init(rpc: rpc, store: store, options: Options(chain), log: log)
    }
}
