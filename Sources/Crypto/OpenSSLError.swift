import COpenSSL

/// Reading OpenSSL's thread-local error queue into a message for `CryptoError`.
enum OpenSSLError {
    /// The queue's reasons, oldest first, joined with "; ". Clears the queue.
    static func lastMessage() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            let text = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            reasons.append(String(decoding: text, as: UTF8.self))
        }
        return reasons.isEmpty ? "no OpenSSL error recorded" : reasons.joined(separator: "; ")
    }
}
