/* iamport client: one HTTP exchange over a pooled libcurl easy handle (keep-alive reuse). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/iamport/iamport_http.h"
#include "server/iamport/iamport.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"

/* libcurl re-sends a request by itself when a reused keep-alive connection turns out dead
 * after the request went out ("Connection died, retrying a fresh connect"). For a charge that
 * could charge twice, and for lookups it would hide attempts from our retry policy, so every
 * exchange allows exactly one send attempt: the pre-request callback (called right before each
 * attempt is sent) refuses the second one. As a second guard, a POST body is handed over through
 * a read callback whose seek callback refuses to rewind a body that is not resend-safe. */
struct send_guard {
    int sends; /* pre-request callbacks seen: attempts about to be sent */
    bool resend_blocked;
};

struct upload {
    const char *data;
    size_t len;
    size_t offset;
    bool resend_safe;
    bool started; /* libcurl has read (part of) the body: it may have been sent */
};

struct sink {
    char *data;
    size_t len;
    size_t cap;
    bool too_large;
};

static int before_send(void *arg, char *conn_primary_ip, char *conn_local_ip, int conn_primary_port,
                       int conn_local_port)
{
    (void)conn_primary_ip;
    (void)conn_local_ip;
    (void)conn_primary_port;
    (void)conn_local_port;
    struct send_guard *guard = arg;
    if (++guard->sends > 1) {
        guard->resend_blocked = true;
        return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
}

static size_t read_body(char *buf, size_t size, size_t nitems, void *arg)
{
    struct upload *upload = arg;
    if (!upload) /* a pooled handle between exchanges: there is no body */
        return 0;
    size_t room = size * nitems;
    size_t left = upload->len - upload->offset;
    size_t n = left < room ? left : room;
    if (n) {
        memcpy(buf, upload->data + upload->offset, n);
        upload->offset += n;
    }
    upload->started = true;
    return n;
}

static int seek_body(void *arg, curl_off_t offset, int origin)
{
    struct upload *upload = arg;
    if (!upload) /* a pooled handle between exchanges: there is no body to rewind */
        return CURL_SEEKFUNC_CANTSEEK;
    if (origin != SEEK_SET || offset < 0 || (size_t)offset > upload->len)
        return CURL_SEEKFUNC_FAIL;
    if (upload->started && !upload->resend_safe)
        return CURL_SEEKFUNC_FAIL;
    upload->offset = (size_t)offset;
    return CURL_SEEKFUNC_OK;
}

static size_t write_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
    struct sink *s = arg;
    size_t n = size * nmemb;
    if (n > IAMPORT_MAX_RESPONSE_BYTES - s->len) {
        s->too_large = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        s->data = xrealloc(s->data, cap);
        s->cap = cap;
    }
    memcpy(s->data + s->len, ptr, n);
    s->len += n;
    s->data[s->len] = '\0';
    return n;
}

/* The options every exchange shares, set once per handle: handles are never reset between
 * exchanges, so each one only sets what differs (URL, method, headers, its own buffers). */
static void set_fixed_options(struct iamport_http *http, CURL *h)
{
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, http->connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, http->timeout_ms);
    curl_easy_setopt(h, CURLOPT_SHARE, http->share);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "billkey-iamport/1");
    /* Without a proxy in the environment at start-up, iamport is reached directly and libcurl
     * skips its *_proxy lookups on every request; with one, libcurl honours it as usual. */
    if (!http->proxy_from_env)
        curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, before_send);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_body);
}

static CURL *pool_take(struct iamport_http *http)
{
    CURL *h = NULL;
    pthread_mutex_lock(&http->pool_lock);
    if (http->pool_count > 0)
        h = http->pool[--http->pool_count];
    pthread_mutex_unlock(&http->pool_lock);
    if (h)
        return h;
    h = curl_easy_init();
    if (h)
        set_fixed_options(http, h);
    return h;
}

/* Returns a handle (its per-exchange pointers already cleared by exchange_end) to the pool;
 * its idle connections stay open for the next request. */
static void pool_give(struct iamport_http *http, CURL *h)
{
    pthread_mutex_lock(&http->pool_lock);
    if (http->pool_count < IAMPORT_POOL_MAX) {
        http->pool[http->pool_count++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&http->pool_lock);
    if (h)
        curl_easy_cleanup(h);
}

/* A multi handle with its own easy handles, pooled as one: libcurl keeps the connections of
 * transfers run through a multi handle in that multi handle's cache, so the set keeps its
 * connections open between uses only if it stays together. */
struct iamport_overlap {
    CURLM *multi;
    CURL *easy[IAMPORT_OVERLAP_MAX];
};

static void overlap_free(struct iamport_overlap *set)
{
    for (size_t i = 0; i < IAMPORT_OVERLAP_MAX; i++) {
        if (set->easy[i])
            curl_easy_cleanup(set->easy[i]);
    }
    if (set->multi)
        curl_multi_cleanup(set->multi);
    free(set);
}

/* An idle set from the pool, or a new one; NULL when libcurl cannot make one. */
static struct iamport_overlap *overlap_take(struct iamport_http *http)
{
    struct iamport_overlap *set = NULL;
    pthread_mutex_lock(&http->pool_lock);
    if (http->overlap_count > 0)
        set = http->overlap_pool[--http->overlap_count];
    pthread_mutex_unlock(&http->pool_lock);
    if (set)
        return set;
    set = xcalloc(1, sizeof *set);
    set->multi = curl_multi_init();
    for (size_t i = 0; set->multi && i < IAMPORT_OVERLAP_MAX; i++) {
        set->easy[i] = curl_easy_init();
        if (!set->easy[i])
            break;
        set_fixed_options(http, set->easy[i]);
    }
    if (!set->multi || !set->easy[IAMPORT_OVERLAP_MAX - 1]) {
        overlap_free(set);
        return NULL;
    }
    return set;
}

/* Returns a set (its handles already cleared of per-exchange pointers) to the pool. */
static void overlap_give(struct iamport_http *http, struct iamport_overlap *set)
{
    pthread_mutex_lock(&http->pool_lock);
    if (http->overlap_count < IAMPORT_POOL_MAX) {
        http->overlap_pool[http->overlap_count++] = set;
        set = NULL;
    }
    pthread_mutex_unlock(&http->pool_lock);
    if (set)
        overlap_free(set);
}

/* Drops every pooled handle (shutdown). */
static void pool_clear(struct iamport_http *http)
{
    pthread_mutex_lock(&http->pool_lock);
    for (size_t i = 0; i < http->pool_count; i++)
        curl_easy_cleanup(http->pool[i]);
    http->pool_count = 0;
    for (size_t i = 0; i < http->overlap_count; i++)
        overlap_free(http->overlap_pool[i]);
    http->overlap_count = 0;
    pthread_mutex_unlock(&http->pool_lock);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *arg)
{
    (void)h;
    (void)access;
    struct iamport_http *http = arg;
    pthread_mutex_lock(&http->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *arg)
{
    (void)h;
    struct iamport_http *http = arg;
    pthread_mutex_unlock(&http->share_locks[data]);
}

/* Appends line to *list; -1 when libcurl is out of memory (*list stays valid). */
static int add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *next = curl_slist_append(*list, line);
    if (!next)
        return -1;
    *list = next;
    return 0;
}

/* The request headers that never change, one list per kind of request (a GET has no body,
 * so no Content-Type and no Expect to switch off). The Authorization line is put in front of
 * them per exchange. */
static int build_fixed_headers(struct iamport_http *http)
{
    char tier[64] = "";
    if (http->tier_code)
        snprintf(tier, sizeof tier, "Tier: %s", http->tier_code);
    if (add_header(&http->get_headers, "Accept: application/json") != 0 ||
        (tier[0] && add_header(&http->get_headers, tier) != 0) ||
        add_header(&http->post_headers, "Accept: application/json") != 0 ||
        add_header(&http->post_headers, "Expect:") != 0 ||
        (tier[0] && add_header(&http->post_headers, tier) != 0) ||
        add_header(&http->post_headers, "Content-Type: application/json; charset=utf-8") != 0) {
        curl_slist_free_all(http->get_headers);
        curl_slist_free_all(http->post_headers);
        http->get_headers = http->post_headers = NULL;
        return -1;
    }
    return 0;
}

/* a followed by b in one new string. Caller frees. */
static char *concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *out = xmalloc(na + nb + 1);
    memcpy(out, a, na);
    memcpy(out + na, b, nb + 1);
    return out;
}

int iamport_http_init(struct iamport_http *http, const char *base_url, const char *tier_code,
                      long connect_timeout_ms, long timeout_ms)
{
    memset(http, 0, sizeof *http);
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_result != CURLE_OK) {
        log_msg(LOG_ERROR, NULL, "cannot create the iamport client: curl_global_init failed: %s",
                curl_easy_strerror(curl_init_result));
        return -1;
    }
    CURLSH *share = curl_share_init();
    if (!share) {
        log_msg(LOG_ERROR, NULL, "cannot create the iamport client: curl_share_init failed");
        return -1;
    }

    http->base_url = xstrdup(base_url);
    for (size_t n = strlen(http->base_url); n > 0 && http->base_url[n - 1] == '/'; n--)
        http->base_url[n - 1] = '\0';
    http->tier_code = tier_code ? xstrdup(tier_code) : NULL;
    if (build_fixed_headers(http) != 0) {
        log_msg(LOG_ERROR, NULL, "cannot create the iamport client: out of memory for headers");
        curl_share_cleanup(share);
        free(http->base_url);
        free(http->tier_code);
        memset(http, 0, sizeof *http);
        return -1;
    }
    http->connect_timeout_ms = connect_timeout_ms;
    http->timeout_ms = timeout_ms;
    static const char *const proxy_vars[] = {"https_proxy", "HTTPS_PROXY", "http_proxy",
                                             "ALL_PROXY",   "all_proxy",   NULL};
    for (size_t i = 0; proxy_vars[i]; i++)
        http->proxy_from_env |= getenv(proxy_vars[i]) != NULL;

    for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&http->share_locks[i], NULL);
    http->share = share;
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(share, CURLSHOPT_USERDATA, http);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);

    pthread_mutex_init(&http->pool_lock, NULL);
    atomic_init(&http->stat_requests, 0);
    atomic_init(&http->stat_connects, 0);
    return 0;
}

void iamport_http_release(struct iamport_http *http)
{
    pool_clear(http);
    curl_share_cleanup(http->share);
    for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&http->share_locks[i]);
    pthread_mutex_destroy(&http->pool_lock);
    curl_slist_free_all(http->get_headers);
    curl_slist_free_all(http->post_headers);
    free(http->base_url);
    free(http->tier_code);
    memset(http, 0, sizeof *http);
}

static const char *method_name(enum iamport_http_method m)
{
    return m == IAMPORT_GET ? "GET" : m == IAMPORT_POST ? "POST" : "DELETE";
}

static int64_t elapsed_ms(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static void log_exchange(const struct iamport_http_request *req,
                         const struct iamport_http_response *res, int64_t ms, long connects)
{
    enum log_level level = res->curl_code == CURLE_OK ? LOG_DEBUG : LOG_WARN;
    if (!log_enabled(level))
        return;
    cJSON *fields = cJSON_CreateObject();
    cJSON_AddStringToObject(fields, "method", method_name(req->method));
    cJSON_AddStringToObject(fields, "path", req->path);
    cJSON_AddNumberToObject(fields, "http_status", (double)res->http_status);
    cJSON_AddNumberToObject(fields, "ms", (double)ms);
    cJSON_AddNumberToObject(fields, "new_connections", (double)connects);
    if (res->curl_code != CURLE_OK) {
        cJSON_AddStringToObject(fields, "curl_error", res->curl_error);
        cJSON_AddBoolToObject(fields, "maybe_sent", res->maybe_sent);
    }
    log_json(level, NULL, "iamport request", fields);
}

/* One exchange in progress: its request, where its answer goes, and the buffers libcurl writes
 * to while it runs (they must stay put until exchange_end). */
struct exchange {
    const struct iamport_http_request *req; /* borrowed */
    struct iamport_http_response *res;      /* borrowed: filled by exchange_end */
    CURL *h;                                /* borrowed: the handle it runs on */
    char *url;                              /* owned */
    struct sink sink;                       /* .data handed to res */
    struct upload upload;
    struct send_guard guard;
    struct curl_slist auth; /* .data owned: the Authorization line, in front of the fixed ones */
    struct timespec start;
};

/* Points handle h (may be NULL: exchange_end then reports it) at req: URL, method, headers, and
 * ex's buffers. */
static void exchange_begin(struct iamport_http *http, struct exchange *ex, CURL *h,
                           const struct iamport_http_request *req,
                           struct iamport_http_response *res)
{
    memset(ex, 0, sizeof *ex);
    memset(res, 0, sizeof *res);
    ex->req = req;
    ex->res = res;
    ex->h = h;
    clock_gettime(CLOCK_MONOTONIC, &ex->start);
    if (!h)
        return;
    ex->url = concat(http->base_url, req->path);
    curl_easy_setopt(h, CURLOPT_URL, ex->url);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, res->curl_error);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ex->sink);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, &ex->guard);

    struct curl_slist *headers = http->get_headers;
    if (req->method == IAMPORT_POST) {
        ex->upload.data = req->body ? req->body : "{}";
        ex->upload.len = strlen(ex->upload.data);
        ex->upload.resend_safe = req->resend_safe;
        headers = http->post_headers;
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)ex->upload.len);
        curl_easy_setopt(h, CURLOPT_READDATA, &ex->upload);
        curl_easy_setopt(h, CURLOPT_SEEKDATA, &ex->upload);
    } else {
        /* a handle keeps its options between exchanges: back to a plain GET first */
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method == IAMPORT_DELETE ? "DELETE" : NULL);
    }
    /* the one header that changes (the token) in front of the fixed ones; libcurl only reads
     * the list while the transfer runs */
    if (req->authorization) {
        ex->auth.data = concat("Authorization: ", req->authorization);
        ex->auth.next = headers;
        headers = &ex->auth;
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
}

/* Fills ex->res from the transfer's result `code`, clears the handle's pointers into ex (it can
 * go back to its pool then), logs the exchange and frees ex's buffers. Returns 0 when an HTTP
 * answer arrived, else -1. */
static int exchange_end(struct iamport_http *http, struct exchange *ex, CURLcode code)
{
    struct iamport_http_response *res = ex->res;
    const struct iamport_http_request *req = ex->req;
    long connects = 0;
    int rc = -1;

    if (!ex->h) {
        res->curl_code = CURLE_FAILED_INIT;
        snprintf(res->curl_error, sizeof res->curl_error, "cannot create a curl handle");
        goto out;
    }
    res->curl_code = code;
    curl_easy_getinfo(ex->h, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_getinfo(ex->h, CURLINFO_RESPONSE_CODE, &res->http_status);
    curl_easy_setopt(ex->h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(ex->h, CURLOPT_WRITEDATA, NULL);
    curl_easy_setopt(ex->h, CURLOPT_PREREQDATA, NULL);
    curl_easy_setopt(ex->h, CURLOPT_READDATA, NULL);
    curl_easy_setopt(ex->h, CURLOPT_SEEKDATA, NULL);
    curl_easy_setopt(ex->h, CURLOPT_HTTPHEADER, NULL);
    atomic_fetch_add(&http->stat_requests, 1);
    if (connects > 0)
        atomic_fetch_add(&http->stat_connects, (uint_fast64_t)connects);

    if (code == CURLE_OK || (ex->sink.too_large && res->http_status > 0)) {
        res->too_large = ex->sink.too_large;
        rc = 0;
        goto out;
    }
    res->http_status = 0;
    if (ex->guard.resend_blocked)
        snprintf(res->curl_error, sizeof res->curl_error,
                 "connection closed without an answer after the request was sent");
    else if (!res->curl_error[0])
        snprintf(res->curl_error, sizeof res->curl_error, "%s", curl_easy_strerror(code));
    /* Nothing can have reached iamport before the first pre-request callback (no connection
     * yet). A POST body always has bytes and a Content-Length, so iamport cannot act on one
     * libcurl never read. */
    if (ex->guard.resend_blocked)
        res->maybe_sent = true;
    else if (req->method == IAMPORT_POST)
        res->maybe_sent = ex->guard.sends > 0 && ex->upload.started;
    else
        res->maybe_sent = ex->guard.sends > 0;

out:
    free(ex->auth.data);
    res->body = ex->sink.data ? ex->sink.data : xstrdup("");
    res->body_len = ex->sink.len;
    log_exchange(req, res, elapsed_ms(&ex->start), connects);
    free(ex->url);
    return rc;
}

int iamport_http_perform(struct iamport_http *http, const struct iamport_http_request *req,
                         struct iamport_http_response *res)
{
    struct exchange ex;
    CURL *h = pool_take(http);
    exchange_begin(http, &ex, h, req, res);
    int rc = exchange_end(http, &ex, h ? curl_easy_perform(h) : CURLE_FAILED_INIT);
    if (h)
        pool_give(http, h);
    return rc;
}

/* Drives every transfer of set's multi handle to its end, recording each one's result in
 * codes[] (by its position in set->easy). */
static void overlap_run(struct iamport_overlap *set, size_t n, CURLcode *codes)
{
    int running = (int)n;
    for (;;) {
        CURLMcode mc = curl_multi_perform(set->multi, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(set->multi, &left)) != NULL) {
            for (size_t i = 0; msg->msg == CURLMSG_DONE && i < n; i++) {
                if (msg->easy_handle == set->easy[i])
                    codes[i] = msg->data.result;
            }
        }
        if (mc != CURLM_OK || running == 0)
            return;
        /* each transfer keeps its own timeouts: libcurl's multi ends it when they pass */
        if (curl_multi_poll(set->multi, NULL, 0, 1000, NULL) != CURLM_OK)
            return;
    }
}

void iamport_http_perform_overlapped(struct iamport_http *http,
                                     const struct iamport_http_request *const *reqs,
                                     struct iamport_http_response *res, int *rcs, size_t n)
{
    struct exchange ex[IAMPORT_OVERLAP_MAX];
    CURLcode codes[IAMPORT_OVERLAP_MAX];
    bool added[IAMPORT_OVERLAP_MAX];
    struct iamport_overlap *set = overlap_take(http);

    if (n > IAMPORT_OVERLAP_MAX)
        n = IAMPORT_OVERLAP_MAX;
    for (size_t i = 0; i < n; i++) {
        exchange_begin(http, &ex[i], set ? set->easy[i] : NULL, reqs[i], &res[i]);
        added[i] = set && curl_multi_add_handle(set->multi, set->easy[i]) == CURLM_OK;
        /* a transfer that never reports its end (the multi handle failed) ends as this */
        codes[i] = added[i] ? CURLE_RECV_ERROR : CURLE_FAILED_INIT;
    }
    if (set)
        overlap_run(set, n, codes);
    for (size_t i = 0; i < n; i++) {
        if (added[i])
            curl_multi_remove_handle(set->multi, set->easy[i]);
        rcs[i] = exchange_end(http, &ex[i], codes[i]);
    }
    if (set)
        overlap_give(http, set);
}

void iamport_http_response_release(struct iamport_http_response *res)
{
    free(res->body);
    memset(res, 0, sizeof *res);
}
