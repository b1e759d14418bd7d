/* The reconciler's backlog: how many items are past their grace period, for /readyz. */
#ifndef BILLKEY_RECONCILER_BACKLOG_H
#define BILLKEY_RECONCILER_BACKLOG_H

#include <cjson/cJSON.h>

#include "db/pool.h"

struct reconcile_settings;

/* Counts of items past their grace (the reconciler's queues). Caller-owned, nothing allocated. */
struct reconcile_backlog {
    long long pending_registrations;
    long long unsettled_charges;
    long long overdue_schedules;
    long long webhook_events; /* 'failed' after the worker's retries */
};

/* One prepared statement on conn (borrowed; whatever connection the caller holds, e.g. one that
 * never waits for a pool slot). DB_OK with *out filled, or the failure (*out zeroed). */
enum db_status reconciler_backlog_on(struct db_conn *conn, const struct reconcile_settings *s,
                                     struct reconcile_backlog *out);
/* {"pending_registrations":N, "unsettled_charges":N, "overdue_schedules":N,
 * "webhook_events":N}. Caller deletes. */
cJSON *reconciler_backlog_json(const struct reconcile_backlog *b);

#endif
