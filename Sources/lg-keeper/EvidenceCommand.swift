import Foundation
import Keeper
import Settlement
import Verification
import Wire

/// `lg-keeper evidence show ID` and `lg-keeper evidence verify FILE|ID`.
enum EvidenceCommand {
    static let command = Command(
        name: "evidence",
        usage: "evidence show ID [--json] | verify FILE|ID [--chain [--wallet 0x…]] [--config FILE | --db FILE --evidence-dir DIR]",
        summary: "show an evidence bundle, or recompute its Merkle root and bundle hash (exit 1 when they differ); "
            + "--chain also compares the root with the indexed PayoutVerified event",
        run: run)

    static func run(_ words: [String]) async throws -> ExitCode {
        let arguments = try Arguments(words, valued: ["db", "config", "evidence-dir", "wallet"], flags: ["json", "chain"])
        guard arguments.positionals.count == 2 else { throw UsageError("say `evidence show ID` or `evidence verify FILE|ID`") }
        let action = arguments.positionals[0], target = arguments.positionals[1]
        let files = EvidenceFiles(root: try arguments.value("evidence-dir") ?? DatabaseOption.config(arguments)?.evidence.dir ?? "reports/evidence")
        let database = try DatabaseOption.path(arguments)
        switch action {
        case "show":
            guard !arguments.flag("chain"), arguments.value("wallet") == nil else {
                throw UsageError("--chain and --wallet apply to `evidence verify` only")
            }
            let path = try locate(target, files: files, database: database, allowFile: false)
            return try show(path: path, json: arguments.flag("json"))
        case "verify":
            guard !arguments.flag("json") else { throw UsageError("--json applies to `evidence show` only") }
            guard arguments.flag("chain") || arguments.value("wallet") == nil else { throw UsageError("--wallet applies with --chain only") }
            let chain = arguments.flag("chain") ? ChainCheck(database: database, wallet: arguments.value("wallet")) : nil
            return try verify(path: try locate(target, files: files, database: database, allowFile: true), chain: chain)
        default:
            throw UsageError("unknown action '\(TerminalText.excerpt(action))': use show or verify")
        }
    }

    /// A file path as given, else the `evidence` row's path, else the standard layout under the evidence directory.
    static func locate(_ target: String, files: EvidenceFiles, database: String, allowFile: Bool) throws -> String {
        if allowFile, FileManager.default.fileExists(atPath: target) { return target }
        guard (try? EvidenceDay(evidenceId: target)) != nil else {
            throw UsageError(allowFile ? "'\(TerminalText.excerpt(target))' is neither an existing file nor an evidence id (evi_YYYYMMDD_…)"
                                       : "'\(target)' is not an evidence id (evi_YYYYMMDD_ and 16 hex digits)")
        }
        if let db = try DatabaseOption.open(database, create: false),
           let entry = try EvidenceLedger(database: db).entry(target), FileManager.default.fileExists(atPath: entry.path) {
            return entry.path
        }
        let path = try files.documentPath(for: target)
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure(.problemFound, "no evidence \(target): not in \(database) and no file \(path)")
        }
        return path
    }

    static func read(_ path: String) throws -> JSON {
        do { return try EvidenceFiles.read(path: path) } catch {
            throw CommandFailure(error.code == .fileSystem ? .unavailable : .badData, error.message)
        }
    }

    static func show(path: String, json: Bool) throws -> ExitCode {
        let document = try read(path)
        if json {
            print(CanonicalJSON.string(document))
            return .ok
        }
        let evidence = document["evidence"], meta = document["meta"], position = document["normalized"]?["position"]
        func text(_ value: JSON?) -> String {
            switch value {
            case .string(let s)?: TerminalText.escaped(s)
            case .bool(let b)?: String(b)
            case .number(let n)?: n
            case nil, .null?: "-"
            case let other?: TerminalText.escaped(CanonicalJSON.string(other))
            }
        }
        print("evidence id   \(text(evidence?["evidenceId"]))")
        print("file          \(path)")
        print("order         \(text(meta?["ordId"])) \(text(meta?["instId"]))")
        print("verified at   \(text(meta?["verifiedAt"]))")
        print("liquidated    \(text(position?["liquidated"])) (\(text(position?["reason"])))")
        print("payout        \(text(document["normalized"]?["payout"]?["amount"]))")
        print("root          \(text(evidence?["root"])) (\(text(evidence?["rootAlgo"])))")
        print("bundle hash   \(text(evidence?["bundleHash"]))")
        for leaf in evidence?["leaves"]?.arrayValue ?? [] {
            print("  leaf \(text(leaf["hash"])) \(text(leaf["path"]))")
        }
        return .ok
    }

    static func verify(path: String, chain: ChainCheck? = nil) throws -> ExitCode {
        let document = try read(path)
        let check: EvidenceCheck
        do { check = try EvidenceCheck(document: document) } catch { throw CommandFailure(.badData, "\(path): \(error.message)") }
        var problems = check.problems
        let rootFile = (path as NSString).deletingPathExtension + ".root"
        if let stored = try? String(contentsOfFile: rootFile, encoding: .utf8),
           stored.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() != check.computedRoot {
            problems.append("\(rootFile) holds \(stored.trimmingCharacters(in: .whitespacesAndNewlines)), recomputed \(check.computedRoot)")
        }
        print("evidence id   \(TerminalText.escaped(check.evidenceId ?? "-"))")
        print("root          \(check.computedRoot) (recomputed)")
        print("bundle hash   \(check.computedBundleHash) (recomputed)")
        if let chain {
            let (lines, problem) = try chain.compare(document: document, evidenceId: check.evidenceId, root: check.computedRoot)
            lines.forEach { print(TerminalText.escaped($0)) }
            if let problem { problems.append(problem) }
        }
        guard problems.isEmpty else {
            if let leaf = check.firstDifferingLeaf { print("first differing leaf: \(TerminalText.escaped(leaf))") }
            for problem in problems { print("MISMATCH  \(TerminalText.escaped(problem))") }
            FileHandle.standardError.write(Data("lg-keeper: evidence \(path) does not verify\(check.firstDifferingLeaf.map { ": leaf '\(TerminalText.escaped($0))' differs" } ?? "")\n".utf8))
            return .problemFound
        }
        print("ok            root, bundle hash, leaves and evidence id match\(chain == nil ? "" : ", and the chain's PayoutVerified carries the root")")
        return .ok
    }
}
