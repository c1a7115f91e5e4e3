import Foundation
import TestSupport
import Synchronization
import Testing
@testable import Store

/// The database lock is free the moment its holder lets it go, even while another thread of the
/// process is spawning children: a child holds copies of the parent's descriptors from its fork
/// until its exec, and a lock only closed (not unlocked) stays held by that copy meanwhile.
@Suite struct DatabaseLockReleaseTests {
    @Test func aReleasedLockCanBeTakenAgainAtOnceWhileChildrenAreSpawned() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lgk-lock-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/keeper.sqlite"
        let spawning = Atomic<Bool>(true)
        let spawned = Atomic<Int>(0)
        let spawner = Thread {
            while spawning.load(ordering: .relaxed) {
                guard let child = try? Subprocess("/bin/true") else { return }
                child.waitUntilExit()
                spawned.add(1, ordering: .relaxed)
            }
        }
        spawner.start()
        defer { spawning.store(false, ordering: .relaxed) }
        // Without the unlock, 396 to 1,171 of these 5,000 takes were refused (three runs).
        var refused = 0
        for _ in 0..<5_000 {
            do { _ = try DatabaseLock(databasePath: path) } catch { refused += 1 }
        }
        #expect(spawned.load(ordering: .relaxed) > 0, "children were spawned meanwhile")
        #expect(refused == 0, "a lock just released was refused \(refused) times")
    }
}
