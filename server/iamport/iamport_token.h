/* iamport's access token: when to refresh it (a pure rule), and the shared single-flight cache
 * that fetches it with POST /users/getToken. */
#ifndef BILLKEY_IAMPORT_TOKEN_H
#define BILLKEY_IAMPORT_TOKEN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/core/clock.h"
#include "server/iamport/iamport.h"
#include "server/iamport/iamport_http.h"

/* Refresh this long before the token expires. */
#define IAMPORT_TOKEN_REFRESH_AHEAD_MS 60000
/* Lifetimes (expired_at - now) outside [0, 1 day] are clamped (iamport issues 30-minute
 * tokens). */
#define IAMPORT_TOKEN_MAX_LIFETIME_S 86400

/* When a token was issued: iamport's own `now` and `expired_at` (unix seconds, its clock), and
 * the local clock's reading when the answer arrived. Only expired_at - now counts, so a skew
 * between iamport's clock and ours does not matter. */
struct iamport_token_times {
    int64_t received_ms;   /* local clock (ms) when getToken answered */
    int64_t iamport_now_s; /* iamport's "now" */
    int64_t expired_at_s;  /* iamport's "expired_at" */
};

/* Milliseconds the token has left at local time now_ms: the stated lifetime (clamped as above)
 * minus the local time elapsed since received_ms, never below 0. A token received "after" now_ms
 * (the local clock went back) has 0 left: how much of it was used cannot be told. Exact for
 * every int64_t input. */
int64_t iamport_token_ms_left(const struct iamport_token_times *times, int64_t now_ms);

/* True when the token must be fetched again before use at local time now_ms: it has
 * IAMPORT_TOKEN_REFRESH_AHEAD_MS or less left. */
bool iamport_token_needs_refresh(const struct iamport_token_times *times, int64_t now_ms);

/* Single-flight token cache: one token per client, refreshed by one thread at a time while the
 * others wait on `changed`. Set up with iamport_token_cache_init, torn down with
 * iamport_token_cache_destroy; must not move in between. */
struct iamport_token_cache {
    struct iamport_http *http; /* borrowed, outlives the cache */
    const struct clock *clock; /* borrowed, outlives the cache; NULL = system clock */
    char *api_key;             /* owned */
    char *api_secret;          /* owned */

    pthread_mutex_t lock;
    pthread_cond_t changed;
    char *token;                      /* owned; NULL until the first fetch */
    struct iamport_token_times times; /* of `token` */
    uint64_t generation;              /* +1 for every token stored */
    bool refreshing;                  /* a thread is fetching right now */
    uint64_t attempts;                /* +1 when a fetch finishes, success or not */
    enum iamport_status last_status;  /* outcome of the latest fetch, for its waiters */
    struct iamport_error last_error;

    atomic_uint_fast64_t stat_fetches; /* getToken requests sent, retries included */
};

/* Copies api_key and api_secret; borrows http and clock (see the struct). */
void iamport_token_cache_init(struct iamport_token_cache *cache, struct iamport_http *http,
                              const struct clock *clock, const char *api_key,
                              const char *api_secret);
/* Frees the token and the copied credentials. */
void iamport_token_cache_destroy(struct iamport_token_cache *cache);

/* A copy of a token that does not need a refresh (fetching one when needed, single flight).
 * When `stale_generation` is non-zero and still the cached generation, a refresh is forced (a
 * call got 401 with it). *token_out: caller frees (never log it). *generation_out and
 * *expires_in_ms (local ms left) may be NULL. On failure *token_out is NULL and err is
 * filled. */
enum iamport_status iamport_token_acquire(struct iamport_token_cache *cache,
                                          uint64_t stale_generation, char **token_out,
                                          uint64_t *generation_out, int64_t *expires_in_ms,
                                          struct iamport_error *err);

#endif
