import Foundation
import Testing
import Indexer
@testable import Keeper
import Wire

/// The README's configuration table, `config/keeper.example.json` and the configuration reader agree.
@Suite struct ConfigTableTests {
    struct Row {
        let key: String
        /// The default cell: a JSON literal in backticks, `required…`, or `—`.
        let defaultCell: String
        let meaning: String
        var section: String { String(key.split(separator: ".")[0]) }
        var name: String { String(key.split(separator: ".")[1]) }
        /// The key this one stands in for (`… instead of `x.y``), if any.
        var alternativeOf: String? {
            meaning.firstMatch(of: /instead of `([a-zA-Z]+\.[a-zA-Z]+)`/).map { String($0.1) }
        }
    }

    /// The rows of the table under "## Configuration" in README.md.
    static func readmeRows() throws -> [Row] {
        let readme = try String(contentsOfFile: ConfigTests.root.appendingPathComponent("README.md").path, encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "\n## Configuration").dropFirst().first?.components(separatedBy: "\n## ").first)
        return section.split(separator: "\n").filter { $0.hasPrefix("| `") }.map { line in
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            return Row(key: cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`")), defaultCell: cells[2],
                       meaning: cells[3...].joined(separator: "|"))
        }
    }

    static func example() throws -> [String: JSON] {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: ConfigTests.examplePath))
        return try #require(try JSON(parsing: Array(bytes)).objectValue)
    }

    /// `section.key` of every key of the example.
    static func keys(of example: [String: JSON]) -> Set<String> {
        Set(example.flatMap { section, value in (value.objectValue ?? [:]).keys.map { "\(section).\($0)" } })
    }

    static func with(_ example: [String: JSON], _ key: String, _ value: JSON?) -> [UInt8] {
        let parts = key.split(separator: ".").map(String.init)
        var document = example
        var section = document[parts[0]]?.objectValue ?? [:]
        section[parts[1]] = value
        document[parts[0]] = .object(section)
        return Array(JSON.object(document).serializedString.utf8)
    }

    static func parse(_ bytes: [UInt8]) -> Result<String, KeeperError> {
        do { return .success(canonical(try Config.parse(bytes, environment: [:]))) } catch { return .failure(error) }
    }

    /// Every stored value of `value`, recursively, with dictionaries in sorted order (their own order
    /// differs from one instance to the next).
    static func canonical(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        if mirror.children.isEmpty { return String(describing: value) }
        let parts = mirror.children.map { child in "\(child.label ?? ""):\(canonical(child.value))" }
        return "\(mirror.subjectType)(\((mirror.displayStyle == .dictionary || mirror.displayStyle == .set ? parts.sorted() : parts).joined(separator: ",")))"
    }

    @Test func theTableListsEveryKeyOfTheExampleAndTheExampleEveryKeyOfTheTable() throws {
        let rows = try Self.readmeRows()
        #expect(rows.count >= 50, "one row per key: \(rows.count)")
        let tableKeys = Set(rows.map(\.key))
        #expect(tableKeys.count == rows.count, "no key twice")
        let exampleKeys = Self.keys(of: try Self.example())
        for key in exampleKeys.sorted() { #expect(tableKeys.contains(key), "\(key) of the example is in the README table") }
        for row in rows {
            if let other = row.alternativeOf {
                #expect(row.defaultCell == "—", "\(row.key): an alternative has no default")
                #expect(exampleKeys.contains(other), "\(row.key) stands in for \(other), which the example has")
            } else {
                #expect(exampleKeys.contains(row.key), "\(row.key) of the README table is in the example")
            }
        }
    }

    @Test func eachDefaultInTheTableIsTheReadersDefault() throws {
        let example = try Self.example()
        guard case .success = Self.parse(Array(JSON.object(example).serializedString.utf8)) else {
            Issue.record("the example does not load: \(Self.parse(Array(JSON.object(example).serializedString.utf8)))")
            return
        }
        for row in try Self.readmeRows() {
            let absent = Self.parse(Self.with(example, row.key, nil))
            if row.defaultCell.hasPrefix("required") {
                guard case .failure(let error) = absent else { Issue.record("\(row.key) is required, yet absent loads"); continue }
                #expect(error.message.contains(row.key), "\(row.key): \(error.message)")
            } else if row.defaultCell == "—" {
                if let other = row.alternativeOf {
                    // The alternative is a key the reader knows: given instead of the other, it is no unknown key.
                    let instead = Array(JSON.object(try #require(try JSON(parsing: Self.with(example, other, nil)).objectValue)).serializedString.utf8)
                    let document = try #require(try JSON(parsing: instead).objectValue)
                    if case .failure(let error) = Self.parse(Self.with(document, row.key, "PLACEHOLDER")) {
                        #expect(!error.message.contains("unknown key"), "\(row.key): \(error.message)")
                    }
                } else {
                    guard case .success = absent else { Issue.record("\(row.key) has no default, yet without it: \(absent)"); continue }
                }
            } else {
                let literal = try #require(row.defaultCell.firstMatch(of: /^`(.+)`$/).map { String($0.1) }, "\(row.key): default \(row.defaultCell)")
                let value = try JSON(parsing: Array(literal.utf8))
                let given = Self.parse(Self.with(example, row.key, value))
                guard case .success(let withDefault) = given, case .success(let without) = absent else {
                    Issue.record("\(row.key): with \(literal): \(given); without: \(absent)")
                    continue
                }
                // `pool.currencyIsExplicit` records whether the file named the currency (a native-coin pool must).
                let explicit = /currencyIsExplicit:(true|false)/
                #expect(withDefault.replacing(explicit, with: "") == without.replacing(explicit, with: ""),
                        "\(row.key): the reader's default is not \(literal)")
            }
        }
    }
}
