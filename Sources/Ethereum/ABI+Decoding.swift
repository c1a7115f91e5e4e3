extension ABI {
    /// Decodes `data` as the tuple `(types…)`. Strict: every offset and length is bounds-checked
    /// before use, every value must be in range for its type (`uint8` ≤ 255, bool 0 or 1, clean
    /// address and `bytes<M>` padding, sign-extended `int<M>`), and the padding after `bytes`
    /// and `string` must be present and zero. Trailing data after the encoding is ignored.
    ///
    /// Hostile input cannot make it allocate or work much beyond the size of `data`: element
    /// counts are checked against the bytes left, and offsets that alias the same data many
    /// times over are refused with `.abiDecodingLimit`.
    public static func decode(_ types: [ABIType], from data: some Collection<UInt8>) throws(EthereumError) -> [ABIValue] {
        for type in types { try type.validate() }
        var decoder = Decoder(data: Array(data))
        return try decoder.decodeTuple(types, at: 0)
    }

    /// Decodes one value-type word (an indexed event topic).
    static func decodeWord(_ type: ABIType, from word: [UInt8]) throws(EthereumError) -> ABIValue {
        try type.validate()
        var decoder = Decoder(data: word)
        return try decoder.decodeValue(type, at: 0)
    }

    private struct Decoder {
        let data: [UInt8]
        /// Words left to read. Each word of a canonical encoding is read once, so a budget
        /// proportional to the data size only stops aliased offsets.
        private var budget: Int

        init(data: [UInt8]) {
            self.data = data
            self.budget = 2 * (data.count / 32) + 64
        }

        mutating func decodeTuple(_ types: [ABIType], at base: Int) throws(EthereumError) -> [ABIValue] {
            let headSize = types.reduce(0) { $0 + $1.headSize }
            guard headSize <= data.count - base else {
                throw EthereumError(.abiOutOfBounds, "data ends at byte \(data.count), but a head of \(headSize) bytes starts at \(base)")
            }
            var values: [ABIValue] = []
            values.reserveCapacity(types.count)
            var head = base
            for type in types {
                if type.isDynamic {
                    let offset = try readSize(at: head, what: "offset of a \(type.canonicalName)")
                    guard offset <= data.count - base else {
                        throw EthereumError(.abiOutOfBounds, "offset \(offset) of a \(type.canonicalName) at byte \(head) points past the end of the data")
                    }
                    values.append(try decodeValue(type, at: base + offset))
                } else {
                    values.append(try decodeValue(type, at: head))
                }
                head += type.headSize
            }
            return values
        }

        mutating func decodeValue(_ type: ABIType, at position: Int) throws(EthereumError) -> ABIValue {
            switch type {
            case .uint(let bits):
                let value = try readWord(at: position)
                guard value.bitLength <= bits else {
                    throw EthereumError(.abiValueOutOfRange, "\(value) at byte \(position) does not fit uint\(bits)")
                }
                return .uint(value)
            case .int(let bits):
                let value = Int256(bitPattern: try readWord(at: position))
                guard value.fits(bits: bits) else {
                    throw EthereumError(.abiValueOutOfRange, "word at byte \(position) is not a sign-extended int\(bits)")
                }
                return .int(value)
            case .address:
                let bytes = try readBytes(at: position, count: 32)
                guard bytes.prefix(12).allSatisfy({ $0 == 0 }) else {
                    throw EthereumError(.abiValueOutOfRange, "address at byte \(position) has nonzero upper 12 bytes")
                }
                return .address(Address(unchecked: Array(bytes.suffix(20))))
            case .bool:
                let value = try readWord(at: position)
                guard value <= .one else {
                    throw EthereumError(.abiValueOutOfRange, "bool at byte \(position) is \(value), not 0 or 1")
                }
                return .bool(value == .one)
            case .fixedBytes(let count):
                let bytes = try readBytes(at: position, count: 32)
                guard bytes.dropFirst(count).allSatisfy({ $0 == 0 }) else {
                    throw EthereumError(.abiValueOutOfRange, "bytes\(count) at byte \(position) has nonzero padding")
                }
                return .fixedBytes(Array(bytes.prefix(count)))
            case .bytes:
                return .bytes(try readDynamicBytes(at: position))
            case .string:
                let bytes = try readDynamicBytes(at: position)
                guard let text = String(validating: bytes, as: UTF8.self) else {
                    throw EthereumError(.abiInvalidUTF8, "string at byte \(position) is not valid UTF-8")
                }
                return .string(text)
            case .array(let element):
                let count = try readSize(at: position, what: "length of a \(type.canonicalName)")
                let start = position + 32
                // Each element takes at least its head size (32 bytes or more) after the length word.
                guard count <= (data.count - start) / element.headSize else {
                    throw EthereumError(.abiOutOfBounds, "\(type.canonicalName) at byte \(position) claims \(count) elements; the data holds fewer")
                }
                return .array(try decodeTuple(Array(repeating: element, count: count), at: start))
            case .fixedArray(let element, let count):
                guard count <= (data.count - position) / element.headSize else {
                    throw EthereumError(.abiOutOfBounds, "\(type.canonicalName) at byte \(position) runs past the end of the data")
                }
                return .array(try decodeTuple(Array(repeating: element, count: count), at: position))
            case .tuple(let components):
                return .tuple(try decodeTuple(components, at: position))
            }
        }

        /// A length-prefixed byte string whose zero padding to a word boundary must be present.
        private mutating func readDynamicBytes(at position: Int) throws(EthereumError) -> [UInt8] {
            let length = try readSize(at: position, what: "length of bytes")
            let start = position + 32
            let padded = (length + 31) / 32 * 32
            guard padded <= data.count - start else {
                throw EthereumError(.abiOutOfBounds, "\(length) bytes announced at byte \(position) run past the end of the data")
            }
            try spend(padded / 32, at: position)
            guard data[(start + length)..<(start + padded)].allSatisfy({ $0 == 0 }) else {
                throw EthereumError(.abiValueOutOfRange, "bytes at byte \(position) have nonzero padding")
            }
            return Array(data[start..<(start + length)])
        }

        /// A word used as an offset or length: it must not exceed the data size.
        private mutating func readSize(at position: Int, what: String) throws(EthereumError) -> Int {
            let value = try readWord(at: position)
            guard let size = Int(exactly: value), size <= data.count else {
                throw EthereumError(.abiOutOfBounds, "\(what) at byte \(position) is \(value), beyond the \(data.count) bytes of data")
            }
            return size
        }

        private mutating func readWord(at position: Int) throws(EthereumError) -> UInt256 {
            try UInt256(bytes: try readBytes(at: position, count: 32))
        }

        private mutating func readBytes(at position: Int, count: Int) throws(EthereumError) -> ArraySlice<UInt8> {
            guard position >= 0, count <= data.count - position else {
                throw EthereumError(.abiOutOfBounds, "data ends at byte \(data.count), but a word is needed at \(position)")
            }
            try spend(1, at: position)
            return data[position..<(position + count)]
        }

        private mutating func spend(_ words: Int, at position: Int) throws(EthereumError) {
            budget -= words
            guard budget >= 0 else {
                throw EthereumError(.abiDecodingLimit, "offsets reuse the same data so often that decoding would expand far beyond the \(data.count) bytes given (at byte \(position))")
            }
        }
    }
}
