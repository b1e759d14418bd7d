/* What one iamport webhook changes: the payment re-fetched from iamport, applied to billkey's rows. */
#include "server/billing/webhook_apply.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/billing/audit.h"
#include "server/billing/billing_env.h"
#include "server/billing/issuance_verify.h"
#include "server/billing/payment_lookup.h"
#include "server/billing/schedule_ledger.h"
#include "server/billing/short_tx.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"
#include "server/iamport/iamport.h"

#define WEBHOOK_ACTOR "webhook"

/* What billkey holds under a merchant_uid. */
struct target {
    int registration;
    char kind[16]; /* payments.kind, "" when there is no payments row */
    int schedule;
};

static enum db_status load_target(const struct billing_env *env, const char *merchant_uid,
                                  struct target *t)
{
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    const char *params[] = {merchant_uid};
    memset(t, 0, sizeof *t);
    enum db_status st = db_acquire(env->db, &conn);
    if (st != DB_OK)
        return st;
    st = db_exec(conn, STMT_WEBHOOK_TARGET, params, &res);
    if (st == DB_OK && PQntuples(res) == 1) {
        t->registration = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
        if (!PQgetisnull(res, 0, 1))
            snprintf(t->kind, sizeof t->kind, "%s", PQgetvalue(res, 0, 1));
        t->schedule = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
    }
    if (res)
        PQclear(res);
    db_release(env->db, conn);
    return st;
}

/* The payments row's status, cancel_amount and fail_reason (locked); owned strings. */
struct row_state {
    int present;
    char *status, *cancel_amount, *fail_reason;
};

static void row_state_release(struct row_state *r)
{
    free(r->status);
    free(r->cancel_amount);
    free(r->fail_reason);
    memset(r, 0, sizeof *r);
}

static enum db_status read_row(struct db_conn *conn, const char *merchant_uid, struct row_state *r)
{
    PGresult *res = NULL;
    const char *params[] = {merchant_uid};
    row_state_release(r);
    enum db_status st = db_exec(conn, STMT_WEBHOOK_PAYMENT_LOCK, params, &res);
    if (st == DB_OK && PQntuples(res) == 1) {
        r->present = 1;
        r->status = xstrdup(PQgetvalue(res, 0, 0));
        r->cancel_amount = xstrdup(PQgetvalue(res, 0, 1));
        if (!PQgetisnull(res, 0, 2))
            r->fail_reason = xstrdup(PQgetvalue(res, 0, 2));
    }
    if (res)
        PQclear(res);
    return st;
}

static int str_differs(const char *a, const char *b)
{
    if (!a || !b)
        return a != b;
    return strcmp(a, b) != 0;
}

struct refresh_arg {
    const struct iamport_payment *payment;
    const struct iamport_schedule *schedule; /* NULL: not a schedule, or iamport has none */
    const char *request_id;
    int changed; /* out */
};

static enum db_status refresh_body(struct db_conn *conn, void *arg)
{
    struct refresh_arg *a = arg;
    const struct iamport_payment *p = a->payment;
    struct row_state before = {0}, after = {0};
    enum db_status st = read_row(conn, p->merchant_uid, &before);
    if (st == DB_OK && a->schedule)
        st = schedule_ledger_apply(conn, a->schedule, NULL);
    if (st == DB_OK) {
        st = payment_ledger_refresh(conn, p);
        if (st == DB_NOT_FOUND)
            st = DB_OK;
    }
    if (st == DB_OK)
        st = read_row(conn, p->merchant_uid, &after);
    if (st == DB_OK && after.present &&
        (str_differs(before.status, after.status) ||
         str_differs(before.cancel_amount, after.cancel_amount) ||
         str_differs(before.fail_reason, after.fail_reason))) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "imp_uid", p->imp_uid ? p->imp_uid : "");
        cJSON_AddStringToObject(d, "status_before", before.status ? before.status : "");
        cJSON_AddStringToObject(d, "status", after.status);
        cJSON_AddNumberToObject(d, "cancel_amount", atof(after.cancel_amount));
        if (after.fail_reason)
            cJSON_AddStringToObject(d, "fail_reason", after.fail_reason);
        st = audit_record(conn, WEBHOOK_ACTOR, "payment.webhook_refreshed", p->merchant_uid,
                          a->request_id, d);
        a->changed = 1;
    }
    row_state_release(&before);
    row_state_release(&after);
    return st;
}

/* Refreshes the payments row (and the schedules row) from iamport's payment. */
static enum webhook_outcome refresh_payment(const struct billing_env *env,
                                            const struct iamport_payment *p, int schedule,
                                            const char *request_id, char *result, size_t result_len)
{
    struct iamport_schedule s;
    struct iamport_error err;
    int have_schedule = 0;
    memset(&s, 0, sizeof s);
    if (schedule) {
        enum iamport_status ist = iamport_get_schedule(env->iamport, p->merchant_uid, &s, &err);
        if (ist == IAMPORT_OK) {
            have_schedule = 1;
        } else if (ist != IAMPORT_E_NOT_FOUND) {
            snprintf(result, result_len, "schedule lookup failed (%s)", iamport_status_name(ist));
            return WEBHOOK_RETRY;
        }
    }
    struct refresh_arg a = {p, have_schedule ? &s : NULL, request_id, 0};
    enum db_status st = short_tx_run(env->db, refresh_body, &a);
    if (have_schedule)
        iamport_schedule_release(&s);
    if (st != DB_OK) {
        snprintf(result, result_len, "refreshing the payment failed (%s)", db_status_name(st));
        return WEBHOOK_RETRY;
    }
    snprintf(result, result_len, "payment %s: %s", iamport_payment_status_name(p->status),
             a.changed ? "refreshed" : "already in line");
    return WEBHOOK_DONE;
}

/* The registration's verification, mapped to an outcome. */
static enum webhook_outcome verify_registration(const struct billing_env *env,
                                                const struct iamport_payment *p,
                                                const char *request_id, char *result,
                                                size_t result_len)
{
    struct verify_result res;
    enum verify_outcome o =
        issuance_verify(env, p->imp_uid, p->merchant_uid, WEBHOOK_ACTOR, request_id, &res);
    enum webhook_outcome out = WEBHOOK_DONE;
    switch (o) {
    case VERIFY_IAMPORT_UNAVAILABLE:
    case VERIFY_IAMPORT_TIMEOUT:
    case VERIFY_DB_UNAVAILABLE:
    case VERIFY_INTERNAL:
        out = WEBHOOK_RETRY;
        break;
    case VERIFY_UNKNOWN_PAYMENT:
    case VERIFY_UNKNOWN_REGISTRATION:
    case VERIFY_INVALID_INPUT:
    case VERIFY_MERCHANT_UID_MISMATCH:
        out = WEBHOOK_IGNORED;
        break;
    case VERIFY_ACTIVE:
    case VERIFY_NOT_COMPLETED:
    case VERIFY_FAILED:
    case VERIFY_REJECTED:
    case VERIFY_CONFLICT:
        break;
    }
    snprintf(result, result_len, "registration: %s%s%s", o == VERIFY_ACTIVE ? "active" : res.code,
             res.message[0] ? ": " : "", res.message);
    verify_result_release(&res);
    return out;
}

enum webhook_outcome webhook_apply(const struct billing_env *env, const char *imp_uid,
                                   const char *body_merchant_uid, const char *request_id,
                                   char *result, size_t result_len)
{
    struct iamport_payment p;
    struct iamport_error err;
    struct target t;
    enum webhook_outcome out;

    if (!env->iamport) {
        snprintf(result, result_len, "no iamport client");
        return WEBHOOK_RETRY;
    }
    enum iamport_status ist = iamport_get_payment(env->iamport, imp_uid, &p, &err);
    if (ist == IAMPORT_E_NOT_FOUND) {
        snprintf(result, result_len, "iamport has no payment '%s'", imp_uid);
        return WEBHOOK_IGNORED;
    }
    if (ist != IAMPORT_OK) {
        snprintf(result, result_len, "payment lookup failed (%s)", iamport_status_name(ist));
        return WEBHOOK_RETRY;
    }
    if (!p.merchant_uid || !p.merchant_uid[0]) {
        snprintf(result, result_len, "iamport's payment has no merchant_uid");
        out = WEBHOOK_IGNORED;
        goto out;
    }
    if (body_merchant_uid && strcmp(body_merchant_uid, p.merchant_uid) != 0)
        log_msg(LOG_WARN, request_id,
                "webhook for '%s' claimed merchant_uid '%s'; iamport says '%s' (using iamport's)",
                imp_uid, body_merchant_uid, p.merchant_uid);
    enum db_status st = load_target(env, p.merchant_uid, &t);
    if (st != DB_OK) {
        snprintf(result, result_len, "reading billkey's rows failed (%s)", db_status_name(st));
        out = WEBHOOK_RETRY;
        goto out;
    }
    if (t.registration) {
        out = verify_registration(env, &p, request_id, result, result_len);
        /* A console cancel (full or partial) of the issuance payment: its 'issue' row follows
         * iamport. */
        if (out == WEBHOOK_DONE && t.kind[0] &&
            (p.status == IAMPORT_PAYMENT_CANCELLED || p.cancel_amount > 0)) {
            char more[256];
            out = refresh_payment(env, &p, 0, request_id, more, sizeof more);
            if (out != WEBHOOK_DONE)
                snprintf(result, result_len, "%s", more);
        }
    } else if (t.kind[0]) {
        out = refresh_payment(env, &p, t.schedule, request_id, result, result_len);
    } else {
        snprintf(result, result_len, "billkey has no registration or payment '%s'", p.merchant_uid);
        out = WEBHOOK_IGNORED;
    }
out:
    iamport_payment_release(&p);
    return out;
}
