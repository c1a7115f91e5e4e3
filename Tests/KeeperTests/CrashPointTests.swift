import Testing
@testable import Indexer
@testable import Keeper
@testable import Settlement

/// LGK_CRASH_AT's format: `point` or `point:n`. A value that names no point, or a bad n, is a
/// configuration error naming the valid points, so that a chaos run with a typo never runs unarmed.
@Suite struct CrashPointTests {
    @Test func parsesAPointAndAnOccurrence() throws {
        let once = try CrashPoint.Trigger(parsing: "afterBroadcast")
        #expect(once.point == .afterBroadcast && once.occurrence == 1)
        let third = try CrashPoint.Trigger(parsing: "beforeReceipt:3")
        #expect(third.point == .beforeReceipt && third.occurrence == 3)
        #expect(third.description == "beforeReceipt:3")
        for point in CrashPoint.allCases {
            #expect(try CrashPoint.Trigger(parsing: point.rawValue).point == point)
        }
    }

    @Test(arguments: ["", "afterbroadcast", "afterBroadcast:", "afterBroadcast:0", "afterBroadcast:-1", "afterBroadcast:x", "afterBroadcast:1:2", " afterCommit"])
    func refusesMalformedValues(_ text: String) {
        #expect {
            try CrashPoint.Trigger(parsing: text)
        } throws: { error in
            guard let error = error as? KeeperError else { return false }
            return error.code == .config && error.message.contains("LGK_CRASH_AT")
        }
    }

    @Test func theMessageListsTheValidPoints() {
        #expect {
            try CrashPoint.Trigger(parsing: "afterBroadcst")
        } throws: { error in
            let message = (error as? KeeperError)?.message ?? ""
            return CrashPoint.allCases.allSatisfy { message.contains($0.rawValue) }
        }
    }
}
