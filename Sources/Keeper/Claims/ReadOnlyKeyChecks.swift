import Foundation
import OKX
import Settlement
import Synchronization

/// When the verifier last heard from OKX that a key can only read (`GET /api/v5/account/config`,
/// `perm` = `read_only`). A trader can give a registered key more powers on OKX at any time, and
/// `keys add --unchecked` stores keys nobody asked about, so each key is asked again before its
/// first use and then once per `interval`; the answer is kept by the API key's SHA-256, never the key.
public final class ReadOnlyKeyChecks: Sendable {
    public static let defaultIntervalMilliseconds: Int64 = 3_600_000

    private let checkedAt = Mutex<[String: Int64]>([:])
    private let intervalMilliseconds: Int64
    private let clock: @Sendable () -> Int64

    public init(intervalMilliseconds: Int64 = defaultIntervalMilliseconds,
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.intervalMilliseconds = intervalMilliseconds
        self.clock = clock
    }

    /// nil when the key may be used; otherwise what to do with the claim instead. A key that can
    /// trade or withdraw is `.keyNotReadOnly`; one OKX refuses is `.keyInvalid`; any other failure
    /// to ask is `.transient` (a fault that is not the claim's never ends it).
    func check(_ credentials: OKXCredentials, on client: OKXClient) async -> VerificationAttempt? {
        let hash = OKXCredentials.hash(apiKey: credentials.apiKey), now = clock()
        if let last = checkedAt.withLock({ $0[hash] }), now - last < intervalMilliseconds { return nil }
        let config: OKXAccountConfig
        do { config = try await client.accountConfig() } catch {
            return error.isKeyProblem ? .keyInvalid(error.description) : .transient("cannot ask OKX whether the key is read-only: \(error)")
        }
        if let powers = config.powersBeyondReading {
            checkedAt.withLock { $0[hash] = nil }
            return .keyNotReadOnly(KeyPowers(apiKeyHash: hash, powers: powers, perm: config.perm))
        }
        checkedAt.withLock { $0[hash] = now }
        return nil
    }
}
