/* Merchant API authentication: "Authorization: Bearer <key>" checked against BILLKEY_API_KEYS. */
#ifndef BILLKEY_MERCHANT_AUTH_H
#define BILLKEY_MERCHANT_AUTH_H

#include <stddef.h>

struct reply;
struct request;

/* One merchant API key ("name:key" in BILLKEY_API_KEYS). Whoever holds the array owns the
 * strings (the config does). */
struct merchant_key {
    char *name;
    char *key;
};

/* Finds the key equal to `presented_key`, comparing SHA-256 digests with CRYPTO_memcmp against
 * every candidate (no early exit), so timing does not depend on how much of a key matched.
 * Returns the key's name (borrowed from keys), or NULL when no key matches or presented_key is
 * NULL or empty. */
const char *merchant_key_name(const struct merchant_key *keys, size_t count,
                              const char *presented_key);

/* Returns the name of the merchant API key the request presents (borrowed from keys), or NULL
 * after answering 401 `unauthorized` with `WWW-Authenticate: Bearer realm="billkey"` (plus
 * error="invalid_token" when a key was presented but is not valid). The scheme is matched
 * case-insensitively; exactly one key must follow it. The key is never logged or echoed. */
const char *merchant_auth_require(const struct merchant_key *keys, size_t count,
                                  struct request *req, struct reply *rep);

#endif
