/* POST /users/getToken (public, iamport-compatible): {imp_key: key name, imp_secret: key} → the key's current merchant token (30 minutes). */
#include "routes/routes.h"

#include <string.h>

#include <openssl/crypto.h>

#include "routes/route_env.h"
#include "server/billing/token_expiry.h"
#include "server/core/clock.h"
#include "server/core/json_util.h"
#include "server/core/log.h"
#include "server/http/merchant_auth.h"
#include "server/http/merchant_token.h"

/* iamport's own text for this case (NIMP test/auth.test.js). */
#define MISSING_MESSAGE "imp_key, imp_secret 파라메터가 누락되었습니다."

/* The configured key whose name is imp_key and whose secret is imp_secret, or NULL. The secret
 * is compared in constant time against every key (merchant_key_name) before the name is. */
static const struct merchant_key *credential_key(const struct route_env *env, const char *imp_key,
                                                 const char *imp_secret)
{
    const char *name = merchant_key_name(env->merchant_keys, env->merchant_key_count, imp_secret);
    if (!name || strcmp(name, imp_key) != 0)
        return NULL;
    return merchant_key_find(env->merchant_keys, env->merchant_key_count, name);
}

void route_users_get_token(struct request *req, struct reply *rep)
{
    const struct route_env *env = route_env(req);
    const char *imp_key = NULL, *imp_secret = NULL;
    char token[MERCHANT_TOKEN_SIZE] = "";

    json_get_str(req->body, "imp_key", JSON_REQUIRED, 0, &imp_key, NULL);
    json_get_str(req->body, "imp_secret", JSON_REQUIRED, 0, &imp_secret, NULL);
    if (!imp_key || !imp_key[0] || !imp_secret || !imp_secret[0]) {
        /* HTTP 200 with code 1: the reference only shows this message reaching NIMP's caller,
         * which surfaces a body's message for 200-with-code≠0 or 400 (401 gets NIMP's own text,
         * 404 resolves), and billkey answers its own validation refusals as 200/code 1
         * because the Python and Java clients read no body on other statuses. */
        reply_iamport(rep, 200, 1, MISSING_MESSAGE, NULL);
        goto out;
    }
    const struct merchant_key *key = credential_key(env, imp_key, imp_secret);
    if (!key) {
        /* 401 as iamport answers bad imp_key/imp_secret; the reference gives no text of its
         * own, so the one iamport uses for a bad token */
        log_msg(LOG_INFO, req->request_id,
                "getToken refused: imp_key/imp_secret do not match "
                "a key of BILLKEY_API_KEYS");
        reply_iamport(rep, 401, -1, "Unauthorized", NULL);
        goto out;
    }
    /* as iamport: the same token (and expiry) until its last minute, then a new one; the expiry
     * is shared by every instance through the database, the token is derived from it */
    int64_t now = clock_now_s(env->billing.clock);
    int64_t expired_at = now + MERCHANT_TOKEN_LIFETIME_S;
    enum db_status st = env->billing.db ? token_expiry_current(env->billing.db, key->name, now,
                                                               MERCHANT_TOKEN_LIFETIME_S,
                                                               MERCHANT_TOKEN_RENEW_S, &expired_at)
                                        : DB_UNAVAILABLE;
    if (st != DB_OK) /* the token works all the same: checking one needs no database */
        log_msg(LOG_WARN, req->request_id,
                "getToken: the current token of key '%s' could not be read (%s); issuing one "
                "that expires in %d s",
                key->name, db_status_name(st), MERCHANT_TOKEN_LIFETIME_S);
    if (merchant_token_issue_fixed(key, expired_at, token) != 0) {
        log_msg(LOG_ERROR, req->request_id, "getToken: issuing a token for key '%s' failed (HMAC)",
                key->name);
        reply_iamport(rep, 500, -1, "access_token could not be issued", NULL);
        goto out;
    }
    cJSON *response = cJSON_CreateObject();
    cJSON_AddStringToObject(response, "access_token", token);
    cJSON_AddNumberToObject(response, "now", (double)now);
    cJSON_AddNumberToObject(response, "expired_at", (double)expired_at);
    reply_iamport(rep, 200, 0, NULL, response);
    log_msg(LOG_INFO, req->request_id, "getToken: token of key '%s' answered, expires at %lld",
            key->name, (long long)expired_at);
out:
    OPENSSL_cleanse(token, sizeof token);
}
