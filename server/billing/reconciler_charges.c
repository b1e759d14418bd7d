/* The reconciler's unsettled charges: payments rows left requested/unknown, settled by GET /payments/find/{merchant_uid}. */
#include "server/billing/reconciler_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/billing/billing_env.h"
#include "server/billing/charge_ledger.h"
#include "server/core/log.h"

/* What iamport says of merchant_uid, as a ledger outcome in *r. Returns 1 when *r is to be
 * recorded, 0 when the row must wait (the lookup failed, or iamport has no such payment yet the
 * row may still be in flight). Never charges. */
static int look_up(const struct billing_env *env, const char *merchant_uid, const char *kind,
                   int stale, struct charge_result *r)
{
    struct iamport_payment pay;
    memset(r, 0, sizeof *r);
    enum iamport_status ist = iamport_find_payment(env->iamport, merchant_uid, &pay, &r->err);
    r->upstream = ist;
    if (ist == IAMPORT_OK) {
        charge_result_from_payment(r, &pay);
        iamport_payment_release(&pay);
        return 1;
    }
    iamport_payment_release(&pay);
    if (ist != IAMPORT_E_NOT_FOUND || !stale)
        return 0;
    /* Nothing reached iamport and nothing is in flight any more: an again or first charge may be
     * sent again under the same merchant_uid (the ledger's not_sent); a window payment ('issue')
     * of a registration that is no longer pending never happened. */
    int issue = strcmp(kind, "issue") == 0;
    r->outcome.status = issue ? "failed" : "not_sent";
    snprintf(r->outcome.fail_reason, sizeof r->outcome.fail_reason,
             "iamport has no payment for merchant_uid '%s' (settled by the reconciler)",
             merchant_uid);
    return 1;
}

int reconcile_one_charge(const struct billing_env *env, const struct reconcile_settings *s)
{
    struct reconcile_row row;
    if (!reconcile_claim(env->db, STMT_RECONCILE_CHARGE_CLAIM, s->charge_grace_s, s,
                         "an unsettled charge", &row))
        return 0;
    enum db_status st = DB_OK;
    const char *mu = row.value[0], *kind = row.value[1];
    int64_t amount = strtoll(row.value[2], NULL, 10);
    int stale = strcmp(row.value[3], "t") == 0;
    const char *request_id = row.request_id;

    struct charge_result r;
    memset(&r, 0, sizeof r);
    r.upstream = IAMPORT_E_TRANSPORT;
    const char *fix = "left for the next lease";
    int record = env->iamport && look_up(env, mu, kind, stale, &r);
    if (record) {
        /* The second short transaction: only a row still requested/unknown moves. */
        struct db_conn *conn = NULL;
        st = db_acquire(env->db, &conn);
        if (st == DB_OK) {
            st = charge_ledger_settle(conn, mu, amount, &r, RECONCILE_ACTOR, request_id);
            db_release(env->db, conn);
        }
        fix = st == DB_OK          ? r.outcome.status
              : st == DB_NOT_FOUND ? "settled meanwhile"
                                   : "recording failed";
    }
    if (!record || (st != DB_OK && st != DB_NOT_FOUND))
        reconcile_retry_later(env->db, STMT_RECONCILE_CHARGE_RETRY, mu, s);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "merchant_uid", mu);
    cJSON_AddStringToObject(f, "kind", kind);
    cJSON_AddStringToObject(f, "lookup", iamport_status_name(r.upstream));
    cJSON_AddStringToObject(f, "fix", fix);
    log_json(record && st == DB_OK ? LOG_INFO : LOG_WARN, request_id,
             "reconciler: unsettled charge", f);
    charge_result_release(&r);
    reconcile_row_release(&row);
    return 1;
}
