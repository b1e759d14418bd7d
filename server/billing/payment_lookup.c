/* Payment lookups for merchants (GET /payments/{imp_uid}, /payments/find/…) and the ledger refresh. */
#include "server/billing/payment_lookup.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/billing/short_tx.h"
#include "server/core/json_util.h"
#include "server/core/log.h"

enum db_status payment_ledger_refresh(struct db_conn *conn, const struct iamport_payment *p)
{
    if (p->status != IAMPORT_PAYMENT_PAID && p->status != IAMPORT_PAYMENT_FAILED &&
        p->status != IAMPORT_PAYMENT_CANCELLED)
        return DB_NOT_FOUND;
    char cancel_amount[24];
    snprintf(cancel_amount, sizeof cancel_amount, "%" PRId64,
             p->cancel_amount > 0 ? p->cancel_amount : 0);
    cJSON *raw = iamport_payment_raw(p);
    char *copy = json_print(raw);
    cJSON_Delete(raw);
    const char *params[] = {p->merchant_uid, iamport_payment_status_name(p->status), p->imp_uid,
                            cancel_amount, copy};
    PGresult *res = NULL;
    enum db_status st = db_exec(conn, STMT_PAYMENT_REFRESH, params, &res);
    if (st == DB_OK && PQntuples(res) != 1)
        st = DB_NOT_FOUND;
    if (res)
        PQclear(res);
    cJSON_free(copy);
    return st;
}

static enum db_status refresh_body(struct db_conn *conn, void *payment)
{
    return payment_ledger_refresh(conn, payment);
}

/* Refreshes the ledger from p in a transaction of its own; failures are only logged. */
static void refresh_alone(const struct billing_env *env, struct iamport_payment *p,
                          const char *request_id)
{
    enum db_status st = short_tx_run(env->db, refresh_body, p);
    if (st != DB_OK && st != DB_NOT_FOUND)
        log_msg(LOG_WARN, request_id, "refreshing the ledger row of '%s' failed (%s)",
                p->merchant_uid, db_status_name(st));
}

/* Turns a lookup's outcome into the answer, refreshing the ledger on success. */
static void answer_lookup(const struct billing_env *env, enum iamport_status st,
                          struct iamport_payment *p, const struct iamport_error *err,
                          const char *request_id, struct merchant_answer *out)
{
    if (st == IAMPORT_OK) {
        refresh_alone(env, p, request_id);
        merchant_answer_ok(out, iamport_payment_raw(p));
    } else {
        merchant_answer_upstream(out, st, err, "결제정보 조회");
    }
    iamport_payment_release(p);
}

void payment_lookup_get(const struct billing_env *env, const char *imp_uid, const char *request_id,
                        struct merchant_answer *out)
{
    struct iamport_payment p;
    struct iamport_error err;
    if (merchant_answer_no_iamport(env, out))
        return;
    if (strchr(imp_uid, '/')) { /* iamport's imp_uids are "imp_" + digits */
        merchant_answer_refuse(out, 404, -1, "%s", PAYMENT_LOOKUP_NOT_FOUND);
        return;
    }
    enum iamport_status st = iamport_get_payment(env->iamport, imp_uid, &p, &err);
    answer_lookup(env, st, &p, &err, request_id, out);
}

void payment_lookup_find(const struct billing_env *env, const char *merchant_uid,
                         const char *status, const char *request_id, struct merchant_answer *out)
{
    struct iamport_payment p;
    struct iamport_error err;
    enum iamport_status st;
    if (merchant_answer_no_iamport(env, out))
        return;
    if (status) {
        enum iamport_payment_status filter = iamport_payment_status_parse(status);
        if (filter == IAMPORT_PAYMENT_UNKNOWN) {
            merchant_answer_refuse(out, 400, -1, "%s", PAYMENT_LOOKUP_BAD_STATUS);
            return;
        }
        st = iamport_find_payment_by_status(env->iamport, merchant_uid, filter, &p, &err);
    } else {
        st = iamport_find_payment(env->iamport, merchant_uid, &p, &err);
    }
    answer_lookup(env, st, &p, &err, request_id, out);
}
