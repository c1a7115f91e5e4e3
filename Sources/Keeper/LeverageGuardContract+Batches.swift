import Ethereum

// Placeholder until the `contract` branch lands (it declares these in LeverageGuardContract.swift).
extension LeverageGuardContract {
    private static let verdictTuple = ABIType.tuple([.address, .uint(256), .uint(256), .bool, .fixedBytes(32)])
    private static let keyTuple = ABIType.tuple([.address, .uint(256)])
    public static let verifyAndPay = ABIFunction(name: "verifyAndPay", inputs: [
        ABIParameter(name: "user", type: .address), ABIParameter(name: "orderId", type: .uint(256)), ABIParameter(name: "amount", type: .uint(256)),
        ABIParameter(name: "liquidated", type: .bool), ABIParameter(name: "evidenceRoot", type: .fixedBytes(32)),
    ])
    public static let verifyPayoutBatch = ABIFunction(name: "verifyPayoutBatch", inputs: [ABIParameter(name: "items", type: .array(verdictTuple))])
    public static let verifyAndPayBatch = ABIFunction(name: "verifyAndPayBatch", inputs: [ABIParameter(name: "items", type: .array(verdictTuple))])
    public static let executePayoutBatch = ABIFunction(name: "executePayoutBatch", inputs: [ABIParameter(name: "items", type: .array(keyTuple))])
}
