import COpenSSL
import PrivateFiles

/// The server's TLS certificate chain and private key, loaded once into an OpenSSL context that
/// every connection's session is made from. TLS 1.2 is the oldest version offered.
///
/// The chain is a PEM file (leaf first, then intermediates); the key is a PEM file only its owner may
/// read (0600), read through its opened descriptor (`SecretFile`) and never logged.
public final class TLSIdentity: Sendable {
    /// `SSL_CTX` is safe to share once configured: sessions are created from it concurrently.
    nonisolated(unsafe) let context: OpaquePointer
    public let certificateFile: String

    public init(certificateFile: String, keyFile: String) throws(HTTPServerError) {
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw HTTPServerError(.badTLS, "cannot create a TLS context: \(Self.openSSLError())")
        }
        guard COpenSSL_SSL_CTX_set_min_tls12(context) == 1 else {
            SSL_CTX_free(context)
            throw HTTPServerError(.badTLS, "cannot require TLS 1.2 or later: \(Self.openSSLError())")
        }
        _ = COpenSSL_SSL_CTX_set_moving_write_buffer(context)
        COpenSSL_SSL_CTX_set_server_options(context)
        do throws(HTTPServerError) {
            ERR_clear_error()
            guard SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1 else {
                throw HTTPServerError(.badTLS, "the TLS certificate file \(certificateFile) holds no usable PEM certificate chain (\(Self.openSSLError())): give the server certificate, then its intermediates, in PEM")
            }
            var pem: [UInt8]
            do { pem = try SecretFile.read(keyFile, what: "TLS key file") } catch {
                throw HTTPServerError(.badTLS, error.message)
            }
            defer { SecretFile.wipe(&pem) }
            let key = pem.withUnsafeBytes { bytes -> OpaquePointer? in
                guard let bio = BIO_new_mem_buf(bytes.baseAddress, Int32(bytes.count)) else { return nil }
                defer { BIO_free(bio) }
                return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
            }
            guard let key else {
                throw HTTPServerError(.badTLS, "the TLS key file \(keyFile) holds no PEM private key (or one with a passphrase): give the certificate's unencrypted private key in PEM")
            }
            defer { EVP_PKEY_free(key) }
            guard SSL_CTX_use_PrivateKey(context, key) == 1, SSL_CTX_check_private_key(context) == 1 else {
                throw HTTPServerError(.badTLS, "the TLS key file \(keyFile) does not match the certificate in \(certificateFile): give the private key the certificate was issued for")
            }
        } catch {
            SSL_CTX_free(context)
            throw error
        }
        self.context = context
        self.certificateFile = certificateFile
    }

    deinit { SSL_CTX_free(context) }

    /// The oldest queued OpenSSL error, as text (clears the queue).
    static func openSSLError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "no detail" }
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
