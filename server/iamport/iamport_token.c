/* iamport client: access-token cache with single-flight refresh (POST /users/getToken). */
#include <stdlib.h>
#include <string.h>

#include "server/iamport/iamport_internal.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"

/* Refresh this long before the token expires by our clock. */
#define REFRESH_AHEAD_MS 60000
/* Lifetimes outside [0, 1 day] are clamped (iamport issues 30-minute tokens). */
#define MAX_LIFETIME_S 86400
#define TOKEN_EXTRA_ATTEMPTS 2

static const long token_backoff_ms[TOKEN_EXTRA_ATTEMPTS] = {100, 300};

void iamport_token_cache_init(struct iamport_token_cache *t)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->changed, NULL);
}

void iamport_token_cache_destroy(struct iamport_token_cache *t)
{
    free(t->token);
    pthread_cond_destroy(&t->changed);
    pthread_mutex_destroy(&t->lock);
    memset(t, 0, sizeof *t);
}

/* Reads {access_token, expired_at, now} into a new token string and its lifetime. */
static enum iamport_status read_token(const cJSON *response, char **token, int64_t *lifetime_s,
                                      struct iamport_error *err)
{
    int64_t expired_at, now;
    if (!cJSON_IsObject(response))
        return iamport_fail(err, IAMPORT_E_PARSE, "getToken response is not an object");
    if (iamport_json_string(response, "access_token", true, token, err) != 0 ||
        iamport_json_int64(response, "expired_at", true, 0, &expired_at, err) != 0 ||
        iamport_json_int64(response, "now", true, 0, &now, err) != 0) {
        free(*token);
        *token = NULL;
        return IAMPORT_E_PARSE;
    }
    if (!**token) {
        free(*token);
        *token = NULL;
        return iamport_fail(err, IAMPORT_E_PARSE, "field 'access_token' is empty");
    }
    /* Server time only: expired_at - now is immune to our wall clock being wrong. */
    int64_t lifetime = expired_at - now;
    *lifetime_s = lifetime < 0 ? 0 : lifetime > MAX_LIFETIME_S ? MAX_LIFETIME_S : lifetime;
    return IAMPORT_OK;
}

/* One getToken exchange, retried like a lookup on transport errors and 5xx (it is idempotent). */
static enum iamport_status fetch_token(struct iamport_client *c, char **token, int64_t *lifetime_s,
                                       struct iamport_error *err)
{
    static const struct iamport_call token_call = {
        .method = IAMPORT_POST, .path = "/users/getToken", .kind = IAMPORT_CALL_LOOKUP};
    struct iamport_http_request req = {
        .method = IAMPORT_POST, .path = token_call.path, .resend_safe = true};
    struct iamport_http_response res = {0};
    cJSON *response = NULL;
    enum iamport_status st;
    int extra_attempts = 0;

    cJSON *body = iamport_body_new();
    iamport_body_add_string(body, "imp_key", c->api_key);
    iamport_body_add_string(body, "imp_secret", c->api_secret);
    char *text = iamport_body_print(body);
    req.body = text;

    for (;;) {
        iamport_http_response_release(&res);
        memset(err, 0, sizeof *err);
        atomic_fetch_add(&c->stat_token_fetches, 1);
        bool answered = iamport_http_perform(c, &req, &res) == 0;
        bool retryable = !answered || res.http_status >= 500;
        if (retryable && extra_attempts < TOKEN_EXTRA_ATTEMPTS) {
            iamport_sleep_ms(token_backoff_ms[extra_attempts++]);
            continue;
        }
        if (!answered) {
            st = iamport_fail(err, IAMPORT_E_TRANSPORT, "getToken: %s", res.curl_error);
            goto out;
        }
        if (res.too_large) {
            err->http_status = (int)res.http_status;
            st = iamport_fail(err, IAMPORT_E_PARSE, "getToken answer is larger than %u bytes",
                              IAMPORT_MAX_RESPONSE_BYTES);
            goto out;
        }
        st = iamport_map_answer(&token_call, true, res.http_status, res.body, res.body_len,
                                &response, err);
        if (st == IAMPORT_OK)
            st = read_token(response, token, lifetime_s, err);
        goto out;
    }
out:
    if (st != IAMPORT_OK)
        log_msg(LOG_WARN, NULL, "iamport getToken failed: %s (HTTP %d, code %d) %s",
                iamport_status_name(st), err->http_status, err->code, err->detail);
    cJSON_Delete(response);
    iamport_http_response_release(&res);
    cJSON_Delete(body);
    free(text);
    return st;
}

enum iamport_status iamport_token_acquire(struct iamport_client *c, uint64_t stale_generation,
                                          char **token_out, uint64_t *generation_out,
                                          int64_t *expires_in_ms, struct iamport_error *err)
{
    struct iamport_token_cache *t = &c->token;
    enum iamport_status st = IAMPORT_OK;

    *token_out = NULL;
    pthread_mutex_lock(&t->lock);
    uint64_t attempts_seen = t->attempts;
    for (;;) {
        if (t->refreshing) {
            pthread_cond_wait(&t->changed, &t->lock);
            continue;
        }
        if (t->attempts != attempts_seen) {
            /* A fetch finished while we waited: share its outcome instead of fetching again. */
            st = t->last_status;
            if (st != IAMPORT_OK)
                *err = t->last_error;
            break;
        }
        bool stale = stale_generation != 0 && stale_generation == t->generation;
        if (t->token && !stale && iamport_now_ms(c) < t->expires_ms - REFRESH_AHEAD_MS)
            break;

        t->refreshing = true;
        pthread_mutex_unlock(&t->lock);
        char *fresh = NULL;
        int64_t lifetime_s = 0;
        struct iamport_error fetch_err = {0};
        st = fetch_token(c, &fresh, &lifetime_s, &fetch_err);
        int64_t received_ms = iamport_now_ms(c);
        if (fresh)
            log_register_secret(fresh);
        pthread_mutex_lock(&t->lock);

        t->refreshing = false;
        t->attempts++;
        t->last_status = st;
        t->last_error = fetch_err;
        if (st == IAMPORT_OK) {
            free(t->token);
            t->token = fresh;
            t->expires_ms = received_ms + lifetime_s * 1000;
            t->generation++;
        } else {
            *err = fetch_err;
        }
        pthread_cond_broadcast(&t->changed);
        break;
    }
    if (st == IAMPORT_OK) {
        *token_out = xstrdup(t->token);
        if (generation_out)
            *generation_out = t->generation;
        if (expires_in_ms)
            *expires_in_ms = t->expires_ms - iamport_now_ms(c);
    }
    pthread_mutex_unlock(&t->lock);
    return st;
}

enum iamport_status iamport_get_token(struct iamport_client *c, char **token_out,
                                      int64_t *expires_in_s, struct iamport_error *err)
{
    struct iamport_error local;
    int64_t left_ms = 0;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    enum iamport_status st = iamport_token_acquire(c, 0, token_out, NULL, &left_ms, err);
    if (expires_in_s)
        *expires_in_s = st == IAMPORT_OK ? left_ms / 1000 : 0;
    return st;
}
