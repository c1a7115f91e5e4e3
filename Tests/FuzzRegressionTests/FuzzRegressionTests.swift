import Foundation
import FuzzTargets
import Testing

/// Replays the fuzz corpora (`Fuzz/corpus/<target>/`, the seeds) and every input a fuzzer once
/// crashed on (`Fuzz/regressions/<target>/`) through the same harness `make fuzz` runs: a decoder
/// that traps again crashes this test; a broken invariant fails it.
@Suite struct FuzzRegressionTests {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    static func inputs(_ kind: String, _ target: FuzzTarget) throws -> [URL] {
        let directory = fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Runs every file; returns the names of those the decoder refused (threw its error for).
    @discardableResult
    static func replay(_ files: [URL], through target: FuzzTarget) throws -> [String] {
        var refused: [String] = []
        for file in files {
            do {
                if try !target.run(Array(try Data(contentsOf: file))) { refused.append(file.lastPathComponent) }
            } catch {
                Issue.record("\(target.rawValue) \(file.lastPathComponent): \(error)")
            }
        }
        return refused
    }

    @Test("every seed of the corpus decodes and keeps the invariants", arguments: FuzzTarget.allCases)
    func corpus(_ target: FuzzTarget) throws {
        let files = try Self.inputs("corpus", target)
        #expect(files.count >= 3, "Fuzz/corpus/\(target.rawValue) holds \(files.count) seeds")
        // Seeds are valid inputs, so that fuzzing starts from the decoders' success paths, except
        // those named refused-*, which the decoder must refuse with its typed error.
        let refused = try Self.replay(files, through: target)
        #expect(refused == files.map(\.lastPathComponent).filter { $0.hasPrefix("refused-") })
    }

    @Test("every input that once crashed a decoder stays fixed", arguments: FuzzTarget.allCases)
    func regressions(_ target: FuzzTarget) throws {
        try Self.replay(try Self.inputs("regressions", target), through: target)
    }
}
