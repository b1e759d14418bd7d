/* One charge through the payments ledger: the call to iamport between a committed claim and a settle. */
#include "server/billing/charge_ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/billing/audit.h"
#include "server/billing/billing_metrics.h"
#include "server/billing/billing_env.h"
#include "server/core/json_util.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"

void charge_result_release(struct charge_result *r)
{
    free(r->imp_uid);
    cJSON_Delete(r->payment);
    memset(r, 0, sizeof *r);
}

cJSON *charge_request_json(const struct iamport_again_request *rq)
{
    const struct {
        const char *key;
        const char *value;
    } strings[] = {
        {"customer_uid", rq->customer_uid},
        {"merchant_uid", rq->merchant_uid},
        {"name", rq->name},
        {"currency", rq->currency},
        {"buyer_name", rq->buyer_name},
        {"buyer_email", rq->buyer_email},
        {"buyer_tel", rq->buyer_tel},
        {"buyer_addr", rq->buyer_addr},
        {"buyer_postcode", rq->buyer_postcode},
        {"notice_url", rq->notice_url},
    };
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        if (strings[i].value)
            cJSON_AddStringToObject(o, strings[i].key, strings[i].value);
    cJSON_AddNumberToObject(o, "amount", (double)rq->amount);
    if (rq->tax_free)
        cJSON_AddNumberToObject(o, "tax_free", (double)rq->tax_free);
    if (rq->custom_data)
        cJSON_AddItemToObject(o, "custom_data", cJSON_Duplicate(rq->custom_data, 1));
    if (rq->extra)
        cJSON_AddItemToObject(o, "extra", cJSON_Duplicate(rq->extra, 1));
    return o;
}

void charge_result_from_payment(struct charge_result *r, struct iamport_payment *p)
{
    charge_outcome_from_payment(p, &r->outcome);
    r->upstream = IAMPORT_OK;
    r->imp_uid = p->imp_uid ? xstrdup(p->imp_uid) : NULL;
    r->payment = iamport_payment_raw(p);
}

int charge_ledger_look_up(const struct billing_env *env, const char *merchant_uid,
                          struct charge_result *r)
{
    struct iamport_payment pay;
    struct iamport_error err;
    enum iamport_status st = iamport_find_payment(env->iamport, merchant_uid, &pay, &err);
    int settled = 1;
    if (st == IAMPORT_OK)
        charge_result_from_payment(r, &pay);
    else if (st == IAMPORT_E_NOT_FOUND)
        settled = 0;
    else
        charge_outcome_lookup_failed(st, &r->outcome);
    iamport_payment_release(&pay);
    return settled;
}

void charge_ledger_call(const struct billing_env *env, const struct iamport_again_request *rq,
                        int recheck, const char *request_id, struct charge_result *r)
{
    struct iamport_payment pay;
    char *token = NULL;

    memset(r, 0, sizeof *r);
    memset(&pay, 0, sizeof pay);
    r->upstream = IAMPORT_E_TRANSPORT;
    if (recheck && charge_ledger_look_up(env, rq->merchant_uid, r)) {
        log_msg(LOG_INFO, request_id, "charge '%s' re-checked at iamport: '%s'", rq->merchant_uid,
                r->outcome.status);
        return;
    }
    /* The token first: when it cannot be had, nothing about the charge left billkey. */
    enum iamport_status st = iamport_get_token(env->iamport, &token, NULL, &r->err);
    free(token);
    if (st == IAMPORT_OK)
        st = iamport_again(env->iamport, rq, &pay, &r->err);
    else if (st != IAMPORT_E_AUTH)
        st = IAMPORT_E_TRANSPORT; /* getToken is not money-moving: nothing was charged */
    if (st == IAMPORT_OK) {
        charge_result_from_payment(r, &pay);
        goto out;
    }
    r->upstream = st;
    if (charge_outcome_after_failure(st, &r->err, &r->outcome) == CHARGE_SETTLE) {
        log_msg(LOG_WARN, request_id, "charge '%s' %s (%s): %s", rq->merchant_uid,
                r->outcome.status, iamport_status_name(st), r->err.detail);
        goto out;
    }
    log_msg(LOG_WARN, request_id, "charge '%s': outcome unknown (%s), looking it up",
            rq->merchant_uid, iamport_status_name(st));
    if (!charge_ledger_look_up(env, rq->merchant_uid, r))
        charge_outcome_lookup_failed(IAMPORT_E_NOT_FOUND, &r->outcome);
out:
    iamport_payment_release(&pay);
}

/* What iamport said, for the audit row: the Payment's status or the failure. */
static cJSON *upstream_json(const struct charge_result *r)
{
    cJSON *u = cJSON_CreateObject();
    if (r->payment) {
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(r->payment, "status");
        json_add_str_or_null(u, "payment_status",
                             cJSON_IsString(status) ? status->valuestring : NULL);
        return u;
    }
    cJSON_AddStringToObject(u, "error", iamport_status_name(r->upstream));
    if (r->err.http_status)
        cJSON_AddNumberToObject(u, "http_status", r->err.http_status);
    if (r->err.code)
        cJSON_AddNumberToObject(u, "code", r->err.code);
    if (r->err.message[0])
        cJSON_AddStringToObject(u, "message", r->err.message);
    return u;
}

enum db_status charge_ledger_settle(struct db_conn *conn, const char *merchant_uid, int64_t amount,
                                    const struct charge_result *r, const char *actor,
                                    const char *request_id)
{
    const struct charge_outcome *o = &r->outcome;
    const char *fail_reason = o->fail_reason[0] ? o->fail_reason : NULL;
    char *raw = r->payment ? json_print(r->payment) : NULL;
    char cancelled[24];
    snprintf(cancelled, sizeof cancelled, "%" PRId64, o->cancel_amount);
    const char *params[] = {merchant_uid, o->status, r->imp_uid, fail_reason, raw, cancelled};
    PGresult *res = NULL;
    char action[32];
    enum db_status st = db_begin(conn);
    if (st != DB_OK)
        goto out;
    st = db_exec(conn, STMT_PAYMENT_SETTLE, params, &res);
    if (st == DB_OK && PQntuples(res) != 1)
        st = DB_NOT_FOUND;
    if (st == DB_OK) {
        cJSON *detail = cJSON_CreateObject();
        cJSON_AddNumberToObject(detail, "amount", (double)amount);
        json_add_str_or_null(detail, "imp_uid", r->imp_uid);
        json_add_str_or_null(detail, "fail_reason", fail_reason);
        cJSON_AddItemToObject(detail, "upstream", upstream_json(r));
        snprintf(action, sizeof action, "payment.%s", o->status);
        st = audit_record(conn, actor, action, merchant_uid, request_id, detail);
    }
    if (st == DB_OK)
        st = db_commit(conn);
    else
        db_rollback(conn);
    if (st == DB_OK)
        billing_metrics_charge_settled(o->status, amount);
out:
    if (res)
        PQclear(res);
    cJSON_free(raw);
    return st;
}
