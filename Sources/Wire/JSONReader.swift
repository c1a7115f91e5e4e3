/// Reads one JSON document a member or an element at a time, for answers too large to hold as a
/// `JSON` tree: an `eth_getLogs` answer of 15,000 logs is 25 MB of text and more again as a tree,
/// while one log at a time is a few hundred bytes. Same grammar and limits as `JSON(parsing:)`.
///
///     var reader = JSONReader(bytes)
///     try reader.beginArray()
///     while try reader.nextElement() { let item = try reader.readValue() … }
///     try reader.end()
public struct JSONReader {
    private var parser: JSONParser

    public init(_ bytes: [UInt8]) { parser = JSONParser(bytes) }

    /// Consumes `[`.
    public mutating func beginArray() throws(JSONParseError) { try parser.begin(UInt8(ascii: "[")) }

    /// Consumes `{`.
    public mutating func beginObject() throws(JSONParseError) { try parser.begin(UInt8(ascii: "{")) }

    /// True when another element of the array being read follows (its value is next); false,
    /// having consumed `]`, at the end.
    public mutating func nextElement() throws(JSONParseError) -> Bool { try parser.next(closing: UInt8(ascii: "]")) }

    /// The next member's name (its value is next), or nil, having consumed `}`, at the end.
    public mutating func nextMember() throws(JSONParseError) -> String? {
        guard try parser.next(closing: UInt8(ascii: "}")) else { return nil }
        return try parser.memberName()
    }

    /// The next value, whole.
    public mutating func readValue() throws(JSONParseError) -> JSON {
        parser.skipWhitespace()
        return try parser.parseValue()
    }

    /// True when the next value starts with `byte` (e.g. `[`), without consuming it.
    public mutating func peek(_ byte: UInt8) -> Bool {
        parser.skipWhitespace()
        return parser.index < parser.bytes.count && parser.bytes[parser.index] == byte
    }

    /// Checks that nothing but whitespace follows the document.
    public mutating func end() throws(JSONParseError) {
        parser.skipWhitespace()
        guard parser.index == parser.bytes.count else { throw parser.fail("unexpected content after the document") }
    }
}
