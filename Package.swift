// swift-tools-version:6.0
// LeverageGuard Keeper. No Swift package dependencies: the toolchain and Debian's C libraries only.
import PackageDescription

let package = Package(
    name: "LeverageGuardKeeper",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lg-keeper", targets: ["lg-keeper"]),
    ],
    targets: [
        // System libraries, each a header-only shim (module.modulemap + shim.h).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // glibc's allocator settings (<malloc.h>, part of libc: nothing to link).
        .systemLibrary(name: "CMalloc"),

        // Hashes, MACs, ciphers and KDFs over OpenSSL, plus Keccak-256 (which OpenSSL 3.0 lacks).
        .target(name: "Crypto", dependencies: ["COpenSSL"]),
        // What crosses the wire: an HTTP client over libcurl and a typed JSON value.
        .target(name: "Wire", dependencies: ["CCurl", "Threads"]),
        // Log lines: a Logger value with a level, logfmt or JSON, every value escaped (Foundation only).
        .target(name: "Logging"),
        // Chain primitives: UInt256, Address, ABI, RLP, secp256k1, transactions, keystore, JSON-RPC.
        .target(name: "Ethereum", dependencies: ["Crypto", "Wire", "COpenSSL"]),
        // Files only their owner may read: 0600 files in 0700 directories, secrets read through the opened descriptor.
        .target(name: "PrivateFiles"),
        // SQLite connection, statements, transactions, migrations.
        // Naming the threads the keeper starts itself (the HTTP server's, the executors', libcurl's).
        .target(name: "Threads"),
        .target(name: "Store", dependencies: ["CSQLite", "PrivateFiles", "Threads"]),
        // OKX v5 REST: signing, rate limits, error mapping.
        .target(name: "OKX", dependencies: ["Crypto", "Wire"]),
        // Liquidation verdict, payout and evidence (canonical JSON, Merkle root). Knows nothing of the chain.
        .target(name: "Verification", dependencies: ["Crypto", "Wire", "OKX", "PrivateFiles"]),
        // The encrypted OKX key vault (AES-256-GCM under a master key), in SQLite.
        .target(name: "Vault", dependencies: ["Crypto", "Store", "Wire", "OKX", "PrivateFiles"]),
        // Log following, the index store, reorgs, provider-aware ranges; the contract's interface and KeeperError.
        .target(name: "Indexer", dependencies: ["Logging", "Ethereum", "Store", "Wire", "Crypto"]),
        // Claims, payout policy, the transaction manager and signer, the audit log and alert outbox: the chain's writing side.
        .target(name: "Settlement", dependencies: ["Logging", "Indexer", "Ethereum", "Store", "OKX", "Wire", "Crypto", "Verification", "Vault"]),
        // The HTTP/1.1 server: parser, sockets, threads, router, TLS (OpenSSL), HMAC authentication, replay cache, rate limit, CORS. No keeper types.
        .target(name: "HTTPServer", dependencies: ["Logging", "Crypto", "Wire", "COpenSSL", "PrivateFiles", "Threads"]),
        // The keeper service and its commands.
        .target(name: "Keeper", dependencies: ["Logging", "HTTPServer", "Settlement", "Indexer", "Ethereum", "Store", "OKX", "Wire", "Crypto", "Verification", "Vault", "PrivateFiles"]),
        .executableTarget(name: "lg-keeper", dependencies: ["CMalloc", "Logging", "PrivateFiles", "HTTPServer", "Keeper", "Settlement", "Indexer", "OKX", "Vault", "Verification", "Store", "Ethereum", "Wire", "Crypto"]),
        // The log-replay server, the SQLite ceiling and the index check behind `make bench` (BENCHMARKS.md).
        // A tool of this repository, not a product: lg-keeper neither links nor ships it.
        .executableTarget(name: "lg-bench", dependencies: ["Logging", "Keeper", "Settlement", "Indexer", "OKX", "Verification", "Store", "Wire", "Crypto", "CSQLite"], path: "Benchmarks/lg-bench"),

        // The decoders' fuzz harnesses (issue 8): one function per fuzz target, shared by the libFuzzer
        // executables below and by FuzzRegressionTests, which replays the corpora and found crashes.
        .target(name: "FuzzTargets", dependencies: ["Ethereum", "OKX", "Wire", "Indexer", "HTTPServer"], path: "Fuzz/FuzzTargets"),

        .target(name: "TestSupport", dependencies: ["OKX", "Wire"], path: "Tests/TestSupport"),
        .testTarget(name: "LoggingTests", dependencies: ["Logging", "TestSupport"]),
        .testTarget(name: "CryptoTests", dependencies: ["Crypto"]),
        .testTarget(name: "WireTests", dependencies: ["Wire", "TestSupport"]),
        .testTarget(name: "EthereumTests", dependencies: ["Ethereum", "Crypto", "Wire", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "PrivateFiles", "Threads", "TestSupport"]),
        .testTarget(name: "OKXTests", dependencies: ["OKX", "Crypto", "Wire", "TestSupport"]),
        .testTarget(name: "IndexerTests", dependencies: ["Logging", "Indexer", "Store", "Ethereum", "Wire"]),
        .testTarget(name: "KeeperTests", dependencies: ["Logging", "HTTPServer", "Keeper", "Settlement", "Indexer", "Store", "Ethereum", "Wire", "OKX", "Verification", "TestSupport"]),
        .testTarget(name: "VaultTests", dependencies: ["Logging", "Vault", "OKX", "Keeper", "Settlement", "Store", "TestSupport"]),
        .testTarget(name: "VerificationTests", dependencies: ["Logging", "Verification", "OKX", "Keeper", "Settlement", "Store", "Wire", "Crypto", "TestSupport"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["Logging", "HTTPServer", "Wire", "Crypto", "TestSupport", "PrivateFiles"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["FuzzTargets"]),
        .testTarget(name: "IntegrationTests", dependencies: ["Logging", "HTTPServer", "Keeper", "Settlement", "Indexer", "OKX", "Verification", "Ethereum", "Wire", "Store", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// The libFuzzer executables, one per target, exist only for `make fuzz` (LGK_FUZZ=1, its own scratch
// path, -sanitize=fuzzer): without libFuzzer they would not link, so the ordinary build never sees them.
if Context.environment["LGK_FUZZ"] == "1" {
    package.targets.append(.systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"))
    for name in ["rlp", "abi", "json", "jsonrpc", "okx", "http", "siwe"] {
        package.targets.append(.executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzTargets", "CLibFuzzer"], path: "Fuzz/fuzz-\(name)"))
        package.products.append(.executable(name: "fuzz-\(name)", targets: ["fuzz-\(name)"]))
    }
}
