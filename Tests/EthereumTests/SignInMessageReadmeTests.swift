import Foundation
import Testing
import TestSupport
@testable import Ethereum

/// README.md's "Registering a trader's OKX key (worked example)" must stay true: its message is a
/// conforming EIP-4361 message, its signature recovers the documented address, this module signs it
/// to the same bytes, and its `sign.py` prints them.
@Suite struct SignInMessageReadmeTests {
    static let heading = "### Registering a trader's OKX key (worked example)"

    /// The section's fenced code blocks, in order, with their info strings.
    static func codeBlocks() throws -> [(info: String, body: String)] {
        let readme = try String(contentsOf: ReferencePython.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex(of: heading), "README.md has no section \"\(heading)\"")
        var blocks: [(info: String, body: String)] = []
        var open: (info: String, lines: [String])?
        for line in lines[(start + 1)...] {
            if open == nil && (line.hasPrefix("## ") || line.hasPrefix("### ")) { break }
            if line.hasPrefix("```") {
                if let block = open {
                    blocks.append((block.info, block.lines.joined(separator: "\n")))
                    open = nil
                } else {
                    open = (String(line.dropFirst(3)), [])
                }
            } else if open != nil {
                open?.lines.append(line)
            }
        }
        return blocks
    }

    @Test func theWorkedExampleSignatureRecoversTheDocumentedWallet() throws {
        let blocks = try Self.codeBlocks()
        let texts = blocks.filter { $0.info == "text" }.map(\.body)
        try #require(texts.count == 2, "the section holds two text blocks: the message, then the signature")
        let (messageText, signature) = (texts[0], texts[1])

        let message = try SignInMessage(parsing: messageText)
        #expect(message.text == messageText)
        #expect(message.address.checksummed == PersonalMessageTests.devAddress)
        #expect(message.domain == "keeper.example" && message.chainId == 31337)
        #expect(message.statement?.contains("0x5FbDB2315678afecb367f032d93F642f64180aa3") == true)
        #expect(try PersonalMessage.signer(of: messageText, signature: signature).checksummed == PersonalMessageTests.devAddress)

        let key = try PrivateKey(hex: PersonalMessageTests.devKey)
        #expect(try key.signPersonalMessage(messageText) == signature)
        let readme = try String(contentsOf: ReferencePython.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("`0x\(PersonalMessageTests.devKey)`") && readme.contains("`\(PersonalMessageTests.devAddress)`"))
    }

    @Test func theReadmeSignScriptPrintsTheDocumentedSignature() throws {
        let blocks = try Self.codeBlocks()
        let texts = blocks.filter { $0.info == "text" }.map(\.body)
        let scripts = blocks.filter { $0.info == "python" }.map(\.body)
        try #require(texts.count == 2 && scripts.count == 1, "the section holds the message, the signature and sign.py")
        // sign.py reads the key from WALLET_KEY and the challenge's answer on standard input.
        let script = "import os\nos.environ[\"WALLET_KEY\"] = \"0x\(PersonalMessageTests.devKey)\"\n" + scripts[0]
        let challenge = try jsonText(["message": texts[0], "nonce": "32891756a1b2c3d4", "expiresAt": "2026-12-06T12:10:00Z"])
        #expect(try ReferencePython.run(script, stdin: challenge) == texts[1])
    }
}
