/* The webhook_events table: record a delivery, claim it with a lease, finish it. */
#include "server/billing/webhook_events.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/billing/short_tx.h"
#include "server/core/xalloc.h"

void webhook_event_release(struct webhook_event *ev)
{
    free(ev->imp_uid);
    free(ev->merchant_uid);
    memset(ev, 0, sizeof *ev);
}

enum db_status webhook_event_record(struct db_pool *pool, const char *imp_uid,
                                    const char *merchant_uid, const char *status,
                                    const char *source, long long *id)
{
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    const char *params[] = {imp_uid, merchant_uid, status, source};
    enum db_status st = db_acquire(pool, &conn);
    if (st != DB_OK)
        return st;
    st = db_exec(conn, STMT_WEBHOOK_INSERT, params, &res);
    if (st == DB_OK && id)
        *id = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    if (res)
        PQclear(res);
    db_release(pool, conn);
    return st;
}

struct claim_arg {
    int64_t lease_ms;
    struct webhook_event *out;
};

static enum db_status claim_body(struct db_conn *conn, void *arg)
{
    struct claim_arg *a = arg;
    char lease[24];
    snprintf(lease, sizeof lease, "%" PRId64, a->lease_ms);
    const char *params[] = {lease};
    PGresult *res = NULL;
    enum db_status st = db_exec(conn, STMT_WEBHOOK_CLAIM, params, &res);
    if (st != DB_OK)
        return st;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DB_NOT_FOUND;
    }
    a->out->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    a->out->imp_uid = xstrdup(PQgetvalue(res, 0, 1));
    a->out->merchant_uid = xstrdup(PQgetvalue(res, 0, 2));
    snprintf(a->out->claim, sizeof a->out->claim, "%s", PQgetvalue(res, 0, 3));
    a->out->attempts = atoi(PQgetvalue(res, 0, 4));
    PQclear(res);
    return DB_OK;
}

enum db_status webhook_event_claim(struct db_pool *pool, int64_t lease_ms,
                                   struct webhook_event *out)
{
    memset(out, 0, sizeof *out);
    struct claim_arg a = {lease_ms, out};
    enum db_status st = short_tx_run(pool, claim_body, &a);
    if (st != DB_OK)
        webhook_event_release(out);
    return st;
}

enum db_status webhook_event_finish(struct db_pool *pool, const struct webhook_event *ev,
                                    const char *state, const char *result, int64_t retry_ms)
{
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    char id[24], retry[24];
    snprintf(id, sizeof id, "%lld", ev->id);
    snprintf(retry, sizeof retry, "%" PRId64, retry_ms);
    const char *params[] = {id, ev->claim, state, result, retry};
    enum db_status st = db_acquire(pool, &conn);
    if (st != DB_OK)
        return st;
    st = db_exec(conn, STMT_WEBHOOK_FINISH, params, &res);
    if (st == DB_OK && PQntuples(res) != 1)
        st = DB_NOT_FOUND;
    if (res)
        PQclear(res);
    db_release(pool, conn);
    return st;
}
