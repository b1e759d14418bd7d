/* iamport client: one call's exchange with its retry policy, and the {code, message, response}
 * envelope decoded into the typed failure kinds. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/iamport/iamport_envelope.h"
#include "server/iamport/iamport_errors.h"
#include "server/iamport/iamport_json.h"
#include "server/iamport/iamport_metrics.h"
#include "server/iamport/iamport_scan.h"
#include "server/core/utf8.h"
#include "server/core/xalloc.h"

#define LOOKUP_EXTRA_ATTEMPTS 2

static const long lookup_backoff_ms[LOOKUP_EXTRA_ATTEMPTS] = {100, 300};

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Parses body as an envelope. Returns the root (caller deletes) and sets *code, or NULL when
 * the body is not JSON or not an object with an integral "code". */
static cJSON *parse_envelope(const char *body, size_t body_len, int *code)
{
    /* body need not end in a NUL: nothing past body_len is read (found by fuzz_iamport). */
    if (body_len == 0 || memchr(body, '\0', body_len))
        return NULL; /* empty, or NUL bytes inside */
    char *text = xstrndup(body, body_len);
    /* Invalid UTF-8 (a PG's raw message, say) would make every stored copy unstorable in
     * PostgreSQL: repair it to U+FFFD once, here, for all callers. */
    char *repaired = utf8_valid(text) ? NULL : utf8_repair(text, body_len);
    cJSON *root = cJSON_ParseWithOpts(repaired ? repaired : text, NULL, 1);
    free(repaired);
    free(text);
    int64_t value;
    if (!cJSON_IsObject(root) ||
        iamport_json_number_to_int64(iamport_json_get(root, "code"), &value) != 0 ||
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
        const cJSON *message = iamport_json_get(root, "message");
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
        bool refused =
            http_status == 400 || http_status == 401 || http_status == 403 || (ok_status && root);
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

enum iamport_status iamport_map_answer_text(const struct iamport_call *call, long http_status,
                                            const char *body, size_t body_len,
                                            struct iamport_error *err)
{
    char *repaired = NULL;
    size_t len = 0;
    struct iamport_scan_envelope env;
    enum iamport_status st;
    bool ok_status = http_status >= 200 && http_status < 300;
    const char *text = ok_status && !call->is_token_call
                           ? iamport_scan_prepare(body, body_len, &repaired, &len)
                           : NULL;

    if (text && iamport_scan_envelope(text, len, &env) == 0 && env.code == 0) {
        bool none = env.response.type == IAMPORT_SCAN_ABSENT;
        err->http_status = (int)http_status;
        err->code = 0;
        if (env.message)
            iamport_copy_utf8(err->message, sizeof err->message, env.message);
        st = call->text->read(none ? "null" : env.response.text, none ? 4 : env.response.len,
                              call->text, err);
        /* a skimmed response the reader refused may be malformed JSON, and then so was the
         * envelope: cJSON's verdict below stands */
        bool malformed = st != IAMPORT_OK && env.response_skimmed &&
                         iamport_scan_document(env.response.text, env.response.len, NULL) != 0;
        iamport_scan_envelope_release(&env);
        if (!malformed) {
            free(repaired);
            return st;
        }
        memset(err, 0, sizeof *err);
    } else if (text) {
        iamport_scan_envelope_release(&env);
    }
    free(repaired);
    /* refusals and unreadable answers: the tree path, as for every other call */
    cJSON *response = NULL;
    st = iamport_map_answer(call, call->is_token_call, http_status, body, body_len, &response, err);
    if (st == IAMPORT_OK) {
        char *printed = cJSON_PrintUnformatted(response);
        st = printed ? call->text->read(printed, strlen(printed), call->text, err)
                     : iamport_fail(err, IAMPORT_E_PARSE, "answer cannot be printed");
        cJSON_free(printed);
    }
    cJSON_Delete(response);
    return st;
}

/* A transport failure (no HTTP answer) as the call's status. A money-moving call that may
 * have left has an unknown outcome; anything else was not processed. */
static enum iamport_status transport_failure(const struct iamport_call *call,
                                             const struct iamport_http_response *res,
                                             struct iamport_error *err)
{
    bool unknown = call->kind != IAMPORT_CALL_LOOKUP && res->maybe_sent;
    enum iamport_status st = unknown ? IAMPORT_E_TIMEOUT_UNKNOWN : IAMPORT_E_TRANSPORT;
    iamport_fail(err, st, "%s%s%s", call->is_token_call ? "getToken: " : "", res->curl_error,
                 unknown ? " (outcome unknown: look the merchant_uid up)" : "");
    /* A getToken timeout is reported as a plain transport failure (nothing was processed). */
    if (!call->is_token_call)
        err->timed_out = res->curl_code == CURLE_OPERATION_TIMEDOUT;
    return st;
}

/* One call's run through its attempts: what iamport_exchange keeps between them. */
struct exchange_run {
    struct iamport_http *http;
    const struct iamport_call *call;
    const struct iamport_authorizer *auth; /* may be NULL */
    cJSON **response;
    struct iamport_error *err;
    struct iamport_http_request req;
    struct iamport_http_response res;
    char *body;  /* owned: the call's body as text */
    char *token; /* owned: the token of the current attempt */
    bool refresh, retried_401, sent, timed_out;
    int extra_attempts;
    struct timespec started;
    enum iamport_status st; /* the outcome, once the run has ended */
};

static void run_start(struct exchange_run *r, struct iamport_http *http,
                      const struct iamport_call *call, const struct iamport_authorizer *auth,
                      cJSON **response, struct iamport_error *err)
{
    memset(r, 0, sizeof *r);
    r->http = http;
    r->call = call;
    r->auth = auth;
    r->response = response;
    r->err = err;
    r->req.method = call->method;
    r->req.path = call->path;
    r->req.resend_safe = call->kind == IAMPORT_CALL_LOOKUP;
    r->body = call->body ? iamport_body_print(call->body) : NULL;
    r->req.body = r->body;
    *response = NULL;
    clock_gettime(CLOCK_MONOTONIC, &r->started);
}

/* Readies the next attempt (its token, a clean answer and error). false when the run ended
 * instead (no token: r->st and err say why). */
static bool run_prepare(struct exchange_run *r)
{
    if (r->auth) {
        free(r->token);
        r->token = NULL;
        r->st = r->auth->token(r->auth->arg, r->refresh, &r->token, r->err);
        if (r->st != IAMPORT_OK)
            return false;
        r->refresh = false;
        r->req.authorization = r->token;
    }
    iamport_http_response_release(&r->res);
    memset(r->err, 0, sizeof *r->err);
    if (r->call->attempts)
        atomic_fetch_add(r->call->attempts, 1);
    r->sent = true;
    return true;
}

/* Judges the attempt whose answer is in r->res (`answered`: an HTTP answer arrived). true when
 * the run ended (r->st set); false when it goes on with another attempt (after the backoff). */
static bool run_judge(struct exchange_run *r, bool answered)
{
    const struct iamport_call *call = r->call;
    struct iamport_http_response *res = &r->res;
    bool retryable = !answered || res->http_status >= 500;

    if (answered && res->http_status == 401 && r->auth && !r->retried_401) {
        r->retried_401 = r->refresh = true;
        return false;
    }
    if (retryable && call->kind == IAMPORT_CALL_LOOKUP &&
        r->extra_attempts < LOOKUP_EXTRA_ATTEMPTS) {
        sleep_ms(lookup_backoff_ms[r->extra_attempts++]);
        return false;
    }
    if (!answered) {
        r->timed_out = res->curl_code == CURLE_OPERATION_TIMEDOUT;
        r->st = transport_failure(call, res, r->err);
        return true;
    }
    if (res->too_large) {
        r->err->http_status = (int)res->http_status;
        r->st = iamport_fail(r->err, IAMPORT_E_PARSE, "%sanswer is larger than %u bytes",
                             call->is_token_call ? "getToken " : "", IAMPORT_MAX_RESPONSE_BYTES);
        return true;
    }
    r->st = call->text
                ? iamport_map_answer_text(call, res->http_status, res->body, res->body_len, r->err)
                : iamport_map_answer(call, call->is_token_call, res->http_status, res->body,
                                     res->body_len, r->response, r->err);
    return true;
}

/* Attempts one after another until the run ends. */
static void run_alone(struct exchange_run *r)
{
    while (run_prepare(r)) {
        bool answered = iamport_http_perform(r->http, &r->req, &r->res) == 0;
        if (run_judge(r, answered))
            return;
    }
}

static enum iamport_status run_finish(struct exchange_run *r)
{
    if (r->sent)
        iamport_metrics_record(r->call->path, r->call->kind == IAMPORT_CALL_MONEY, r->st,
                               *r->response, r->call->text && r->call->text->declined, r->timed_out,
                               seconds_since(&r->started));
    iamport_http_response_release(&r->res);
    free(r->token);
    free(r->body);
    return r->st;
}

enum iamport_status iamport_exchange(struct iamport_http *http, const struct iamport_call *call,
                                     const struct iamport_authorizer *auth, cJSON **response,
                                     struct iamport_error *err)
{
    struct exchange_run r;
    run_start(&r, http, call, auth, response, err);
    run_alone(&r);
    return run_finish(&r);
}

void iamport_exchange_overlapped(struct iamport_http *http, const struct iamport_overlap_job *jobs,
                                 size_t n)
{
    struct exchange_run runs[IAMPORT_OVERLAP_MAX];
    const struct iamport_http_request *reqs[IAMPORT_OVERLAP_MAX];
    struct iamport_http_response res[IAMPORT_OVERLAP_MAX];
    int rcs[IAMPORT_OVERLAP_MAX];
    size_t ready[IAMPORT_OVERLAP_MAX], n_ready = 0;

    if (n > IAMPORT_OVERLAP_MAX)
        n = IAMPORT_OVERLAP_MAX;
    for (size_t i = 0; i < n; i++) {
        run_start(&runs[i], http, jobs[i].call, jobs[i].auth, jobs[i].response, jobs[i].err);
        if (run_prepare(&runs[i])) {
            reqs[n_ready] = &runs[i].req;
            ready[n_ready++] = i;
        }
    }
    /* the first attempts together; any call that needs another (401, a lookup's retry) goes
     * on alone */
    if (n_ready == 1) {
        struct exchange_run *r = &runs[ready[0]];
        if (!run_judge(r, iamport_http_perform(http, &r->req, &r->res) == 0))
            run_alone(r);
    } else if (n_ready > 1) {
        iamport_http_perform_overlapped(http, reqs, res, rcs, n_ready);
        for (size_t k = 0; k < n_ready; k++) {
            struct exchange_run *r = &runs[ready[k]];
            r->res = res[k];
            if (!run_judge(r, rcs[k] == 0))
                run_alone(r);
        }
    }
    for (size_t i = 0; i < n; i++)
        *jobs[i].status = run_finish(&runs[i]);
}
