/* One HTTP exchange with iamport over pooled libcurl handles (no envelope, no retries). */
#ifndef BILLKEY_IAMPORT_HTTP_H
#define BILLKEY_IAMPORT_HTTP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

/* Idle handles (and overlap sets) kept with their connections: as many as the client lets calls
 * be in flight by default (IAMPORT_MAX_CONCURRENT, 64), so that a busy server does not close and
 * open connections to iamport (at 16, ~7% of verifications at 32 connections opened one). */
#define IAMPORT_POOL_MAX 64
#define IAMPORT_OVERLAP_MAX 2 /* exchanges iamport_http_perform_overlapped runs at once */

struct iamport_overlap; /* a multi handle and its easy handles (iamport_http.c) */

/* Where and how to reach iamport, plus the connections kept open between requests. Set up
 * with iamport_http_init and torn down with iamport_http_release; it must not move in between
 * (libcurl's share lock callbacks point at it). Safe to use from many threads at once. */
struct iamport_http {
    char *base_url;  /* owned, no trailing '/' */
    char *tier_code; /* owned or NULL: sent as "Tier: <code>" */
    long connect_timeout_ms;
    long timeout_ms;
    int proxy_from_env; /* a *_proxy variable was set at init: libcurl reads them per request;
                           otherwise that per-request lookup is switched off */
    struct curl_slist *get_headers;  /* owned: the fixed request headers of a GET or DELETE */
    struct curl_slist *post_headers; /* owned: the fixed request headers of a POST */

    CURLSH *share; /* DNS cache only: libcurl's shared connection cache is not thread-safe */
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

    /* Idle easy handles; each keeps its own live connections between requests, and the
     * options every exchange shares (set once, never reset). */
    pthread_mutex_t pool_lock;
    CURL *pool[IAMPORT_POOL_MAX];
    size_t pool_count;
    /* Idle sets for overlapped exchanges, under pool_lock too: each keeps its connections. */
    struct iamport_overlap *overlap_pool[IAMPORT_POOL_MAX];
    size_t overlap_count;

    atomic_uint_fast64_t stat_requests; /* exchanges performed */
    atomic_uint_fast64_t stat_connects; /* new connections opened */
};

/* Initialises *http with copies of base_url (trailing '/' dropped) and tier_code (may be NULL).
 * Calls curl_global_init once per process. Returns 0, or -1 (logged) when libcurl cannot be
 * set up, leaving nothing to release. */
int iamport_http_init(struct iamport_http *http, const char *base_url, const char *tier_code,
                      long connect_timeout_ms, long timeout_ms);
/* Frees what iamport_http_init allocated and every pooled handle. */
void iamport_http_release(struct iamport_http *http);

enum iamport_http_method { IAMPORT_GET, IAMPORT_POST, IAMPORT_DELETE };

struct iamport_http_request {
    enum iamport_http_method method;
    const char *path;          /* borrowed: escaped path + query, starting with '/' */
    const char *authorization; /* borrowed; NULL = no Authorization header */
    const char *body;          /* borrowed JSON text, or NULL */
    bool resend_safe;          /* may libcurl rewind the body? (it is sent at most once anyway) */
};

struct iamport_http_response {
    long http_status; /* 0 when no answer */
    char *body;       /* owned, NUL-terminated (also when empty) */
    size_t body_len;
    CURLcode curl_code;
    bool maybe_sent; /* transport failure after the request may have left */
    bool too_large;  /* body exceeded IAMPORT_MAX_RESPONSE_BYTES */
    char curl_error[CURL_ERROR_SIZE];
};

/* Performs one request with a pooled handle. Returns 0 when an HTTP answer arrived (any status),
 * -1 on a transport failure (see curl_code, curl_error, maybe_sent). *res is always filled and
 * must be released with iamport_http_response_release(). */
int iamport_http_perform(struct iamport_http *http, const struct iamport_http_request *req,
                         struct iamport_http_response *res);
/* Performs n (at most IAMPORT_OVERLAP_MAX) requests at the same time, on separate connections
 * of one pooled set, and returns when all have ended: rcs[i] and res[i] are what
 * iamport_http_perform would have given for reqs[i] alone. Every res[i] must be released. */
void iamport_http_perform_overlapped(struct iamport_http *http,
                                     const struct iamport_http_request *const *reqs,
                                     struct iamport_http_response *res, int *rcs, size_t n);
void iamport_http_response_release(struct iamport_http_response *res);

#endif
