/* The Idempotency-Key middleware of merchant POSTs: claim, run once, store or replay (server/billing/idempotency.c). */
#include "routes/idempotency_wrap.h"

#include "server/billing/idempotency.h"
#include "server/core/log.h"

#define HEADER "Idempotency-Key"

/* The refusals, by decision; iamport-compatible routes get them in the envelope with code 1. */
struct refusal {
    int status;
    const char *code;
    const char *message;
};
/* clang-format off */
static const struct refusal refusals[] = {
    [IDEMPOTENCY_MISMATCH] = {422, "idempotency_key_reused",
        HEADER ": this key was already used for a different request (method, path or body); "
        "send a new key for a new request"},
    [IDEMPOTENCY_IN_PROGRESS] = {409, "idempotency_key_in_progress",
        HEADER ": the first request with this key is still running; retry once it has answered"},
    [IDEMPOTENCY_UNAVAILABLE] = {503, "database_unavailable",
        HEADER ": cannot check the key (the database is unavailable); nothing was done, try "
        "again"},
};
/* clang-format on */
#define IAMPORT_REFUSAL_CODE 1

/* After the handler of a claimed key: a 5xx, an answer marked retry ("outcome unknown", "not
 * sent"), no answer or a file gives the key up so that a retry runs again; anything else is
 * stored for replay. */
static void settle(const struct billing_env *env, const struct idempotency_claim *claim,
                   const struct request *req, const struct reply *rep)
{
    enum db_status st = DB_INVALID;
    if (rep->status >= 200 && rep->status < 500 && !rep->retry && rep->file_fd < 0) {
        st = idempotency_finish(env, claim, rep->status, rep->content_type, rep->body,
                                rep->body_len);
        if (st == DB_OK)
            return;
        log_msg(LOG_WARN, req->request_id,
                "cannot store the answer (%d) of an Idempotency-Key of '%s' (%s); giving the key "
                "up so that a retry runs again",
                rep->status, claim->api_key_name, db_status_name(st));
    }
    if ((st = idempotency_release(env, claim)) != DB_OK)
        log_msg(LOG_WARN, req->request_id,
                "cannot give up the Idempotency-Key of '%s' (%s); retries get 409 until its "
                "claim expires after " IDEMPOTENCY_CLAIM_LEASE,
                claim->api_key_name, db_status_name(st));
}

void route_idempotency_wrap(void *ctx, const struct route *route, struct request *req,
                            struct reply *rep)
{
    const struct billing_env *env = ctx;
    const char *key = request_header(req, HEADER);
    char hash[IDEMPOTENCY_HASH_LEN + 1];
    struct idempotency_claim claim = {.api_key_name = req->merchant, .key = key};
    struct idempotency_reply stored = {0};

    if (!key || !req->merchant) {
        route->handler(req, rep);
        return;
    }
    if (!idempotency_key_valid(key)) {
        http_route_error(route, req, rep, 400, IAMPORT_REFUSAL_CODE, "invalid_idempotency_key",
                         HEADER, HEADER ": must be 1 to %d printable ASCII characters",
                         IDEMPOTENCY_KEY_MAX);
        return;
    }
    idempotency_request_hash(req->method, req->path, req->raw_body, req->raw_body_len, hash);
    enum idempotency_decision d = idempotency_begin(env, &claim, hash, &stored, req->request_id);
    if (d == IDEMPOTENCY_NEW) {
        route->handler(req, rep);
        settle(env, &claim, req, rep);
    } else if (d == IDEMPOTENCY_REPLAY) {
        reply_bytes(rep, stored.status,
                    stored.content_type ? stored.content_type : "application/json", stored.body,
                    stored.body_len);
        reply_set_header(rep, "Idempotent-Replayed", "true");
    } else {
        const struct refusal *r = &refusals[d];
        http_route_error(route, req, rep, r->status, IAMPORT_REFUSAL_CODE, r->code, HEADER, "%s",
                         r->message);
    }
    idempotency_reply_release(&stored);
}

struct http_middleware route_idempotency_middleware(const struct billing_env *env)
{
    /* http_middleware.ctx is untyped; route_idempotency_wrap only reads through it. */
    struct http_middleware mw = {.route_flags = ROUTE_MERCHANT,
                                 .methods = HTTP_POST,
                                 .wrap = route_idempotency_wrap,
                                 .ctx = (void *)env};
    return mw;
}
