/* The reconciler's overdue schedules: GET /subscribe/payments/schedule/{merchant_uid}, recorded on the schedules and payments rows. */
#include "server/billing/reconciler_internal.h"

#include <stdio.h>
#include <string.h>

#include "server/billing/audit.h"
#include "server/billing/billing_env.h"
#include "server/billing/schedule_ledger.h"
#include "server/billing/short_tx.h"
#include "server/core/log.h"

struct not_sent_arg {
    const char *merchant_uid;
    const char *request_id;
};

/* A booking that never reached iamport (404, nothing in flight): schedule and payment not_sent. */
static enum db_status not_sent_body(struct db_conn *conn, void *arg)
{
    struct not_sent_arg *a = arg;
    enum db_status st = schedule_ledger_mark(conn, a->merchant_uid, "not_sent", "not_sent");
    if (st != DB_OK)
        return st;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "reason", "iamport has no schedule for this merchant_uid");
    return audit_record(conn, RECONCILE_ACTOR, "schedule.not_sent", a->merchant_uid, a->request_id,
                        d);
}

/* What iamport's schedule came to, recorded. Returns the fix for the log; *settled = 1 when the
 * schedule has its result (or was found never sent). */
static const char *record_schedule(const struct billing_env *env, const char *merchant_uid,
                                   const char *status, int stale, const char *request_id,
                                   int *settled)
{
    struct iamport_schedule sch;
    struct iamport_error err;
    memset(&sch, 0, sizeof sch);
    enum iamport_status ist = iamport_get_schedule(env->iamport, merchant_uid, &sch, &err);
    if (ist == IAMPORT_E_NOT_FOUND) {
        if (!stale || strcmp(status, "scheduled") == 0)
            return "iamport has no such schedule; left as it is";
        struct not_sent_arg a = {merchant_uid, request_id};
        *settled = short_tx_run(env->db, not_sent_body, &a) == DB_OK;
        return *settled ? "not_sent" : "recording failed";
    }
    if (ist != IAMPORT_OK)
        return iamport_status_name(ist);
    struct iamport_schedule_list one = {.items = &sch, .count = 1};
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "schedule_status",
                            sch.schedule_status_text ? sch.schedule_status_text : "");
    if (sch.payment_status)
        cJSON_AddStringToObject(d, "payment_status", sch.payment_status);
    if (sch.imp_uid)
        cJSON_AddStringToObject(d, "imp_uid", sch.imp_uid);
    enum db_status st = schedule_ledger_save(env, RECONCILE_ACTOR, request_id, &one,
                                             "schedule.reconciled", merchant_uid, 0, d);
    const char *fix = st != DB_OK          ? "recording failed"
                      : sch.payment_status ? "recorded"
                                           : "not run at iamport yet";
    *settled = st == DB_OK && sch.payment_status;
    iamport_schedule_release(&sch);
    return fix;
}

int reconcile_one_schedule(const struct billing_env *env, const struct reconcile_settings *s)
{
    struct reconcile_row row;
    if (!reconcile_claim(env->db, STMT_RECONCILE_SCHEDULE_CLAIM, s->schedule_grace_s, s,
                         "an overdue schedule", &row))
        return 0;
    const char *mu = row.value[0];
    const char *request_id = row.request_id;
    int settled = 0;
    const char *fix = env->iamport
                          ? record_schedule(env, mu, row.value[1], strcmp(row.value[2], "t") == 0,
                                            request_id, &settled)
                          : "no iamport client";
    if (!settled)
        reconcile_retry_later(env->db, STMT_RECONCILE_SCHEDULE_RETRY, mu, s);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "merchant_uid", mu);
    cJSON_AddStringToObject(f, "schedule_status", row.value[1]);
    cJSON_AddStringToObject(f, "fix", fix);
    log_json(LOG_INFO, request_id, "reconciler: overdue schedule", f);
    reconcile_row_release(&row);
    return 1;
}
