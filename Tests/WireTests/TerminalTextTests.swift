import Testing
@testable import Wire

@Suite struct TerminalTextTests {
    @Test func controlCharactersBecomeVisibleEscapes() {
        #expect(TerminalText.escaped("BTC-USDT\n\u{1B}[31mX") == "BTC-USDT\\n\\x1b[31mX")
        #expect(TerminalText.escaped("a\tb\rc\u{0}d\u{7F}e\u{9B}f") == "a\\tb\\rc\\x00d\\x7fe\\x9bf")
        #expect(TerminalText.escaped("abc\u{202E}fed") == "abc\\u{202e}fed", "a bidi override cannot reorder what follows")
        #expect(TerminalText.escaped("BTC-USDT-SWAP · 12,5 € ✓") == "BTC-USDT-SWAP · 12,5 € ✓", "printable text is left alone")
        #expect(TerminalText.isPlain("ETH-USDT") && !TerminalText.isPlain("ETH\n"))
        let once = TerminalText.escaped("x\u{1B}y\\n")
        #expect(TerminalText.escaped(once) == once, "escaping twice changes nothing")
    }

    @Test func anExcerptIsCutAfterEscaping() {
        #expect(TerminalText.excerpt(String(repeating: "a", count: 10_000)) == String(repeating: "a", count: 64) + "…")
        #expect(TerminalText.excerpt(String(repeating: "a", count: 64)) == String(repeating: "a", count: 64))
        #expect(TerminalText.excerpt("ab\u{1B}cd", limit: 4) == "ab…", "an escape is never cut in half")
        #expect(TerminalText.excerpt("ab\u{1B}cd", limit: 6) == "ab\\x1b…")
    }
}
