/* The reconciler's backlog, per kind of work: what waits for an outcome and what is past its grace, for /readyz and /metrics. */
#ifndef BILLKEY_RECONCILER_BACKLOG_H
#define BILLKEY_RECONCILER_BACKLOG_H

#include <cjson/cJSON.h>

#include "db/pool.h"

struct reconcile_settings;

/* The kinds of work the backlog counts, in STMT_BACKLOG's column order. */
enum reconcile_kind {
    RECONCILE_KIND_REGISTRATION, /* pending registrations that owe no refund */
    RECONCILE_KIND_REFUND,       /* pending registrations whose tampered payment's cancel failed */
    RECONCILE_KIND_CHARGE,       /* payments rows requested/unknown (issue, first_charge, again) */
    RECONCILE_KIND_SCHEDULE,     /* schedules due without a result; bookings in flight */
    RECONCILE_KIND_WEBHOOK,      /* webhook events not done (received, processing, failed) */
    RECONCILE_KINDS
};

/* Counts per kind. Caller-owned, nothing allocated. overdue[k] <= pending[k]. */
struct reconcile_backlog {
    long long pending[RECONCILE_KINDS]; /* waiting for an outcome, whatever their age */
    long long overdue[RECONCILE_KINDS]; /* past the kind's grace: what the reconciler claims
                                           (refunds: all, they have no grace; webhooks: failed) */
    double webhook_lag_s; /* age of the oldest event not processed yet (received/processing), 0 */
};

/* "registration", "refund", "charge", "schedule", "webhook" (static storage); NULL out of range. */
const char *reconcile_kind_name(enum reconcile_kind kind);

/* STMT_BACKLOG on conn (borrowed; whatever connection the caller holds, e.g. one that never
 * waits for a pool slot) with the graces of s (NULL: all 0). DB_OK with *out filled, or the
 * failure (*out zeroed). */
enum db_status reconciler_backlog_on(struct db_conn *conn, const struct reconcile_settings *s,
                                     struct reconcile_backlog *out);
/* /readyz's view, the overdue counts: {"pending_registrations":N, "refunds_pending":N,
 * "unsettled_charges":N, "overdue_schedules":N, "webhook_events":N}. Caller deletes. */
cJSON *reconciler_backlog_json(const struct reconcile_backlog *b);

#endif
