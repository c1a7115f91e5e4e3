import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Logging

/// Lines collected through a sink.
final class Collected: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func logger(_ format: LogFormat, level: Logger.Level = .debug) -> Logger {
        var logger = Logger(level: level, format: format, sink: LogSink { [self] line in lines.withLock { $0.append(line) } })
        logger.clock = { Date(timeIntervalSince1970: 1_700_000_000.25) }
        return logger
    }
}

@Suite struct LoggerTests {
    /// What a trader may put in an instId, OKX in a message or a node in an error.
    static let hostile = "BTC-USDT\nlg-keeper level=error msg=\"signer key exported\"\r\u{1B}[31mred\u{1B}[0m a=b \\ \u{2028}\u{9B}2J\u{202E}\u{0}\t€"

    @Test func aHostileValueStaysOneLineWithNoControlCharacterAndReadsBackWhole() throws {
        for format in LogFormat.allCases {
            let collected = Collected()
            collected.logger(format).warn("claim step failed", ["claim": "0xabc/7", "inst_id": .string(Self.hostile)])
            let line = try #require(collected.all.first)
            #expect(collected.all.count == 1)
            #expect(!line.unicodeScalars.contains { LogFormat.isHidden($0) }, "\(format): no control or invisible character raw: \(line)")
            #expect(!line.contains("\n") && !line.contains("\r") && !line.contains("\u{1B}"))
            switch format {
            case .logfmt:
                let pairs = try #require(parseLogfmt(line), "parses as logfmt: \(line)")
                #expect(pairs.map(\.0) == ["ts", "level", "msg", "claim", "inst_id"], "no forged field")
                #expect(pairs.last?.1 == Self.hostile)
                #expect(pairs[1].1 == "warn")
            case .json:
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                #expect(object["inst_id"] as? String == Self.hostile)
                #expect(object["level"] as? String == "warn")
                #expect(Set(object.keys) == ["ts", "level", "msg", "claim", "inst_id"])
            }
        }
    }

    @Test func fieldsComeAfterTsLevelAndMsgInCallOrder() throws {
        let collected = Collected()
        collected.logger(.logfmt).with(["component": "indexer"]).info("indexed", ["head": .int(UInt64(120)), "indexed": "none", "halted": .bool(false), "z": 1, "a": 2])
        #expect(collected.all == [#"ts=2023-11-14T22:13:20.250Z level=info msg=indexed component=indexer head=120 indexed=none halted=false z=1 a=2"#])
        let json = Collected()
        json.logger(.json).info("keeper started", ["signer": "0xAb", "next_nonce": .int(3), "capped": .bool(true)])
        #expect(json.all == [#"{"ts":"2023-11-14T22:13:20.250Z","level":"info","msg":"keeper started","signer":"0xAb","next_nonce":3,"capped":true}"#])
    }

    @Test func jsonLinesParseWithTypedValues() throws {
        let collected = Collected()
        let logger = collected.logger(.json)
        logger.error("round failed", ["error": "eth_getLogs 1…2: \"timeout\"", "blocks": .int(-3)])
        logger.debug("http request", ["path": "/metrics?x=\u{7F}", "ok": true])
        for line in collected.all {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["ts"] as? String == "2023-11-14T22:13:20.250Z")
            #expect(["error", "debug"].contains(object["level"] as? String ?? ""))
        }
        let first = try #require(try JSONSerialization.jsonObject(with: Data(collected.all[0].utf8)) as? [String: Any])
        #expect(first["blocks"] as? Int == -3)
        #expect(first["error"] as? String == "eth_getLogs 1…2: \"timeout\"")
        let second = try #require(try JSONSerialization.jsonObject(with: Data(collected.all[1].utf8)) as? [String: Any])
        #expect(second["path"] as? String == "/metrics?x=\u{7F}" && second["ok"] as? Bool == true)
    }

    @Test func levelsBelowTheLoggersAreDropped() {
        let collected = Collected()
        let logger = collected.logger(.logfmt, level: .warn)
        logger.debug("d")
        logger.info("i")
        logger.warn("w")
        logger.error("e")
        #expect(collected.all.map { parseLogfmt($0)?[1].1 } == ["warn", "error"])
        #expect(!logger.isEnabled(.info) && logger.isEnabled(.error))
        #expect(!Logger.discarding.isEnabled(.error))
    }

    @Test func levelAndFormatNames() {
        #expect(Logger.Level.allCases.map { Logger.Level(name: $0.description) } == Logger.Level.allCases)
        #expect(Logger.Level(name: "warning") == .warn)
        #expect(Logger.Level(name: "INFO") == nil && Logger.Level(name: "trace") == nil)
        #expect(LogFormat(rawValue: "json") == .json && LogFormat(rawValue: "text") == nil)
    }

    @Test func timestampsAreRFC3339InUTCWithMilliseconds() {
        #expect(Logger.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(Logger.timestamp(Date(timeIntervalSince1970: 1_700_000_000.25)) == "2023-11-14T22:13:20.250Z")
        #expect(Logger.timestamp(Date(timeIntervalSince1970: 951_782_400.5)) == "2000-02-29T00:00:00.500Z")
        #expect(Logger.timestamp(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }

    @Test func aLongValueIsCutShortAndAKeyCannotCarryAnEqualsSign() throws {
        let collected = Collected()
        collected.logger(.logfmt).info("x", ["error": .string(String(repeating: "y", count: 50_000)), "bad key=1": "v"])
        let line = try #require(collected.all.first)
        #expect(line.count < LogFormat.maximumValueLength + 200)
        let pairs = try #require(parseLogfmt(line))
        #expect(pairs[3].1.hasSuffix("…") && pairs[3].1.count == LogFormat.maximumValueLength + 1)
        #expect(pairs[4].0 == "bad_key_1")
    }

    @Test func bareValuesOnlyWhenNothingNeedsQuoting() {
        var out = ""
        LogFormat.logfmtValue("0xAbC/12", into: &out)
        #expect(out == "0xAbC/12")
        for text in ["", "a b", "a=b", "a\"b", "é"] {
            var quoted = ""
            LogFormat.logfmtValue(text, into: &quoted)
            #expect(quoted.hasPrefix("\"") && quoted.hasSuffix("\""), "\(text) is quoted")
        }
    }
}
