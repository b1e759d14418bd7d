/* Merchant API keys (BILLKEY_API_KEYS): the key type and the two ways of finding one. */
#ifndef BILLKEY_MERCHANT_KEYS_H
#define BILLKEY_MERCHANT_KEYS_H

#include <stddef.h>

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

/* The key called `name` (borrowed from keys), or NULL. */
const struct merchant_key *merchant_key_find(const struct merchant_key *keys, size_t count,
                                             const char *name);

#endif
