/* The reconciler's failed webhook events: each gets one more attempt by the webhook worker, slowly (every RECONCILE webhook retry period). */
#include "server/billing/reconciler_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "server/billing/audit.h"
#include "server/billing/billing_env.h"
#include "server/billing/short_tx.h"
#include "server/billing/webhook_worker.h"
#include "server/core/log.h"

struct requeue_arg {
    const char *params[2];
    char id[24];
    char merchant_uid[64];
};

/* Claim and audit in one transaction: the event is 'received' again with one attempt left. */
static enum db_status requeue_body(struct db_conn *conn, void *arg)
{
    struct requeue_arg *a = arg;
    PGresult *res = NULL;
    enum db_status st = db_exec(conn, STMT_RECONCILE_WEBHOOK_REQUEUE, a->params, &res);
    if (st != DB_OK)
        return st;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return DB_NOT_FOUND;
    }
    snprintf(a->id, sizeof a->id, "%s", PQgetvalue(res, 0, 0));
    snprintf(a->merchant_uid, sizeof a->merchant_uid, "%s", PQgetvalue(res, 0, 2));
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "event", a->id);
    cJSON_AddStringToObject(d, "imp_uid", PQgetvalue(res, 0, 1));
    PQclear(res);
    return audit_record(conn, RECONCILE_ACTOR, "webhook.requeued", a->merchant_uid, NULL, d);
}

int reconcile_one_webhook(const struct billing_env *env, const struct reconcile_settings *s)
{
    char after[24], attempts[24];
    snprintf(after, sizeof after, "%" PRId64, reconcile_retry_ms(s));
    /* the worker's claim counts one more: a failure makes it 'failed' again at once */
    snprintf(attempts, sizeof attempts, "%d", WEBHOOK_ATTEMPTS_MAX - 1);
    struct requeue_arg a = {{after, attempts}, "", ""};
    enum db_status st = short_tx_run(env->db, requeue_body, &a);
    if (st != DB_OK) {
        if (st != DB_NOT_FOUND)
            log_msg(LOG_WARN, NULL, "reconciler: requeuing a failed webhook event failed (%s)",
                    db_status_name(st));
        return 0;
    }
    log_msg(LOG_INFO, NULL, "reconciler: webhook event %s for '%s' gets one more attempt", a.id,
            a.merchant_uid);
    return 1;
}
