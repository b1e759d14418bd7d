/* The reconciler's claims: one statement in a short transaction that stamps a lease, its row copied out. */
#include "server/billing/reconciler_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/billing/short_tx.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"

void reconcile_row_release(struct reconcile_row *row)
{
    for (int i = 0; i < row->columns; i++)
        free(row->value[i]);
    memset(row, 0, sizeof *row);
}

struct claim_arg {
    enum db_stmt stmt;
    const char *const *params;
    struct reconcile_row *row;
};

static enum db_status claim_body(struct db_conn *conn, void *arg)
{
    struct claim_arg *a = arg;
    PGresult *res = NULL;
    enum db_status st = db_exec(conn, a->stmt, a->params, &res);
    if (st != DB_OK)
        return st;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DB_NOT_FOUND;
    }
    int n = PQnfields(res);
    a->row->columns = n < 4 ? n : 4;
    for (int i = 0; i < a->row->columns; i++)
        a->row->value[i] = PQgetisnull(res, 0, i) ? NULL : xstrdup(PQgetvalue(res, 0, i));
    PQclear(res);
    return DB_OK;
}

int reconcile_claim(struct db_pool *pool, enum db_stmt stmt, int64_t grace_s,
                    const struct reconcile_settings *s, const char *what, struct reconcile_row *row)
{
    char grace[24], lease[24], stale[24];
    snprintf(grace, sizeof grace, "%" PRId64, grace_s);
    snprintf(lease, sizeof lease, "%" PRId64, reconcile_lease_ms(s));
    snprintf(stale, sizeof stale, "%" PRId64, reconcile_stale_ms(s));
    const char *params[] = {grace, lease, stale};
    memset(row, 0, sizeof *row);
    struct claim_arg a = {stmt, params, row};
    enum db_status st = short_tx_run(pool, claim_body, &a);
    if (st == DB_OK) {
        snprintf(row->request_id, sizeof row->request_id, "reconcile-%s",
                 row->value[0] ? row->value[0] : "");
        return 1;
    }
    reconcile_row_release(row);
    if (st != DB_NOT_FOUND)
        log_msg(LOG_WARN, NULL, "reconciler: claiming %s failed (%s)", what, db_status_name(st));
    return 0;
}

int64_t reconcile_lease_ms(const struct reconcile_settings *s)
{
    return s->lease_ms > 0 ? s->lease_ms : RECONCILE_LEASE_MS_DEFAULT;
}

int64_t reconcile_stale_ms(const struct reconcile_settings *s)
{
    return s->stale_ms > 0 ? s->stale_ms : RECONCILE_STALE_MS_DEFAULT;
}

int64_t reconcile_retry_ms(const struct reconcile_settings *s)
{
    return s->retry_ms > 0 ? s->retry_ms : RECONCILE_RETRY_MS_DEFAULT;
}

int64_t reconcile_refund_first_ms(const struct reconcile_settings *s)
{
    int64_t ms = reconcile_retry_ms(s) / 10;
    return ms > 0 ? ms : 1;
}

void reconcile_retry_later(struct db_pool *pool, enum db_stmt stmt, const char *merchant_uid,
                           const struct reconcile_settings *s)
{
    char delay[24], first[24];
    snprintf(delay, sizeof delay, "%" PRId64, reconcile_retry_ms(s));
    snprintf(first, sizeof first, "%" PRId64, reconcile_refund_first_ms(s));
    const char *params[] = {merchant_uid, delay, first};
    struct db_conn *conn = NULL;
    enum db_status st = db_acquire(pool, &conn);
    if (st == DB_OK) {
        st = db_exec(conn, stmt, params, NULL);
        db_release(pool, conn);
    }
    if (st != DB_OK)
        log_msg(LOG_WARN, NULL, "reconciler: rescheduling '%s' failed (%s)", merchant_uid,
                db_status_name(st));
}
