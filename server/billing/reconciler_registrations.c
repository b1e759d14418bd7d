/* The reconciler's pending registrations (and those owing a refund): verified by merchant_uid at iamport, or expired when iamport never completed them. */
#include "server/billing/reconciler_internal.h"

#include <stdio.h>
#include <string.h>

#include "server/billing/audit.h"
#include "server/billing/billing_env.h"
#include "server/billing/issuance_verify.h"
#include "server/billing/short_tx.h"
#include "server/core/log.h"

struct expire_arg {
    const char *merchant_uid;
    const char *reason;
    const char *request_id;
    const char *outcome; /* the verification's code, for the audit row */
    int expired;         /* out */
};

/* Re-checks that the registration is still pending, then expires it and fails its 'issue' row
 * (nothing was taken: iamport has no completed payment for it), with the audit row. */
static enum db_status expire_body(struct db_conn *conn, void *arg)
{
    struct expire_arg *a = arg;
    const char *params[] = {a->merchant_uid, a->reason};
    PGresult *res = NULL;
    enum db_status st = db_exec(conn, STMT_RECONCILE_REGISTRATION_EXPIRE, params, &res);
    if (st != DB_OK)
        return st;
    a->expired = PQntuples(res) == 1;
    PQclear(res);
    if (!a->expired)
        return DB_OK;
    res = NULL;
    st = db_exec(conn, STMT_RECONCILE_ISSUE_FAIL, params, &res);
    if (st != DB_OK)
        return st;
    int issue_failed = PQntuples(res) == 1;
    PQclear(res);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "reason", a->reason);
    cJSON_AddStringToObject(d, "verification", a->outcome);
    cJSON_AddBoolToObject(d, "issue_payment_failed", issue_failed);
    return audit_record(conn, RECONCILE_ACTOR, "registration.expired", a->merchant_uid,
                        a->request_id, d);
}

/* A verification that cannot complete the registration any more: VERIFY_UNKNOWN_PAYMENT (iamport
 * has no payment for it) or VERIFY_NOT_COMPLETED (still 'ready': nothing was charged). */
static int can_expire(enum verify_outcome o)
{
    return o == VERIFY_UNKNOWN_PAYMENT || o == VERIFY_NOT_COMPLETED;
}

/* Settles the claimed registration row (its merchant_uid first); a fix that did not settle it is
 * made due again later (sooner when it owes a refund). Releases *row. */
static void settle_claimed(const struct billing_env *env, const struct reconcile_settings *s,
                           struct reconcile_row *row, const char *what)
{
    enum db_status st = DB_OK;
    const char *mu = row->value[0];
    const char *request_id = row->request_id;

    /* issuance_verify looks the merchant_uid up at iamport with no connection held, and settles
     * (active, failed, tampered with the money given back) under the registration's lock with its
     * own audit rows. A cancel that fails leaves it pending, marked as owing a refund. */
    struct verify_result res;
    enum verify_outcome o = issuance_verify(env, NULL, mu, RECONCILE_ACTOR, request_id, &res);
    const char *code = o == VERIFY_ACTIVE ? "active" : res.code;
    const char *fix = code;
    if (can_expire(o)) {
        struct expire_arg a = {mu, res.message, request_id, res.code, 0};
        st = short_tx_run(env->db, expire_body, &a);
        fix = st != DB_OK ? "expiring failed" : a.expired ? "expired" : "no longer pending";
    }
    if (st != DB_OK || o == VERIFY_IAMPORT_UNAVAILABLE || o == VERIFY_IAMPORT_TIMEOUT ||
        o == VERIFY_DB_UNAVAILABLE || o == VERIFY_INTERNAL)
        reconcile_retry_later(env->db, STMT_RECONCILE_REGISTRATION_RETRY, mu, s);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "merchant_uid", mu);
    cJSON_AddStringToObject(f, "verification", code);
    cJSON_AddStringToObject(f, "fix", fix);
    cJSON_AddStringToObject(f, "message", res.message);
    log_json(o == VERIFY_ACTIVE || o == VERIFY_REJECTED || can_expire(o) ? LOG_INFO : LOG_WARN,
             request_id, what, f);
    verify_result_release(&res);
    reconcile_row_release(row);
}

int reconcile_one_registration(const struct billing_env *env, const struct reconcile_settings *s)
{
    struct reconcile_row row;
    if (!reconcile_claim(env->db, STMT_RECONCILE_REGISTRATION_CLAIM, s->registration_grace_s, s,
                         "a pending registration", &row))
        return 0;
    settle_claimed(env, s, &row, "reconciler: pending registration");
    return 1;
}

int reconcile_one_refund(const struct billing_env *env, const struct reconcile_settings *s)
{
    struct reconcile_row row;
    if (!reconcile_claim(env->db, STMT_RECONCILE_REFUND_CLAIM, 0, s, "a refund owed", &row))
        return 0;
    settle_claimed(env, s, &row, "reconciler: refund owed");
    return 1;
}
