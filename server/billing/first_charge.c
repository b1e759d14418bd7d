/* The first payment of a registration: the KakaoPay window's charge, or billkey's own charge via again. */
#include "server/billing/first_charge.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/billing/audit.h"
#include "server/billing/billing_env.h"
#include "server/billing/charge_fields.h"
#include "server/billing/charge_ledger.h"
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

/* Claims the ledger row: a new one, or the registration's 'not_sent' one again (under its own
 * merchant_uid, written back into merchant_uid). *claimed = 1 when this call holds it;
 * *recheck = 1 when it was re-claimed (looked up before it is charged). */
static enum db_status claim(struct db_conn *conn, const struct registration *reg,
                            const struct iamport_again_request *rq, const char *actor,
                            const char *request_id, char *merchant_uid, size_t cap, int *claimed,
                            int *recheck)
{
    PGresult *res = NULL;
    char amount[24];
    cJSON *sent = charge_request_json(rq);
    char *request = json_print(sent);

    *claimed = *recheck = 0;
    snprintf(amount, sizeof amount, "%" PRId64, reg->amount);
    const char *params[] = {merchant_uid, reg->customer_uid, reg->merchant_uid,
                            amount,       reg->name,         request};
    enum db_status st = db_begin(conn);
    if (st != DB_OK)
        goto out;
    st = db_exec(conn, STMT_FIRST_CHARGE_CLAIM, params, &res);
    if (st == DB_OK && PQntuples(res) == 1) {
        snprintf(merchant_uid, cap, "%s", PQgetvalue(res, 0, 0));
        *recheck = strcmp(PQgetvalue(res, 0, 1), "t") != 0;
        cJSON *detail = cJSON_CreateObject();
        cJSON_AddStringToObject(detail, "kind", "first_charge");
        cJSON_AddStringToObject(detail, "registration_merchant_uid", reg->merchant_uid);
        cJSON_AddStringToObject(detail, "customer_uid", reg->customer_uid);
        cJSON_AddNumberToObject(detail, "amount", (double)reg->amount);
        cJSON_AddBoolToObject(detail, "retry", *recheck);
        st = audit_record(conn, actor, "payment.requested", merchant_uid, request_id, detail);
        *claimed = st == DB_OK;
    }
    if (st != DB_OK) {
        db_rollback(conn);
        *claimed = 0;
        goto out;
    }
    st = db_commit(conn);
    if (st != DB_OK)
        *claimed = 0;
out:
    if (res)
        PQclear(res);
    cJSON_free(request);
    cJSON_Delete(sent);
    return st;
}

/* charge_ledger_settle on a connection of its own, released before returning. */
static enum db_status settle(const struct billing_env *env, const char *merchant_uid,
                             int64_t amount, const struct charge_result *r, const char *actor,
                             const char *request_id)
{
    struct db_conn *conn = NULL;
    enum db_status st = db_acquire(env->db, &conn);
    if (st != DB_OK)
        return st;
    st = charge_ledger_settle(conn, merchant_uid, amount, r, actor, request_id);
    db_release(env->db, conn);
    return st;
}

/* *out (the registration's first charge) is 'requested' (its verification died mid-charge) or
 * 'unknown': look its merchant_uid up, never send it again. Found → settled and *out updated;
 * not found or a failed lookup → a 'requested' row becomes 'unknown' (the reconciler's), an
 * 'unknown' one is left as it is. */
static enum db_status resolve_open(const struct billing_env *env, const char *actor,
                                   const char *request_id, struct payment_summary *out)
{
    struct charge_result r;
    memset(&r, 0, sizeof r);
    r.upstream = IAMPORT_E_TRANSPORT;
    if (!charge_ledger_look_up(env, out->merchant_uid, &r))
        charge_outcome_lookup_failed(IAMPORT_E_NOT_FOUND, &r.outcome);
    int found = r.upstream == IAMPORT_OK;
    enum db_status st = DB_OK;
    if (found || strcmp(out->status, "requested") == 0) {
        log_msg(LOG_INFO, request_id, "first charge '%s' left '%s', looked up at iamport: '%s'",
                out->merchant_uid, out->status, r.outcome.status);
        st = settle(env, out->merchant_uid, out->amount, &r, actor, request_id);
        if (st == DB_NOT_FOUND)
            st = DB_OK; /* settled meanwhile by whoever held it before */
        else if (st == DB_OK) {
            free(out->status);
            out->status = xstrdup(r.outcome.status);
            free(out->imp_uid);
            out->imp_uid = r.imp_uid ? xstrdup(r.imp_uid) : NULL;
            free(out->fail_reason);
            out->fail_reason = r.outcome.fail_reason[0] ? xstrdup(r.outcome.fail_reason) : NULL;
        }
    }
    charge_result_release(&r);
    return st;
}

enum db_status first_charge_ensure(const struct billing_env *env, const struct registration *reg,
                                   const char *actor, const char *request_id,
                                   struct payment_summary *out)
{
    char merchant_uid[CHARGE_MERCHANT_UID_MAX + 1];
    struct charge_result r;
    struct db_conn *conn = NULL;
    cJSON *extra = NULL;
    char today[9];
    int claimed = 0, recheck = 0;
    enum db_status st = DB_ERROR;

    memset(out, 0, sizeof *out);
    if (ids_charge_merchant_uid(merchant_uid, sizeof merchant_uid) != 0) {
        log_msg(LOG_ERROR, request_id, "cannot generate a merchant_uid (RAND_bytes failed)");
        return DB_ERROR;
    }
    /* the guide: naverUseCfm only where the NaverPay contract requires it; the date is the
     * Korean date now, as the charge is sent (a retry later is rebuilt with its own date) */
    if (strcmp(reg->pg_provider, "naverpay") == 0 && env->pg.naverpay_use_cfm) {
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
    st = db_acquire(env->db, &conn);
    if (st != DB_OK)
        goto out;
    st = claim(conn, reg, &rq, actor, request_id, merchant_uid, sizeof merchant_uid, &claimed,
               &recheck);
    if (st == DB_OK && !claimed)
        st = payment_summary_load(conn, reg->merchant_uid, out);
    db_release(env->db, conn); /* nothing is held across the iamport calls below */
    if (st != DB_OK || !claimed) {
        if (st == DB_OK && out->present &&
            (strcmp(out->status, "requested") == 0 || strcmp(out->status, "unknown") == 0))
            st = resolve_open(env, actor, request_id, out);
        goto out;
    }

    charge_ledger_call(env, &rq, recheck, request_id, &r);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "merchant_uid", merchant_uid);
    cJSON_AddStringToObject(f, "status", r.outcome.status);
    log_json(LOG_INFO, request_id, "first charge", f);

    st = settle(env, merchant_uid, reg->amount, &r, actor, request_id);
    if (st != DB_OK)
        log_msg(LOG_ERROR, request_id,
                "first charge '%s' ended '%s' but could not be recorded (%s): the ledger row "
                "stays 'requested'",
                merchant_uid, r.outcome.status, db_status_name(st));
    out->present = 1;
    out->merchant_uid = xstrdup(merchant_uid);
    out->amount = reg->amount;
    out->status = xstrdup(r.outcome.status);
    out->imp_uid = r.imp_uid ? xstrdup(r.imp_uid) : NULL;
    out->fail_reason = r.outcome.fail_reason[0] ? xstrdup(r.outcome.fail_reason) : NULL;
    charge_result_release(&r);
out:
    cJSON_Delete(extra);
    return st;
}
