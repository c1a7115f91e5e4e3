import Foundation
import Testing
import TestSupport
@testable import Ethereum
@testable import Indexer
@testable import Keeper

/// `abi/LeverageGuard.json` is the interface the keeper is built against: the Vyper contract
/// must compile to exactly it, and every member the keeper uses must be in it unchanged.
@Suite struct ContractInterfaceTests {
    let abiFile = ReferencePython.repositoryRoot.appendingPathComponent("abi/LeverageGuard.json")

    @Test func compiledContractABIEqualsTheCommittedFile() throws {
        // Entries compared as sorted canonical JSON, so key and entry order do not matter.
        let verdict = try ReferencePython.run("""
            import json, subprocess, sys
            root = \(ContractInterfaceTests.python(ReferencePython.repositoryRoot.path))
            compiled = json.loads(subprocess.check_output([sys.executable, "-m", "vyper", "-f", "abi", root + "/devnet/LeverageGuard.vy"]))
            committed = json.load(open(root + "/abi/LeverageGuard.json"))
            canon = lambda entries: sorted(json.dumps(e, sort_keys=True) for e in entries)
            print("equal" if canon(compiled) == canon(committed) else "differ")
            """)
        #expect(verdict == "equal", "devnet/LeverageGuard.vy no longer compiles to abi/LeverageGuard.json")
    }

    @Test func everyMemberTheKeeperUsesIsInTheABI() throws {
        let abi = try ContractABI(json: Data(contentsOf: abiFile))
        for event in LeverageGuardContract.events {
            let committed = try abi.event(event.name)
            #expect(committed.signature == event.signature)
            #expect(committed.inputs.map(\.indexed) == event.inputs.map(\.indexed), "\(event.name) indexed flags")
            #expect(committed.inputs.map(\.name) == event.inputs.map(\.name), "\(event.name) argument names")
        }
        for function in LeverageGuardContract.functions {
            let committed = try abi.function(function.name)
            #expect(committed.signature == function.signature)
            #expect(committed.inputs.map(\.name) == function.inputs.map(\.name), "\(function.name) argument names")
            #expect(committed.inputs.map(\.components) == function.inputs.map(\.components), "\(function.name) struct fields")
            #expect(committed.outputs.map(\.type) == function.outputs.map(\.type), "\(function.name) outputs")
            #expect(committed.stateMutability == function.stateMutability, "\(function.name) mutability")
        }
    }

    static func python(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
