/* Checkout creation: a pending registration, its generated ids and the exact IMP.request_pay object. */
#include "server/billing/checkout.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/pool.h"
#include "server/billing/audit.h"
#include "server/billing/billing_env.h"
#include "server/iamport/iamport.h"
#include "server/core/log.h"
#include "server/billing/pg_profile.h"
#include "server/billing/registration.h"
#include "server/core/utf8.h"

void checkout_result_release(struct checkout_result *r)
{
    cJSON_Delete(r->request_pay);
    memset(r, 0, sizeof *r);
}

static enum checkout_status fail(struct checkout_result *out, enum checkout_status st,
                                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum checkout_status fail(struct checkout_result *out, enum checkout_status st,
                                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof out->message, fmt, ap);
    va_end(ap);
    utf8_trim_partial(out->message);
    return st;
}

/* POST /payments/prepare {merchant_uid, amount} so iamport refuses any other amount. */
static enum checkout_status prepare(const struct billing_env *env, const char *merchant_uid,
                                    int64_t amount, const char *request_id,
                                    struct checkout_result *out)
{
    struct iamport_prepared prepared;
    struct iamport_error err;
    if (!env->iamport)
        return fail(out, CHECKOUT_IAMPORT_UNAVAILABLE, "the iamport client is not configured");
    enum iamport_status st = iamport_prepare(env->iamport, merchant_uid, amount, &prepared, &err);
    iamport_prepared_release(&prepared);
    if (st == IAMPORT_OK)
        return CHECKOUT_OK;
    log_msg(LOG_WARN, request_id, "payments/prepare of '%s' failed (%s): %s", merchant_uid,
            iamport_status_name(st), err.detail);
    if (st == IAMPORT_E_BUSY)
        return fail(out, CHECKOUT_IAMPORT_BUSY,
                    "iamport is busy (too many calls in flight); nothing was created, try again "
                    "shortly");
    if (st == IAMPORT_E_TIMEOUT_UNKNOWN)
        return fail(out, CHECKOUT_IAMPORT_TIMEOUT,
                    "iamport did not answer in time registering the amount (payments/prepare); "
                    "nothing was created, try again");
    return fail(out, CHECKOUT_IAMPORT_UNAVAILABLE,
                "iamport refused or failed registering the amount (payments/prepare: %s%s%s); "
                "nothing was created, try again",
                iamport_status_name(st), err.message[0] ? ", " : "", err.message);
}

/* The registration row, its ledger row (when the window itself charges) and audit rows in one
 * transaction. */
static enum db_status store(struct db_conn *conn, const struct registration *reg,
                            int window_charges, const char *created_by, const char *actor,
                            const char *request_id)
{
    enum db_status st = db_begin(conn);
    if (st != DB_OK)
        return st;
    st = registration_insert(conn, reg, created_by);
    if (st == DB_OK) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "customer_uid", reg->customer_uid);
        cJSON_AddStringToObject(d, "customer_id", reg->customer_id);
        cJSON_AddStringToObject(d, "pg_provider", reg->pg_provider);
        cJSON_AddNumberToObject(d, "amount", (double)reg->amount);
        cJSON_AddNumberToObject(d, "window_amount", (double)reg->window_amount);
        cJSON_AddBoolToObject(d, "charge_now", reg->charge_now);
        st = audit_record(conn, actor, "registration.created", reg->merchant_uid, request_id, d);
    }
    if (st == DB_OK && window_charges) {
        char amount[24];
        snprintf(amount, sizeof amount, "%" PRId64, reg->window_amount);
        const char *params[] = {reg->merchant_uid,
                                reg->customer_uid,
                                amount,
                                reg->name,
                                "requested",
                                NULL,
                                NULL,
                                NULL,
                                "0"};
        st = db_exec(conn, STMT_PAYMENT_ISSUE_RECORD, params, NULL);
        if (st == DB_OK) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "kind", "issue");
            cJSON_AddStringToObject(d, "customer_uid", reg->customer_uid);
            cJSON_AddNumberToObject(d, "amount", (double)reg->window_amount);
            st = audit_record(conn, actor, "payment.requested", reg->merchant_uid, request_id, d);
        }
    }
    if (st == DB_OK)
        return db_commit(conn);
    db_rollback(conn);
    return st;
}

enum checkout_status checkout_create(const struct billing_env *env,
                                     const struct checkout_request *rq, const char *created_by,
                                     const char *actor, const char *request_id,
                                     struct checkout_result *out)
{
    const struct pg_profile *p = rq->profile;
    struct db_conn *conn = NULL;
    enum checkout_status result = CHECKOUT_OK;
    char *pg = NULL;

    memset(out, 0, sizeof *out);
    if (ids_registration_merchant_uid(out->merchant_uid, sizeof out->merchant_uid) != 0 ||
        ids_customer_uid(p->name, out->customer_uid, sizeof out->customer_uid) != 0)
        return fail(out, CHECKOUT_INTERNAL, "cannot generate ids (RAND_bytes failed)");

    int64_t window_amount = pg_profile_window_amount(p, rq->amount, rq->charge_now);
    int window_charges = p->charges_at_issuance && window_amount > 0;
    if (window_charges) {
        result = prepare(env, out->merchant_uid, window_amount, request_id, out);
        if (result != CHECKOUT_OK)
            goto out;
    }

    pg = pg_profile_pg_string(p, &env->pg);
    /* A borrowed view for registration_insert (which only reads it): never released. */
    struct registration reg = {
        .merchant_uid = out->merchant_uid,
        .customer_uid = out->customer_uid,
        .customer_id = (char *)rq->customer_id,
        .pg_provider = (char *)p->name,
        .pg = pg,
        .pay_method = (char *)p->pay_method,
        .amount = rq->amount,
        .window_amount = window_amount,
        .name = (char *)rq->name,
        .charge_now = rq->charge_now,
        .buyer_name = (char *)rq->buyer_name,
        .buyer_email = (char *)rq->buyer_email,
        .buyer_tel = (char *)rq->buyer_tel,
    };
    enum db_status st = db_acquire(env->db, &conn);
    if (st == DB_OK)
        st = store(conn, &reg, window_charges, created_by, actor, request_id);
    if (st != DB_OK) {
        log_msg(LOG_ERROR, request_id, "storing checkout '%s' failed (%s): %s", out->merchant_uid,
                db_status_name(st), conn ? db_conn_error(conn) : "");
        result = fail(out, st == DB_UNAVAILABLE ? CHECKOUT_DB_UNAVAILABLE : CHECKOUT_INTERNAL,
                      "storing the checkout failed (%s)", db_status_name(st));
        goto out;
    }
    struct pg_checkout co = {
        .merchant_uid = out->merchant_uid,
        .customer_uid = out->customer_uid,
        .name = rq->name,
        .price = rq->amount,
        .charge_now = rq->charge_now,
        .buyer_name = rq->buyer_name,
        .buyer_email = rq->buyer_email,
        .buyer_tel = rq->buyer_tel,
        .naver_popup = rq->naver_popup,
        .naver_product_code = rq->naver_product_code,
    };
    out->request_pay = pg_profile_request_pay(p, &env->pg, &co);
out:
    if (conn)
        db_release(env->db, conn);
    free(pg);
    return result;
}
