/* iamport client: handle lifecycle, the call policy (token, 401 retry, lookup retries), the
 * {code, message, response} envelope, and call-then-read helpers. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/iamport/iamport_internal.h"
#include "server/core/utf8.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 30000L
#define LOOKUP_EXTRA_ATTEMPTS 2

static const long lookup_backoff_ms[LOOKUP_EXTRA_ATTEMPTS] = {100, 300};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int64_t monotonic_ms(void *unused)
{
    (void)unused;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t iamport_now_ms(struct iamport_client *c)
{
    return c->clock_ms(c->clock_arg);
}

void iamport_sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *arg)
{
    (void)h;
    (void)access;
    struct iamport_client *c = arg;
    pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *arg)
{
    (void)h;
    struct iamport_client *c = arg;
    pthread_mutex_unlock(&c->share_locks[data]);
}

static bool tier_code_valid(const char *code)
{
    if (strlen(code) != 3)
        return false;
    for (size_t i = 0; i < 3; i++) {
        if (!isupper((unsigned char)code[i]) && !isdigit((unsigned char)code[i]))
            return false;
    }
    return true;
}

static bool has_control_chars(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    }
    return false;
}

/* Returns NULL when the options are usable, else what is wrong with them. */
static const char *options_problem(const struct iamport_client_options *o)
{
    if (!o)
        return "options are missing";
    if (!o->base_url || (strncmp(o->base_url, "http://", 7) != 0 &&
                         strncmp(o->base_url, "https://", 8) != 0))
        return "base_url must start with 'http://' or 'https://'";
    if (has_control_chars(o->base_url) || strchr(o->base_url, ' '))
        return "base_url contains spaces or control characters";
    if (!o->api_key || !*o->api_key)
        return "api_key is missing";
    if (!o->api_secret || !*o->api_secret)
        return "api_secret is missing";
    if (o->connect_timeout_ms < 0 || o->timeout_ms < 0)
        return "timeouts must not be negative";
    if (o->tier_code && !tier_code_valid(o->tier_code))
        return "tier_code must be 3 upper-case letters or digits";
    return NULL;
}

struct iamport_client *iamport_client_new(const struct iamport_client_options *opts)
{
    const char *problem = options_problem(opts);
    if (problem) {
        log_msg(LOG_ERROR, NULL, "cannot create the iamport client: %s", problem);
        return NULL;
    }
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_result != CURLE_OK) {
        log_msg(LOG_ERROR, NULL, "cannot create the iamport client: curl_global_init failed: %s",
                curl_easy_strerror(curl_init_result));
        return NULL;
    }
    CURLSH *share = curl_share_init();
    if (!share) {
        log_msg(LOG_ERROR, NULL, "cannot create the iamport client: curl_share_init failed");
        return NULL;
    }

    struct iamport_client *c = xcalloc(1, sizeof *c);
    c->base_url = xstrdup(opts->base_url);
    for (size_t n = strlen(c->base_url); n > 0 && c->base_url[n - 1] == '/'; n--)
        c->base_url[n - 1] = '\0';
    c->api_key = xstrdup(opts->api_key);
    c->api_secret = xstrdup(opts->api_secret);
    c->tier_code = opts->tier_code ? xstrdup(opts->tier_code) : NULL;
    c->connect_timeout_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms
                                                     : DEFAULT_CONNECT_TIMEOUT_MS;
    c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
    c->include_sandbox = opts->include_sandbox;
    c->clock_ms = opts->clock_ms ? opts->clock_ms : monotonic_ms;
    c->clock_arg = opts->clock_ms ? opts->clock_arg : NULL;

    for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&c->share_locks[i], NULL);
    c->share = share;
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(share, CURLSHOPT_USERDATA, c);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);

    pthread_mutex_init(&c->pool_lock, NULL);
    iamport_token_cache_init(&c->token);
    atomic_init(&c->stat_requests, 0);
    atomic_init(&c->stat_connects, 0);
    atomic_init(&c->stat_token_fetches, 0);

    log_register_secret(c->api_secret);
    log_register_secret(c->api_key);
    return c;
}

void iamport_client_free(struct iamport_client *c)
{
    if (!c)
        return;
    iamport_http_pool_clear(c);
    curl_share_cleanup(c->share);
    for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&c->share_locks[i]);
    pthread_mutex_destroy(&c->pool_lock);
    iamport_token_cache_destroy(&c->token);
    free(c->base_url);
    free(c->api_key);
    free(c->api_secret);
    free(c->tier_code);
    free(c);
}

void iamport_client_get_stats(struct iamport_client *c, struct iamport_client_stats *out)
{
    out->requests = atomic_load(&c->stat_requests);
    out->connects = atomic_load(&c->stat_connects);
    out->token_fetches = atomic_load(&c->stat_token_fetches);
}

/* Parses body as an envelope. Returns the root (caller deletes) and sets *code, or NULL when
 * the body is not JSON or not an object with an integral "code". */
static cJSON *parse_envelope(const char *body, size_t body_len, int *code)
{
    if (body_len == 0 || strlen(body) != body_len)
        return NULL; /* empty, or NUL bytes inside */
    /* Invalid UTF-8 (a PG's raw message, say) would make every stored copy unstorable in
     * PostgreSQL: repair it to U+FFFD once, here, for all callers. */
    char *repaired = utf8_valid(body) ? NULL : utf8_repair(body, body_len);
    cJSON *root = cJSON_ParseWithOpts(repaired ? repaired : body, NULL, 1);
    free(repaired);
    int64_t value;
    if (!cJSON_IsObject(root) ||
        iamport_json_number_to_int64(cJSON_GetObjectItemCaseSensitive(root, "code"), &value) != 0 ||
        value < INT_MIN || value > INT_MAX) {
        cJSON_Delete(root);
        return NULL;
    }
    *code = (int)value;
    return root;
}

enum iamport_status iamport_map_answer(const struct iamport_call *call, bool is_token_call,
                                       long http_status, const char *body, size_t body_len,
                                       cJSON **response, struct iamport_error *err)
{
    int code = 0;
    enum iamport_status st;
    bool ok_status = http_status >= 200 && http_status < 300;
    cJSON *root = parse_envelope(body, body_len, &code);

    *response = NULL;
    err->http_status = (int)http_status;
    if (root) {
        const cJSON *message = cJSON_GetObjectItemCaseSensitive(root, "message");
        err->code = code;
        if (cJSON_IsString(message) && message->valuestring)
            iamport_copy_utf8(err->message, sizeof err->message, message->valuestring);
    }

    if (ok_status && root && code == 0) {
        cJSON *inner = cJSON_DetachItemFromObjectCaseSensitive(root, "response");
        *response = inner ? inner : cJSON_CreateNull();
        st = IAMPORT_OK;
        goto out;
    }
    if (is_token_call) {
        bool refused = http_status == 400 || http_status == 401 || http_status == 403 ||
                       (ok_status && root);
        if (refused)
            st = iamport_fail(err, IAMPORT_E_AUTH, "getToken refused the api key and secret");
        else if (ok_status)
            st = iamport_fail(err, IAMPORT_E_PARSE, "getToken answer is not an iamport envelope");
        else if (root && code != 0)
            st = IAMPORT_E_API;
        else
            st = iamport_fail(err, IAMPORT_E_HTTP, "getToken answered HTTP %ld", http_status);
        goto out;
    }
    if (ok_status) {
        if (!root)
            st = iamport_fail(err, IAMPORT_E_PARSE, "answer is not an iamport envelope");
        else if (call->code1_not_found && code == 1)
            st = IAMPORT_E_NOT_FOUND;
        else
            st = IAMPORT_E_API;
        goto out;
    }
    if (http_status == 404 && call->kind != IAMPORT_CALL_MONEY)
        st = IAMPORT_E_NOT_FOUND;
    else if (root && code != 0)
        st = IAMPORT_E_API;
    else
        st = iamport_fail(err, IAMPORT_E_HTTP, "unexpected HTTP %ld without an iamport envelope",
                          http_status);
out:
    cJSON_Delete(root);
    return st;
}

static void log_failure(const struct iamport_call *call, enum iamport_status st,
                        const struct iamport_error *err)
{
    if (!log_enabled(LOG_INFO))
        return;
    cJSON *fields = cJSON_CreateObject();
    cJSON_AddStringToObject(fields, "path", call->path);
    cJSON_AddStringToObject(fields, "status", iamport_status_name(st));
    cJSON_AddNumberToObject(fields, "http_status", err->http_status);
    cJSON_AddNumberToObject(fields, "code", err->code);
    cJSON_AddStringToObject(fields, "message", err->message);
    cJSON_AddStringToObject(fields, "detail", err->detail);
    log_json(LOG_INFO, NULL, "iamport call failed", fields);
}

enum iamport_status iamport_call(struct iamport_client *c, const struct iamport_call *call,
                                 cJSON **response, struct iamport_error *err)
{
    struct iamport_http_request req = {
        .method = call->method,
        .path = call->path,
        .resend_safe = call->kind == IAMPORT_CALL_LOOKUP,
    };
    struct iamport_http_response res = {0};
    enum iamport_status st;
    char *body = call->body ? iamport_body_print(call->body) : NULL;
    char *token = NULL;
    uint64_t generation = 0, stale_generation = 0;
    bool retried_401 = false;
    int extra_attempts = 0;

    *response = NULL;
    req.body = body;
    for (;;) {
        free(token);
        token = NULL;
        st = iamport_token_acquire(c, stale_generation, &token, &generation, NULL, err);
        if (st != IAMPORT_OK)
            goto out;
        req.authorization = token;
        iamport_http_response_release(&res);
        memset(err, 0, sizeof *err);

        if (iamport_http_perform(c, &req, &res) != 0) {
            if (call->kind == IAMPORT_CALL_LOOKUP && extra_attempts < LOOKUP_EXTRA_ATTEMPTS) {
                iamport_sleep_ms(lookup_backoff_ms[extra_attempts++]);
                continue;
            }
            st = call->kind != IAMPORT_CALL_LOOKUP && res.maybe_sent ? IAMPORT_E_TIMEOUT_UNKNOWN
                                                                       : IAMPORT_E_TRANSPORT;
            iamport_fail(err, st, "%s%s", res.curl_error,
                         st == IAMPORT_E_TIMEOUT_UNKNOWN
                             ? " (outcome unknown: look the merchant_uid up)"
                             : "");
            if (err)
                err->timed_out = res.curl_code == CURLE_OPERATION_TIMEDOUT;
            goto out;
        }
        if (res.http_status == 401 && !retried_401) {
            retried_401 = true;
            stale_generation = generation;
            continue;
        }
        if (res.http_status >= 500 && call->kind == IAMPORT_CALL_LOOKUP &&
            extra_attempts < LOOKUP_EXTRA_ATTEMPTS) {
            iamport_sleep_ms(lookup_backoff_ms[extra_attempts++]);
            continue;
        }
        if (res.too_large) {
            err->http_status = (int)res.http_status;
            st = iamport_fail(err, IAMPORT_E_PARSE, "answer is larger than %u bytes",
                              IAMPORT_MAX_RESPONSE_BYTES);
            goto out;
        }
        st = iamport_map_answer(call, false, res.http_status, res.body, res.body_len, response,
                                err);
        goto out;
    }
out:
    if (st != IAMPORT_OK)
        log_failure(call, st, err);
    iamport_http_response_release(&res);
    free(token);
    free(body);
    return st;
}

enum iamport_status iamport_call_read(struct iamport_client *c, const struct iamport_call *call,
                                      iamport_reader read, void *out, struct iamport_error *err)
{
    cJSON *response = NULL;
    enum iamport_status st = iamport_call(c, call, &response, err);
    if (st == IAMPORT_OK)
        st = read(response, out, err);
    return iamport_done(st, err);
}

enum iamport_status iamport_get_read(struct iamport_client *c, const char *path,
                                     iamport_reader read, void *out, struct iamport_error *err)
{
    struct iamport_call call = {.method = IAMPORT_GET, .path = path, .kind = IAMPORT_CALL_LOOKUP};
    return iamport_call_read(c, &call, read, out, err);
}

enum iamport_status iamport_get_by_id(struct iamport_client *c, const char *what, const char *id,
                                      const char *prefix, const char *suffix,
                                      iamport_reader read, void *out, struct iamport_error *err)
{
    char *path = NULL;
    enum iamport_status st = iamport_id_path(what, id, prefix, suffix, &path, err);
    if (st == IAMPORT_OK)
        st = iamport_get_read(c, path, read, out, err);
    free(path);
    return st;
}

enum iamport_status iamport_post_read(struct iamport_client *c, const char *path, cJSON *body,
                                      iamport_reader read, void *out, struct iamport_error *err)
{
    struct iamport_call call = {.method = IAMPORT_POST, .path = path, .body = body,
                                .kind = IAMPORT_CALL_MONEY};
    enum iamport_status st = iamport_call_read(c, &call, read, out, err);
    cJSON_Delete(body);
    return st;
}
