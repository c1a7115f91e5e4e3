import Testing
@testable import Wire

@Suite struct JSONTests {
    @Test func parsesAndKeepsNumberText() throws {
        let value = try JSON(parsing: #"{"a":[1,-2.5e3,0],"b":"x\u00e9\ud83d\ude00\n","c":null,"d":true,"big":115792089237316195423570985008687907853269984665640564039457584007913129639935}"#)
        #expect(value["a"]?[1] == .number("-2.5e3"))
        #expect(value["b"]?.stringValue == "xé😀\n")
        #expect(value["c"] == .null)
        #expect(value["d"]?.boolValue == true)
        #expect(value["big"] == .number("115792089237316195423570985008687907853269984665640564039457584007913129639935"))
    }

    @Test func readerReadsElementsAndMembersAsTheParserDoes() throws {
        let text = #" [ {"a": 1, "b": [true, {"c": "d"}]}, "x\u00e9", null, [] ] "#
        var reader = JSONReader(Array(text.utf8))
        var items = [JSON]()
        try reader.beginArray()
        #expect(try reader.nextElement())
        try reader.beginObject()
        var members = [String: JSON]()
        while let name = try reader.nextMember() { members[name] = try reader.readValue() }
        items.append(.object(members))
        while try reader.nextElement() { items.append(try reader.readValue()) }
        try reader.end()
        #expect(JSON.array(items) == (try JSON(parsing: text)))
    }

    @Test(arguments: [#"[1,]"#, #"[,1]"#, #"[1 2]"#, #"{"a" 1}"#, #"[1] 2"#, #"[1"#])
    func readerRejectsWhatTheParserRejects(text: String) {
        #expect(throws: JSONParseError.self) { try JSON(parsing: text) }
        #expect(throws: JSONParseError.self) {
            var reader = JSONReader(Array(text.utf8))
            if reader.peek(UInt8(ascii: "{")) {
                try reader.beginObject()
                while try reader.nextMember() != nil { _ = try reader.readValue() }
            } else {
                try reader.beginArray()
                while try reader.nextElement() { _ = try reader.readValue() }
            }
            try reader.end()
        }
    }

    @Test func serializesCanonically() throws {
        let value: JSON = ["z": 1, "a": ["k": "v\"\u{1}", "b": [true, nil]], "m": "é"]
        #expect(value.serializedString == #"{"a":{"b":[true,null],"k":"v\"\u0001"},"m":"é","z":1}"#)
        #expect(try JSON(parsing: value.serialized()) == value)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "+1", "\"\\x\"", "\"\u{1}\"", "tru", "nul",
        "[1] 2", "{\"a\":1,\"a\":2}", "\"\\ud800\"", "{1:2}", "NaN", "\"abc",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON(parsing: text) }
    }

    @Test func rejectsInvalidUTF8AndExcessiveDepth() {
        #expect(throws: JSONParseError.self) { try JSON(parsing: [0x22, 0xFF, 0x22]) }
        let deep = String(repeating: "[", count: JSON.maximumDepth + 1) + String(repeating: "]", count: JSON.maximumDepth + 1)
        #expect(throws: JSONParseError.self) { try JSON(parsing: deep) }
        let ok = String(repeating: "[", count: JSON.maximumDepth) + String(repeating: "]", count: JSON.maximumDepth)
        #expect(throws: Never.self) { try JSON(parsing: ok) }
    }
}
