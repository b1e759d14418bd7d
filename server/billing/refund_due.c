/* Failed refunds: a tampered payment's cancel failed, so the registration is marked as owing the money back. */
#include "server/billing/refund_due.h"

#include <string.h>

#include "server/billing/audit.h"
#include "server/billing/billing_env.h"
#include "server/billing/short_tx.h"
#include "server/core/log.h"

struct mark_arg {
    const char *merchant_uid, *imp_uid, *why, *actor, *request_id;
    int64_t amount;
};

static enum db_status mark_body(struct db_conn *conn, void *arg)
{
    struct mark_arg *a = arg;
    const char *params[] = {a->merchant_uid};
    PGresult *res = NULL;
    enum db_status st = db_exec(conn, STMT_REGISTRATION_REFUND_DUE, params, &res);
    if (st != DB_OK)
        return st;
    int first = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!first)
        return DB_OK;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "imp_uid", a->imp_uid);
    cJSON_AddNumberToObject(d, "amount", (double)a->amount);
    cJSON_AddStringToObject(d, "cancel_failed", a->why);
    return audit_record(conn, a->actor, "registration.refund_due", a->merchant_uid, a->request_id,
                        d);
}

void refund_due_record(const struct billing_env *env, const char *merchant_uid, const char *imp_uid,
                       int64_t amount, const char *why, const char *actor, const char *request_id)
{
    struct mark_arg a = {merchant_uid, imp_uid, why, actor, request_id, amount};
    enum db_status st = short_tx_run(env->db, mark_body, &a);
    if (st != DB_OK)
        log_msg(LOG_ERROR, request_id,
                "registration '%s' owes the refund of '%s' but could not be marked so (%s): only "
                "the registration grace will retry it",
                merchant_uid, imp_uid, db_status_name(st));
}
