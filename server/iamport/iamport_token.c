/* iamport client: access-token refresh rule and cache with single-flight refresh
 * (POST /users/getToken). */
#include <stdlib.h>
#include <string.h>

#include "server/iamport/iamport_token.h"
#include "server/iamport/iamport_envelope.h"
#include "server/iamport/iamport_errors.h"
#include "server/iamport/iamport_json.h"
#include "server/iamport/iamport_metrics.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"

/* The lifetime iamport states, by its own clock, clamped to [0, IAMPORT_TOKEN_MAX_LIFETIME_S]. */
static int64_t stated_lifetime_ms(const struct iamport_token_times *times)
{
    if (times->expired_at_s <= times->iamport_now_s)
        return 0;
    /* expired_at > now, so the unsigned difference is exact even across the int64_t range. */
    uint64_t seconds = (uint64_t)times->expired_at_s - (uint64_t)times->iamport_now_s;
    if (seconds > IAMPORT_TOKEN_MAX_LIFETIME_S)
        seconds = IAMPORT_TOKEN_MAX_LIFETIME_S;
    return (int64_t)seconds * 1000;
}

int64_t iamport_token_ms_left(const struct iamport_token_times *times, int64_t now_ms)
{
    if (now_ms < times->received_ms)
        return 0; /* the local clock went back: how long the token was used is unknown */
    uint64_t elapsed_ms = (uint64_t)now_ms - (uint64_t)times->received_ms;
    int64_t lifetime_ms = stated_lifetime_ms(times);
    if (elapsed_ms >= (uint64_t)lifetime_ms)
        return 0;
    return lifetime_ms - (int64_t)elapsed_ms;
}

bool iamport_token_needs_refresh(const struct iamport_token_times *times, int64_t now_ms)
{
    return iamport_token_ms_left(times, now_ms) <= IAMPORT_TOKEN_REFRESH_AHEAD_MS;
}

void iamport_token_cache_init(struct iamport_token_cache *cache, struct iamport_http *http,
                              const struct clock *clock, const char *api_key,
                              const char *api_secret)
{
    memset(cache, 0, sizeof *cache);
    cache->http = http;
    cache->clock = clock;
    cache->api_key = xstrdup(api_key);
    cache->api_secret = xstrdup(api_secret);
    pthread_mutex_init(&cache->lock, NULL);
    pthread_cond_init(&cache->changed, NULL);
    atomic_init(&cache->stat_fetches, 0);
}

void iamport_token_cache_destroy(struct iamport_token_cache *cache)
{
    free(cache->token);
    free(cache->api_key);
    free(cache->api_secret);
    pthread_cond_destroy(&cache->changed);
    pthread_mutex_destroy(&cache->lock);
    memset(cache, 0, sizeof *cache);
}

/* Reads {access_token, expired_at, now} into a new token string (caller frees) and iamport's
 * times. */
static enum iamport_status read_token(const cJSON *response, char **token,
                                      struct iamport_token_times *times, struct iamport_error *err)
{
    if (!cJSON_IsObject(response))
        return iamport_fail(err, IAMPORT_E_PARSE, "getToken response is not an object");
    if (iamport_json_string(response, "access_token", true, token, err) != 0 ||
        iamport_json_int64(response, "expired_at", true, 0, &times->expired_at_s, err) != 0 ||
        iamport_json_int64(response, "now", true, 0, &times->iamport_now_s, err) != 0) {
        free(*token);
        *token = NULL;
        return IAMPORT_E_PARSE;
    }
    if (!**token) {
        free(*token);
        *token = NULL;
        return iamport_fail(err, IAMPORT_E_PARSE, "field 'access_token' is empty");
    }
    return IAMPORT_OK;
}

/* One getToken call through the envelope module: retried like a lookup on transport errors and
 * 5xx (it is idempotent), refusals mapped to IAMPORT_E_AUTH. */
static enum iamport_status fetch_token(struct iamport_token_cache *cache, char **token,
                                       struct iamport_token_times *times, struct iamport_error *err)
{
    cJSON *response = NULL;
    cJSON *body = iamport_body_new();
    iamport_body_add_string(body, "imp_key", cache->api_key);
    iamport_body_add_string(body, "imp_secret", cache->api_secret);
    const struct iamport_call token_call = {
        .method = IAMPORT_POST,
        .path = "/users/getToken",
        .body = body,
        .kind = IAMPORT_CALL_LOOKUP,
        .is_token_call = true,
        .attempts = &cache->stat_fetches,
    };

    enum iamport_status st = iamport_exchange(cache->http, &token_call, NULL, &response, err);
    if (st == IAMPORT_OK)
        st = read_token(response, token, times, err);
    if (st != IAMPORT_OK)
        log_msg(LOG_WARN, NULL, "iamport getToken failed: %s (HTTP %d, code %d) %s",
                iamport_status_name(st), err->http_status, err->code, err->detail);
    cJSON_Delete(response);
    cJSON_Delete(body);
    return st;
}

enum iamport_status iamport_token_acquire(struct iamport_token_cache *t, uint64_t stale_generation,
                                          char **token_out, uint64_t *generation_out,
                                          int64_t *expires_in_ms, struct iamport_error *err)
{
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
        bool usable =
            t->token && !stale && !iamport_token_needs_refresh(&t->times, clock_now_ms(t->clock));
        if (usable)
            break;

        t->refreshing = true;
        pthread_mutex_unlock(&t->lock);
        char *fresh = NULL;
        struct iamport_token_times times = {0};
        struct iamport_error fetch_err = {0};
        st = fetch_token(t, &fresh, &times, &fetch_err);
        metrics_add(&iamport_metrics_token_refreshes,
                    (const char *const[]){st == IAMPORT_OK ? "ok" : "failed"}, 1);
        times.received_ms = clock_now_ms(t->clock);
        if (fresh)
            log_register_token(fresh);
        pthread_mutex_lock(&t->lock);

        t->refreshing = false;
        t->attempts++;
        t->last_status = st;
        t->last_error = fetch_err;
        if (st == IAMPORT_OK) {
            free(t->token);
            t->token = fresh;
            t->times = times;
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
            *expires_in_ms = iamport_token_ms_left(&t->times, clock_now_ms(t->clock));
    }
    pthread_mutex_unlock(&t->lock);
    return st;
}
