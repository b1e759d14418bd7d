/* Merchant API authentication: an API key of BILLKEY_API_KEYS, or a merchant token in iamport's three forms. */
#include "server/http/merchant_auth.h"

#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "server/core/log.h"
#include "server/http/http.h"
#include "server/http/merchant_token.h"

#define CHALLENGE "Bearer realm=\"billkey\""
#define CHALLENGE_INVALID "Bearer realm=\"billkey\", error=\"invalid_token\""
/* Longer credentials are refused unread: keys are at most 256 characters, tokens shorter. */
#define CREDENTIAL_MAX 511

/* The key after "Bearer " (spaces and tabs around it skipped), or NULL when the header does not
 * have that shape. *key_len gets its length. */
static const char *bearer_key(const char *header, size_t *key_len)
{
    if (!header || strncasecmp(header, "Bearer", 6) != 0 || (header[6] != ' ' && header[6] != '\t'))
        return NULL;
    const char *key = header + 6;
    key += strspn(key, " \t");
    size_t n = strcspn(key, " \t");
    if (n == 0 || key[n + strspn(key + n, " \t")] != '\0')
        return NULL;
    *key_len = n;
    return key;
}

static int looks_like_token(const char *text)
{
    return strncmp(text, MERCHANT_TOKEN_PREFIX, sizeof MERCHANT_TOKEN_PREFIX - 1) == 0;
}

/* Checks one token; logs why it was refused (never the token). */
static enum merchant_auth_result check_token(const struct merchant_key *keys, size_t count,
                                             const struct clock *clock, const struct request *req,
                                             const char *token, const char **name)
{
    enum merchant_token_status st = merchant_token_verify(keys, count, token, clock, name, NULL);
    if (st == MERCHANT_TOKEN_OK)
        return MERCHANT_AUTH_OK;
    log_msg(LOG_INFO, req->request_id, "merchant token refused: %s",
            merchant_token_status_name(st));
    return MERCHANT_AUTH_INVALID_TOKEN;
}

enum merchant_auth_result merchant_auth_identify(const struct merchant_key *keys, size_t count,
                                                 const struct clock *clock,
                                                 const struct request *req, const char **name)
{
    const char *header = request_header(req, "Authorization");
    const char *imp_header = request_header(req, "X-ImpTokenHeader");
    char copy[CREDENTIAL_MAX + 1];
    size_t len = 0;
    enum merchant_auth_result res = MERCHANT_AUTH_MISSING;

    *name = NULL;
    copy[0] = '\0';
    if (!header && !imp_header)
        goto out;
    if (!header) {
        res = check_token(keys, count, clock, req, imp_header, name);
        goto out;
    }
    const char *credential = bearer_key(header, &len);
    if (!credential) {
        /* iamport's bare form: the token is the whole header */
        res = looks_like_token(header) ? check_token(keys, count, clock, req, header, name)
                                       : MERCHANT_AUTH_MALFORMED;
        goto out;
    }
    res = looks_like_token(credential) ? MERCHANT_AUTH_INVALID_TOKEN : MERCHANT_AUTH_INVALID_KEY;
    if (len > CREDENTIAL_MAX)
        goto out;
    memcpy(copy, credential, len);
    copy[len] = '\0';
    /* A key may itself start like a token: whatever matches authenticates. */
    *name = merchant_key_name(keys, count, copy);
    if (*name)
        res = MERCHANT_AUTH_OK;
    else if (looks_like_token(copy))
        res = check_token(keys, count, clock, req, copy, name);
out:
    OPENSSL_cleanse(copy, sizeof copy);
    if (res != MERCHANT_AUTH_OK)
        *name = NULL;
    return res;
}

const char *merchant_auth_require(const struct merchant_key *keys, size_t count,
                                  const struct clock *clock, struct request *req, struct reply *rep)
{
    const char *name = NULL;
    switch (merchant_auth_identify(keys, count, clock, req, &name)) {
    case MERCHANT_AUTH_OK:
        return name;
    case MERCHANT_AUTH_MISSING:
        reply_error(rep, req, 401, "unauthorized", NULL,
                    "missing 'Authorization: Bearer <merchant API key>' header");
        reply_set_header(rep, "WWW-Authenticate", CHALLENGE);
        return NULL;
    case MERCHANT_AUTH_MALFORMED:
        reply_error(rep, req, 401, "unauthorized", NULL,
                    "the 'Authorization' header must be 'Bearer <merchant API key>'");
        reply_set_header(rep, "WWW-Authenticate", CHALLENGE);
        return NULL;
    case MERCHANT_AUTH_INVALID_KEY:
        reply_error(rep, req, 401, "unauthorized", NULL, "the merchant API key is not valid");
        break;
    case MERCHANT_AUTH_INVALID_TOKEN:
        reply_error(rep, req, 401, "unauthorized", NULL,
                    "the merchant token is not valid or has expired (get a new one from "
                    "POST /users/getToken)");
        break;
    }
    reply_set_header(rep, "WWW-Authenticate", CHALLENGE_INVALID);
    return NULL;
}

const char *merchant_auth_require_iamport(const struct merchant_key *keys, size_t count,
                                          const struct clock *clock, struct request *req,
                                          struct reply *rep)
{
    const char *name = NULL;
    enum merchant_auth_result res = merchant_auth_identify(keys, count, clock, req, &name);
    if (res == MERCHANT_AUTH_OK)
        return name;
    reply_iamport(rep, 401, -1, "Unauthorized", NULL);
    reply_set_header(rep, "WWW-Authenticate",
                     res == MERCHANT_AUTH_MISSING ? CHALLENGE : CHALLENGE_INVALID);
    return NULL;
}
