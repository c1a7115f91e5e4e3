import Foundation
import OKX
import Settlement
import Synchronization

/// When the verifier last heard from OKX that a key can only read (`GET /api/v5/account/config`,
/// `perm` = `read_only`). A trader can give a registered key more powers on OKX at any time, and
/// `keys add --unchecked` stores keys nobody asked about, so each key is asked about before its
/// first use and then once per interval; the answers are kept by the API key's SHA-256, never the
/// key. Claims of one key verified at once (a cascade) share one question.
public final class ReadOnlyKeyChecks: Sendable {
    public static let defaultIntervalMilliseconds: Int64 = 3_600_000

    private enum Entry {
        case readOnly(at: Int64)
        case asking(Task<VerificationAttempt?, Never>)
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let intervalMilliseconds: Int64
    private let clock: @Sendable () -> Int64

    public init(intervalMilliseconds: Int64 = defaultIntervalMilliseconds,
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.intervalMilliseconds = intervalMilliseconds
        self.clock = clock
    }

    /// nil when the key may be used; otherwise what to do with the claim instead. A key that can
    /// trade or withdraw is `.keyNotReadOnly`; one OKX refuses is `.keyInvalid`; any other failure
    /// to ask is `.transient` (a fault that is not the claim's never ends it). Only "read-only" is
    /// remembered: any other answer is asked again next time.
    func check(_ credentials: OKXCredentials, on client: OKXClient) async -> VerificationAttempt? {
        let hash = OKXCredentials.hash(apiKey: credentials.apiKey), now = clock()
        let asking: Task<VerificationAttempt?, Never>? = entries.withLock { entries in
            switch entries[hash] {
            case .readOnly(let at) where now - at < intervalMilliseconds:
                return nil
            case .asking(let task):
                return task
            default:
                let task = Task { await Self.ask(client, apiKeyHash: hash) }
                entries[hash] = .asking(task)
                return task
            }
        }
        guard let asking else { return nil }
        let answer = await asking.value
        entries.withLock { entries in
            guard case .asking(let task) = entries[hash], task == asking else { return }
            entries[hash] = answer == nil ? .readOnly(at: now) : nil
        }
        return answer
    }

    /// Records that OKX has just said this key can only read (the trader API asked it before storing
    /// the key), so that its first claim does not ask again.
    public func noteReadOnly(_ credentials: OKXCredentials) {
        let hash = OKXCredentials.hash(apiKey: credentials.apiKey), now = clock()
        entries.withLock { $0[hash] = .readOnly(at: now) }
    }

    private static func ask(_ client: OKXClient, apiKeyHash: String) async -> VerificationAttempt? {
        let config: OKXAccountConfig
        do { config = try await client.accountConfig() } catch {
            return error.isKeyProblem ? .keyInvalid(error.description) : .transient("cannot ask OKX whether the key is read-only: \(error)")
        }
        return config.isReadOnly ? nil : .keyNotReadOnly(KeyPowers(apiKeyHash: apiKeyHash, config: config))
    }
}
