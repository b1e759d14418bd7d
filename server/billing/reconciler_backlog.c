/* The reconciler's backlog: how many items are past their grace period, for /readyz. */
#include "server/billing/reconciler_backlog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/billing/reconciler.h"

enum db_status reconciler_backlog_on(struct db_conn *conn, const struct reconcile_settings *s,
                                     struct reconcile_backlog *out)
{
    char reg[24], charge[24], sched[24];
    snprintf(reg, sizeof reg, "%" PRId64, s->registration_grace_s);
    snprintf(charge, sizeof charge, "%" PRId64, s->charge_grace_s);
    snprintf(sched, sizeof sched, "%" PRId64, s->schedule_grace_s);
    const char *params[] = {reg, charge, sched};
    PGresult *res = NULL;
    memset(out, 0, sizeof *out);
    enum db_status st = db_exec(conn, STMT_RECONCILE_BACKLOG, params, &res);
    if (st == DB_OK && PQntuples(res) == 1 && PQnfields(res) == 4) {
        out->pending_registrations = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        out->unsettled_charges = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        out->overdue_schedules = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
        out->webhook_events = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
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
    cJSON_AddNumberToObject(o, "pending_registrations", (double)b->pending_registrations);
    cJSON_AddNumberToObject(o, "unsettled_charges", (double)b->unsettled_charges);
    cJSON_AddNumberToObject(o, "overdue_schedules", (double)b->overdue_schedules);
    cJSON_AddNumberToObject(o, "webhook_events", (double)b->webhook_events);
    return o;
}
