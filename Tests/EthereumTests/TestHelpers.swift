import Foundation
import Testing
import Crypto
import TestSupport
@testable import Ethereum

extension SeededRandom {
    /// A value with a random bit length, so small, medium and full-width values all occur.
    mutating func uint256() -> UInt256 {
        let bits = Int.random(in: 0...256, using: &self)
        let full = UInt256(w0: next(), w1: next(), w2: next(), w3: next())
        return bits == 0 ? .zero : full >> (256 - bits)
    }
}

/// A JSON fixture from `Fixtures/`.
func fixture(_ name: String) throws -> Data {
    guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
        throw FixtureMissing(name: name)
    }
    return try Data(contentsOf: url)
}

struct FixtureMissing: Error { let name: String }

func hex(_ text: String) -> [UInt8] { Hex.decode(text) ?? [] }

/// JSON text for stdin of a reference-Python script.
func jsonText(_ object: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}

/// Reads the reference script's JSON answer.
func jsonObject(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8))
}

/// Expects `body` to throw an `EthereumError` with `code`.
func expectError<T>(_ code: EthereumError.Code, _ comment: Comment? = nil,
                    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T) {
    do {
        let value = try body()
        Issue.record("expected \(code), got \(value) \(comment.map { "(\($0))" } ?? "")", sourceLocation: sourceLocation)
    } catch let error as EthereumError {
        #expect(error.code == code, "\(error) \(comment.map { "(\($0))" } ?? "")", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected EthereumError \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
