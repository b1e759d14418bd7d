/* POST /users/getToken (public, iamport-compatible): {imp_key: key name, imp_secret: key} → a 30-minute merchant token. */
#include "routes/routes.h"

#include <string.h>

#include <openssl/crypto.h>

#include "routes/route_env.h"
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
    int64_t now = clock_now_s(env->billing.clock);
    int64_t expired_at = now + MERCHANT_TOKEN_LIFETIME_S;
    if (merchant_token_issue(key, expired_at, token) != 0) {
        log_msg(LOG_ERROR, req->request_id,
                "getToken: issuing a token for key '%s' failed "
                "(random nonce or HMAC)",
                key->name);
        reply_iamport(rep, 500, -1, "access_token could not be issued", NULL);
        goto out;
    }
    cJSON *response = cJSON_CreateObject();
    cJSON_AddStringToObject(response, "access_token", token);
    cJSON_AddNumberToObject(response, "now", (double)now);
    cJSON_AddNumberToObject(response, "expired_at", (double)expired_at);
    reply_iamport(rep, 200, 0, NULL, response);
    log_msg(LOG_INFO, req->request_id, "getToken: token issued for key '%s', expires at %lld",
            key->name, (long long)expired_at);
out:
    OPENSSL_cleanse(token, sizeof token);
}
