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

/* OSSL_PARAM constructors are functions already; these names are macros Swift cannot see. */
static inline const char *COpenSSL_MAC_PARAM_DIGEST(void) { return OSSL_MAC_PARAM_DIGEST; }
#endif
