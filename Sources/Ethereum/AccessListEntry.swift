/// One entry of an EIP-2930 access list: an address and the storage slots a transaction
/// declares it will touch (https://eips.ethereum.org/EIPS/eip-2930).
public struct AccessListEntry: Sendable, Hashable {
    public var address: Address
    public var storageKeys: [Hash]

    public init(address: Address, storageKeys: [Hash] = []) {
        self.address = address
        self.storageKeys = storageKeys
    }

    /// `[address, [key, …]]`.
    var rlp: RLPItem {
        .list([RLPItem(address: address), .list(storageKeys.map { .bytes($0.bytes) })])
    }

    /// Reads `[address, [32-byte key, …]]`.
    init(rlp item: RLPItem) throws(EthereumError) {
        let fields = try item.asList()
        guard fields.count == 2 else {
            throw EthereumError(.rlpUnexpectedItem, "an access list entry has 2 fields, found \(fields.count)")
        }
        address = try fields[0].asAddress()
        var keys: [Hash] = []
        for key in try fields[1].asList() {
            keys.append(try Hash(bytes: try key.asBytes()))
        }
        storageKeys = keys
    }
}
