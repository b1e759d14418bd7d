/* The reconciler's backlog, per kind of work: what waits for an outcome and what is past its grace, for /readyz and /metrics. */
#include "server/billing/reconciler_backlog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/billing/reconciler_internal.h"

/* clang-format off */
static const struct {
    const char *name;
    const char *readyz; /* its overdue count's key in /readyz's "backlog" */
} kinds[RECONCILE_KINDS] = {
    [RECONCILE_KIND_REGISTRATION] = {"registration", "pending_registrations"},
    [RECONCILE_KIND_REFUND]       = {"refund",       "refunds_pending"},
    [RECONCILE_KIND_CHARGE]       = {"charge",       "unsettled_charges"},
    [RECONCILE_KIND_SCHEDULE]     = {"schedule",     "overdue_schedules"},
    [RECONCILE_KIND_WEBHOOK]      = {"webhook",      "webhook_events"},
};
/* clang-format on */

#define BACKLOG_COLUMNS (2 * RECONCILE_KINDS + 1)

const char *reconcile_kind_name(enum reconcile_kind kind)
{
    return (int)kind >= 0 && kind < RECONCILE_KINDS ? kinds[kind].name : NULL;
}

enum db_status reconciler_backlog_on(struct db_conn *conn, const struct reconcile_settings *s,
                                     struct reconcile_backlog *out)
{
    static const struct reconcile_settings none;
    if (!s)
        s = &none;
    char reg[24], charge[24], sched[24], stale[24];
    snprintf(reg, sizeof reg, "%" PRId64, s->registration_grace_s);
    snprintf(charge, sizeof charge, "%" PRId64, s->charge_grace_s);
    snprintf(sched, sizeof sched, "%" PRId64, s->schedule_grace_s);
    snprintf(stale, sizeof stale, "%" PRId64, reconcile_stale_ms(s));
    const char *params[] = {reg, charge, sched, stale};
    PGresult *res = NULL;
    memset(out, 0, sizeof *out);
    enum db_status st = db_exec(conn, STMT_BACKLOG, params, &res);
    if (st == DB_OK && PQntuples(res) == 1 && PQnfields(res) == BACKLOG_COLUMNS) {
        for (int k = 0; k < RECONCILE_KINDS; k++) {
            out->pending[k] = strtoll(PQgetvalue(res, 0, 2 * k), NULL, 10);
            out->overdue[k] = strtoll(PQgetvalue(res, 0, 2 * k + 1), NULL, 10);
        }
        out->webhook_lag_s = strtod(PQgetvalue(res, 0, BACKLOG_COLUMNS - 1), NULL);
    } else if (st == DB_OK) {
        st = DB_ERROR;
    }
    if (res)
        PQclear(res);
    if (st != DB_OK)
        memset(out, 0, sizeof *out);
    return st;
}

cJSON *reconciler_backlog_json(const struct reconcile_backlog *b)
{
    cJSON *o = cJSON_CreateObject();
    for (int k = 0; k < RECONCILE_KINDS; k++)
        cJSON_AddNumberToObject(o, kinds[k].readyz, (double)b->overdue[k]);
    return o;
}
