/* Merchant API keys (BILLKEY_API_KEYS): find one by its secret (in constant time) or by its name. */
#include "server/http/merchant_keys.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

const char *merchant_key_name(const struct merchant_key *keys, size_t count,
                              const char *presented_key)
{
    unsigned char want[SHA256_DIGEST_LENGTH], got[SHA256_DIGEST_LENGTH];
    const char *found = NULL;

    if (!presented_key || presented_key[0] == '\0')
        return NULL;
    SHA256((const unsigned char *)presented_key, strlen(presented_key), want);
    for (size_t i = 0; i < count; i++) {
        const char *key = keys[i].key;
        SHA256((const unsigned char *)key, strlen(key), got);
        int differs = CRYPTO_memcmp(want, got, sizeof want) != 0;
        if (!differs && !found)
            found = keys[i].name;
    }
    return found;
}

const struct merchant_key *merchant_key_find(const struct merchant_key *keys, size_t count,
                                             const char *name)
{
    for (size_t i = 0; name && i < count; i++) {
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    }
    return NULL;
}
