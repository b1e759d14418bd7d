/* The first payment of a registration: the KakaoPay window's charge, or billkey's own charge via again. */
#include "server/billing/first_charge.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/billing/audit.h"
#include "server/billing/billing_env.h"
#include "server/billing/first_charge_outcome.h"
#include "server/billing/kst.h"
#include "server/billing/registration.h"
#include "server/core/ids.h"
#include "server/core/json_util.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"
#include "server/iamport/iamport.h"

void payment_summary_release(struct payment_summary *p)
{
    free(p->merchant_uid);
    free(p->status);
    free(p->imp_uid);
    free(p->fail_reason);
    memset(p, 0, sizeof *p);
}

static char *column(const PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? NULL : xstrdup(PQgetvalue(res, 0, col));
}

enum db_status payment_summary_load(struct db_conn *conn, const char *registration_merchant_uid,
                                    struct payment_summary *out)
{
    PGresult *res = NULL;
    const char *params[] = {registration_merchant_uid};

    memset(out, 0, sizeof *out);
    enum db_status st = db_exec(conn, STMT_FIRST_PAYMENT_GET, params, &res);
    if (st != DB_OK)
        return st;
    if (PQntuples(res) == 1) {
        out->present = 1;
        out->merchant_uid = column(res, 0);
        out->amount = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        out->status = column(res, 2);
        out->imp_uid = column(res, 3);
        out->fail_reason = column(res, 4);
    }
    PQclear(res);
    return DB_OK;
}

/* Claims the ledger row. *claimed = 1 when this call inserted it (merchant_uid written). */
static enum db_status claim(struct db_conn *conn, const struct registration *reg, const char *actor,
                            const char *request_id, char *merchant_uid, size_t cap, int *claimed)
{
    PGresult *res = NULL;
    char amount[24];

    *claimed = 0;
    if (ids_charge_merchant_uid(merchant_uid, cap) != 0) {
        log_msg(LOG_ERROR, request_id, "cannot generate a merchant_uid (RAND_bytes failed)");
        return DB_ERROR;
    }
    snprintf(amount, sizeof amount, "%" PRId64, reg->amount);
    const char *params[] = {merchant_uid, reg->customer_uid, reg->merchant_uid, amount, reg->name};
    enum db_status st = db_begin(conn);
    if (st != DB_OK)
        return st;
    st = db_exec(conn, STMT_FIRST_CHARGE_CLAIM, params, &res);
    if (st == DB_OK && PQntuples(res) == 1) {
        cJSON *detail = cJSON_CreateObject();
        cJSON_AddStringToObject(detail, "kind", "first_charge");
        cJSON_AddStringToObject(detail, "registration_merchant_uid", reg->merchant_uid);
        cJSON_AddStringToObject(detail, "customer_uid", reg->customer_uid);
        cJSON_AddNumberToObject(detail, "amount", (double)reg->amount);
        st = audit_record(conn, actor, "payment.requested", merchant_uid, request_id, detail);
        *claimed = st == DB_OK;
    }
    if (res)
        PQclear(res);
    if (st != DB_OK) {
        db_rollback(conn);
        *claimed = 0;
        return st;
    }
    st = db_commit(conn);
    if (st != DB_OK)
        *claimed = 0;
    return st;
}

/* What the charge came to: the ledger outcome and what iamport said about the payment. */
struct charge_result {
    struct charge_outcome outcome;
    char *imp_uid; /* owned */
    cJSON *raw;    /* owned */
};

static void result_from_payment(struct charge_result *r, const struct iamport_payment *p)
{
    charge_outcome_from_payment(p, &r->outcome);
    r->imp_uid = p->imp_uid ? xstrdup(p->imp_uid) : NULL;
    r->raw = p->raw ? cJSON_Duplicate(p->raw, 1) : NULL;
}

/* POST again, and on an unknown outcome one lookup by merchant_uid. */
static void charge(const struct billing_env *env, const struct registration *reg,
                   const char *merchant_uid, const char *request_id, struct charge_result *r)
{
    struct iamport_payment pay;
    struct iamport_error err;
    cJSON *extra = NULL;
    char today[9];

    if (strcmp(reg->pg_provider, "naverpay") == 0) {
        kst_date(env->clock, today);
        extra = cJSON_CreateObject();
        cJSON_AddStringToObject(extra, "naverUseCfm", today);
    }
    struct iamport_again_request rq = {
        .customer_uid = reg->customer_uid,
        .merchant_uid = merchant_uid,
        .amount = reg->amount,
        .name = reg->name,
        .buyer_name = reg->buyer_name,
        .buyer_email = reg->buyer_email,
        .buyer_tel = reg->buyer_tel,
        .extra = extra,
    };
    enum iamport_status st = iamport_again(env->iamport, &rq, &pay, &err);
    cJSON_Delete(extra);
    if (st == IAMPORT_OK) {
        result_from_payment(r, &pay);
        goto out;
    }
    if (charge_outcome_after_failure(st, &err, &r->outcome) == CHARGE_SETTLE) {
        log_msg(LOG_WARN, request_id, "first charge '%s' refused (%s): %s", merchant_uid,
                iamport_status_name(st), err.detail);
        goto out;
    }
    log_msg(LOG_WARN, request_id, "first charge '%s': outcome unknown (%s), looking it up",
            merchant_uid, iamport_status_name(st));
    iamport_payment_release(&pay);
    st = iamport_find_payment(env->iamport, merchant_uid, &pay, &err);
    if (st == IAMPORT_OK)
        result_from_payment(r, &pay);
    else
        charge_outcome_lookup_failed(st, &r->outcome);
out:
    iamport_payment_release(&pay);
}

/* Records the outcome on the ledger row with its audit row, in one transaction. */
static enum db_status settle(struct db_conn *conn, const char *merchant_uid,
                             const struct charge_result *r, const char *actor,
                             const char *request_id)
{
    const struct charge_outcome *o = &r->outcome;
    char *raw = r->raw ? json_print(r->raw) : NULL;
    const char *params[] = {merchant_uid, o->status, r->imp_uid,
                            o->fail_reason[0] ? o->fail_reason : NULL, raw};
    char action[32];
    enum db_status st = db_begin(conn);
    if (st != DB_OK)
        goto out;
    st = db_exec(conn, STMT_PAYMENT_SETTLE, params, NULL);
    if (st == DB_OK) {
        cJSON *detail = cJSON_CreateObject();
        json_add_str_or_null(detail, "imp_uid", r->imp_uid);
        json_add_str_or_null(detail, "fail_reason", o->fail_reason[0] ? o->fail_reason : NULL);
        snprintf(action, sizeof action, "payment.%s", o->status);
        st = audit_record(conn, actor, action, merchant_uid, request_id, detail);
    }
    if (st == DB_OK)
        st = db_commit(conn);
    else
        db_rollback(conn);
out:
    cJSON_free(raw);
    return st;
}

enum db_status first_charge_ensure(const struct billing_env *env, struct db_conn *conn,
                                   const struct registration *reg, const char *actor,
                                   const char *request_id, struct payment_summary *out)
{
    char merchant_uid[IDS_CHARGE_MERCHANT_UID_LEN + 1];
    struct charge_result r = {0};
    int claimed = 0;

    memset(out, 0, sizeof *out);
    enum db_status st =
        claim(conn, reg, actor, request_id, merchant_uid, sizeof merchant_uid, &claimed);
    if (st != DB_OK || !claimed)
        return st == DB_OK ? payment_summary_load(conn, reg->merchant_uid, out) : st;

    charge(env, reg, merchant_uid, request_id, &r);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "merchant_uid", merchant_uid);
    cJSON_AddStringToObject(f, "status", r.outcome.status);
    log_json(LOG_INFO, request_id, "first charge", f);

    st = settle(conn, merchant_uid, &r, actor, request_id);
    if (st != DB_OK)
        log_msg(LOG_ERROR, request_id,
                "first charge '%s' ended '%s' but could not be recorded (%s): the ledger row "
                "stays 'requested'",
                merchant_uid, r.outcome.status, db_status_name(st));
    out->present = 1;
    out->merchant_uid = xstrdup(merchant_uid);
    out->amount = reg->amount;
    out->status = xstrdup(r.outcome.status);
    out->imp_uid = r.imp_uid;
    out->fail_reason = r.outcome.fail_reason[0] ? xstrdup(r.outcome.fail_reason) : NULL;
    cJSON_Delete(r.raw);
    return st;
}
