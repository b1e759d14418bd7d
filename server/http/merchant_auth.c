/* Merchant API authentication: "Authorization: Bearer <key>" checked against BILLKEY_API_KEYS. */
#include "server/http/merchant_auth.h"

#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "server/http/http.h"

#define CHALLENGE "Bearer realm=\"billkey\""
#define CHALLENGE_INVALID "Bearer realm=\"billkey\", error=\"invalid_token\""

/* The key after "Bearer " (spaces and tabs around it skipped), or NULL when the header does not
 * have that shape. *key_len gets its length. */
static const char *bearer_key(const char *header, size_t *key_len)
{
    if (!header || strncasecmp(header, "Bearer", 6) != 0 ||
        (header[6] != ' ' && header[6] != '\t'))
        return NULL;
    const char *key = header + 6;
    key += strspn(key, " \t");
    size_t n = strcspn(key, " \t");
    if (n == 0 || key[n + strspn(key + n, " \t")] != '\0')
        return NULL;
    *key_len = n;
    return key;
}

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

const char *merchant_auth_require(const struct merchant_key *keys, size_t count,
                                  struct request *req, struct reply *rep)
{
    const char *header = request_header(req, "Authorization");
    size_t key_len = 0;
    const char *key = bearer_key(header, &key_len);

    if (!header) {
        reply_error(rep, req, 401, "unauthorized", NULL,
                    "missing 'Authorization: Bearer <merchant API key>' header");
        reply_set_header(rep, "WWW-Authenticate", CHALLENGE);
        return NULL;
    }
    if (!key) {
        reply_error(rep, req, 401, "unauthorized", NULL,
                    "the 'Authorization' header must be 'Bearer <merchant API key>'");
        reply_set_header(rep, "WWW-Authenticate", CHALLENGE);
        return NULL;
    }
    char copy[512];
    const char *name = NULL;
    if (key_len < sizeof copy) {
        memcpy(copy, key, key_len);
        copy[key_len] = '\0';
        name = merchant_key_name(keys, count, copy);
        memset(copy, 0, sizeof copy);
    }
    if (!name) {
        reply_error(rep, req, 401, "unauthorized", NULL, "the merchant API key is not valid");
        reply_set_header(rep, "WWW-Authenticate", CHALLENGE_INVALID);
        return NULL;
    }
    return name;
}
