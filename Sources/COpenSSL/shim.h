#ifndef LGK_COPENSSL_SHIM_H
#define LGK_COPENSSL_SHIM_H
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/pem.h>

/* OSSL_PARAM constructors are functions already; these names are macros Swift cannot see. */
static inline const char *COpenSSL_MAC_PARAM_DIGEST(void) { return OSSL_MAC_PARAM_DIGEST; }

/* SSL_CTX_set_min_proto_version and SSL_CTX_set_mode are macros over SSL_CTX_ctrl. */
static inline int COpenSSL_SSL_CTX_set_min_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}
/* A server's TLS: no renegotiation (a client-driven CPU cost and an old attack surface). */
static inline void COpenSSL_SSL_CTX_set_server_options(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
}
/* Non-blocking writes retried from a buffer that may have moved (a Swift array). */
static inline long COpenSSL_SSL_CTX_set_moving_write_buffer(SSL_CTX *ctx) {
    return SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
}
#endif
