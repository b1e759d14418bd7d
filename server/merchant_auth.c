/* Merchant API authentication: "Authorization: Bearer <key>" checked against BILLKEY_API_KEYS. */
#include "server/merchant_auth.h"

#include <string.h>
#include <strings.h>

#include "server/app.h"
#include "server/config.h"

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

const char *merchant_auth_require(struct request *req, struct reply *rep)
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
        name = config_api_key_name(req->app->cfg, copy);
        memset(copy, 0, sizeof copy);
    }
    if (!name) {
        reply_error(rep, req, 401, "unauthorized", NULL, "the merchant API key is not valid");
        reply_set_header(rep, "WWW-Authenticate", CHALLENGE_INVALID);
        return NULL;
    }
    return name;
}
