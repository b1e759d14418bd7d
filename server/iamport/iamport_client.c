/* iamport client: handle lifecycle, and calls made with the shared token (through the envelope
 * module) then read into the caller's struct. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "server/iamport/iamport_client.h"
#include "server/iamport/iamport_errors.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_MAX_CONCURRENT 64

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
    if (!o->base_url ||
        (strncmp(o->base_url, "http://", 7) != 0 && strncmp(o->base_url, "https://", 8) != 0))
        return "base_url must start with 'http://' or 'https://'";
    if (has_control_chars(o->base_url) || strchr(o->base_url, ' '))
        return "base_url contains spaces or control characters";
    if (!o->api_key || !*o->api_key)
        return "api_key is missing";
    if (!o->api_secret || !*o->api_secret)
        return "api_secret is missing";
    if (o->connect_timeout_ms < 0 || o->timeout_ms < 0)
        return "timeouts must not be negative";
    if (o->max_concurrent < 0)
        return "max_concurrent must not be negative";
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
    struct iamport_client *c = xcalloc(1, sizeof *c);
    long connect_timeout_ms =
        opts->connect_timeout_ms ? opts->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    long timeout_ms = opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
    if (iamport_http_init(&c->http, opts->base_url, opts->tier_code, connect_timeout_ms,
                          timeout_ms) != 0) {
        free(c);
        return NULL;
    }
    iamport_token_cache_init(&c->token, &c->http, opts->clock, opts->api_key, opts->api_secret);
    c->include_sandbox = opts->include_sandbox;
    c->max_concurrent = opts->max_concurrent ? opts->max_concurrent : DEFAULT_MAX_CONCURRENT;
    atomic_init(&c->in_flight, 0);

    log_register_secret(opts->api_secret);
    log_register_secret(opts->api_key);
    return c;
}

void iamport_client_free(struct iamport_client *c)
{
    if (!c)
        return;
    iamport_token_cache_destroy(&c->token);
    iamport_http_release(&c->http);
    free(c);
}

void iamport_client_get_stats(struct iamport_client *c, struct iamport_client_stats *out)
{
    out->requests = atomic_load(&c->http.stat_requests);
    out->connects = atomic_load(&c->http.stat_connects);
    out->token_fetches = atomic_load(&c->token.stat_fetches);
}

/* Takes one of the client's concurrency slots; false (err filled, nothing to give back) when
 * max_concurrent calls are already in flight. */
static bool slot_take(struct iamport_client *c, struct iamport_error *err)
{
    if (atomic_fetch_add(&c->in_flight, 1) < c->max_concurrent)
        return true;
    atomic_fetch_sub(&c->in_flight, 1);
    if (err)
        memset(err, 0, sizeof *err);
    iamport_fail(err, IAMPORT_E_BUSY, "%d iamport calls are already in flight", c->max_concurrent);
    return false;
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

/* The token cache as the envelope module's authorizer: remembers the generation it handed out
 * so that a refresh after 401 replaces exactly that token. */
struct call_token {
    struct iamport_token_cache *cache;
    uint64_t generation;
};

static enum iamport_status call_token_get(void *arg, bool refresh, char **token,
                                          struct iamport_error *err)
{
    struct call_token *ct = arg;
    uint64_t stale_generation = refresh ? ct->generation : 0;
    return iamport_token_acquire(ct->cache, stale_generation, token, &ct->generation, NULL, err);
}

enum iamport_status iamport_call(struct iamport_client *c, const struct iamport_call *call,
                                 cJSON **response, struct iamport_error *err)
{
    struct call_token ct = {.cache = &c->token};
    const struct iamport_authorizer auth = {.token = call_token_get, .arg = &ct};
    enum iamport_status st;

    *response = NULL;
    if (!slot_take(c, err)) {
        log_failure(call, IAMPORT_E_BUSY, err);
        return IAMPORT_E_BUSY;
    }
    st = iamport_exchange(&c->http, call, &auth, response, err);
    atomic_fetch_sub(&c->in_flight, 1);
    if (st != IAMPORT_OK)
        log_failure(call, st, err);
    return st;
}

void iamport_call_read_overlapped(struct iamport_client *c, struct iamport_read_job *jobs, size_t n)
{
    struct call_token tokens[IAMPORT_OVERLAP_MAX] = {{0}};
    struct iamport_authorizer auths[IAMPORT_OVERLAP_MAX] = {{0}};
    struct iamport_text_read into[IAMPORT_OVERLAP_MAX] = {{0}};
    struct iamport_call calls[IAMPORT_OVERLAP_MAX];
    struct iamport_overlap_job run[IAMPORT_OVERLAP_MAX] = {{0}};
    cJSON *responses[IAMPORT_OVERLAP_MAX] = {NULL};
    size_t of_job[IAMPORT_OVERLAP_MAX], n_run = 0;
    size_t later[IAMPORT_OVERLAP_MAX], n_later = 0;

    if (n > IAMPORT_OVERLAP_MAX)
        n = IAMPORT_OVERLAP_MAX;
    for (size_t i = 0; i < n; i++) {
        struct iamport_read_job *j = &jobs[i];
        if (!slot_take(c, j->err)) {
            /* no slot for it now: it waits for the others' (the limit counts calls, so a
             * verification with one slot left still gets both answers, one after the other) */
            if (n > 1) {
                later[n_later++] = i;
                continue;
            }
            j->status = IAMPORT_E_BUSY;
            log_failure(j->call, j->status, j->err);
            continue;
        }
        into[n_run] = (struct iamport_text_read){.read = j->read, .out = j->out};
        calls[n_run] = *j->call;
        calls[n_run].text = &into[n_run];
        tokens[n_run] = (struct call_token){.cache = &c->token};
        auths[n_run] = (struct iamport_authorizer){.token = call_token_get, .arg = &tokens[n_run]};
        run[n_run] = (struct iamport_overlap_job){.call = &calls[n_run],
                                                  .auth = &auths[n_run],
                                                  .response = &responses[n_run],
                                                  .err = j->err,
                                                  .status = &j->status};
        of_job[n_run++] = i;
    }
    iamport_exchange_overlapped(&c->http, run, n_run);
    for (size_t k = 0; k < n_run; k++) {
        struct iamport_read_job *j = &jobs[of_job[k]];
        atomic_fetch_sub(&c->in_flight, 1);
        cJSON_Delete(responses[k]); /* NULL: the text reader filled j->out */
        if (j->status != IAMPORT_OK)
            log_failure(j->call, j->status, j->err);
        j->status = iamport_done(j->status, j->err);
    }
    for (size_t k = 0; k < n_later; k++) {
        struct iamport_read_job *j = &jobs[later[k]];
        j->status = iamport_call_read_text(c, j->call, j->read, j->out, j->err);
    }
}

enum iamport_status iamport_get_token(struct iamport_client *c, char **token_out,
                                      int64_t *expires_in_s, struct iamport_error *err)
{
    struct iamport_error local;
    int64_t left_ms = 0;
    if (!err)
        err = &local;
    memset(err, 0, sizeof *err);
    enum iamport_status st = iamport_token_acquire(&c->token, 0, token_out, NULL, &left_ms, err);
    if (expires_in_s)
        *expires_in_s = st == IAMPORT_OK ? left_ms / 1000 : 0;
    return st;
}

/* Runs a call and reads its answer into *out: as a tree with `read`, or, when read_text is set,
 * from its text (iamport_map_answer_text). */
static enum iamport_status call_read(struct iamport_client *c, const struct iamport_call *call,
                                     iamport_reader read, iamport_text_reader read_text, void *out,
                                     struct iamport_error *err)
{
    struct iamport_text_read into = {.read = read_text, .out = out};
    struct iamport_call with_text = *call;
    cJSON *response = NULL;
    if (read_text)
        with_text.text = &into;
    enum iamport_status st = iamport_call(c, &with_text, &response, err);
    if (st == IAMPORT_OK && !read_text)
        st = read(response, out, err);
    else
        cJSON_Delete(response); /* NULL */
    return iamport_done(st, err);
}

enum iamport_status iamport_call_read_text(struct iamport_client *c,
                                           const struct iamport_call *call,
                                           iamport_text_reader read, void *out,
                                           struct iamport_error *err)
{
    return call_read(c, call, NULL, read, out, err);
}

static enum iamport_status get_by_id(struct iamport_client *c, const char *what, const char *id,
                                     const char *prefix, const char *suffix, iamport_reader read,
                                     iamport_text_reader read_text, void *out,
                                     struct iamport_error *err)
{
    char *path = NULL;
    enum iamport_status st = iamport_id_path(what, id, prefix, suffix, &path, err);
    if (st == IAMPORT_OK) {
        struct iamport_call call = {
            .method = IAMPORT_GET, .path = path, .kind = IAMPORT_CALL_LOOKUP};
        st = call_read(c, &call, read, read_text, out, err);
    }
    free(path);
    return st;
}

enum iamport_status iamport_get_by_id(struct iamport_client *c, const char *what, const char *id,
                                      const char *prefix, const char *suffix, iamport_reader read,
                                      void *out, struct iamport_error *err)
{
    return get_by_id(c, what, id, prefix, suffix, read, NULL, out, err);
}

enum iamport_status iamport_get_by_id_text(struct iamport_client *c, const char *what,
                                           const char *id, const char *prefix, const char *suffix,
                                           iamport_text_reader read, void *out,
                                           struct iamport_error *err)
{
    return get_by_id(c, what, id, prefix, suffix, NULL, read, out, err);
}

static enum iamport_status post_read(struct iamport_client *c, const char *path, cJSON *body,
                                     iamport_reader read, iamport_text_reader read_text, void *out,
                                     struct iamport_error *err)
{
    struct iamport_call call = {
        .method = IAMPORT_POST, .path = path, .body = body, .kind = IAMPORT_CALL_MONEY};
    enum iamport_status st = call_read(c, &call, read, read_text, out, err);
    cJSON_Delete(body);
    return st;
}

enum iamport_status iamport_post_read(struct iamport_client *c, const char *path, cJSON *body,
                                      iamport_reader read, void *out, struct iamport_error *err)
{
    return post_read(c, path, body, read, NULL, out, err);
}

enum iamport_status iamport_post_read_text(struct iamport_client *c, const char *path, cJSON *body,
                                           iamport_text_reader read, void *out,
                                           struct iamport_error *err)
{
    return post_read(c, path, body, NULL, read, out, err);
}
