import Testing
@testable import Ethereum
@testable import Indexer
@testable import Keeper

/// `PoolAsset.check`: what the chain says the pool pays in against the `pool` section.
@Suite struct PoolAssetTests {
    let token = try! Address(hex: "0x3E103f08516104537438b252c4ab5fD531FbD4A4")

    func refusal(_ asset: PoolAsset, _ pool: PoolConfig) -> KeeperError? {
        do { try asset.check(against: pool); return nil } catch { return error }
    }

    @Test func aTokenPoolMatchesItsSymbolAndDecimals() {
        let usdt = PoolAsset(token: token, symbol: "USDT", decimals: 6)
        #expect(refusal(usdt, PoolConfig(currency: "USDT", decimals: 6, currencyIsExplicit: false)) == nil, "the defaults describe USDT")
        #expect(refusal(PoolAsset(token: token, symbol: "usdt", decimals: 6), PoolConfig(currency: "USDT", decimals: 6)) == nil, "case of the symbol")
        let wrongDecimals = refusal(usdt, PoolConfig(currency: "USDT", decimals: 18))
        #expect(wrongDecimals?.code == .config)
        #expect(wrongDecimals?.message == "the pool pays in \"USDT\" (token 0x3E103f08516104537438b252c4ab5fD531FbD4A4, 6 decimals), not pool.currency \"USDT\" "
            + "with pool.decimals 18: set pool.currency to \"USDT\" and pool.decimals to 6, or check chain.contract")
        #expect(refusal(usdt, PoolConfig(currency: "USDC", decimals: 6))?.code == .config)
    }

    @Test func aNativePoolNeedsTheCoinSetOnPurposeWith18Decimals() {
        let native = PoolAsset(token: nil, symbol: nil, decimals: 18)
        #expect(refusal(native, PoolConfig(currency: "ETH", decimals: 18)) == nil)
        let defaulted = refusal(native, PoolConfig(currency: "USDT", decimals: 6, currencyIsExplicit: false))
        #expect(defaulted?.code == .config)
        #expect(defaulted?.message.contains("set pool.currency to that coin (e.g. \"ETH\") and pool.decimals to 18") == true)
        #expect(refusal(native, PoolConfig(currency: "ETH", decimals: 6))?.code == .config)
    }

    @Test func aHostileSymbolIsShownPrintableAndShort() {
        let odd = PoolAsset(token: token, symbol: "US\u{1B}[31mDT\"\n" + String(repeating: "X", count: 40), decimals: 6)
        let message = refusal(odd, PoolConfig(currency: "USDT", decimals: 6))?.message ?? ""
        #expect(!message.contains("\u{1B}") && !message.contains("\n"))
        #expect(message.contains("…"))
    }

    @Test func baseUnitsPrintAsWholeUnits() {
        #expect(PoolUnits.text(UInt256(12_500_000), decimals: 6) == "12.5")
        #expect(PoolUnits.text(UInt256(5), decimals: 6) == "0.000005")
        #expect(PoolUnits.text(.zero, decimals: 6) == "0")
        #expect(PoolUnits.text(UInt256(42), decimals: 0) == "42")
        #expect(PoolUnits.text(UInt256(1_000_000), decimals: 6) == "1")
    }
}
