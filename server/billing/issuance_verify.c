/* The one idempotent verification of a billing-key issuance (callback, landing, webhook, reconciler). */
#include "server/billing/issuance_verify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/batch.h"
#include "server/billing/billing_env.h"
#include "server/billing/audit.h"
#include "server/iamport/iamport.h"
#include "server/billing/issuance_rules.h"
#include "server/core/json_util.h"
#include "server/core/log.h"
#include "server/billing/pg_profile.h"
#include "server/billing/refund_due.h"
#include "server/core/utf8.h"
#include "server/core/xalloc.h"

#define CANCEL_REASON "billkey: verification mismatch"
/* How long a verification waits for another one of the same registration to finish, polling
 * its state with no connection held between polls. */
#define WAIT_MS 20000L
#define POLL_FIRST_MS 50L
#define POLL_MAX_MS 500L
/* A lease when billing_env has no charge_stale_ms: longer than any verification's iamport calls. */
#define LEASE_DEFAULT_MS 600000LL

static const struct {
    int http_status;
    const char *code;
} outcome_info[] = {
    [VERIFY_ACTIVE] = {200, ""},
    [VERIFY_INVALID_INPUT] = {400, "invalid_field"},
    [VERIFY_UNKNOWN_PAYMENT] = {404, "unknown_payment"},
    [VERIFY_MERCHANT_UID_MISMATCH] = {409, "merchant_uid_mismatch"},
    [VERIFY_UNKNOWN_REGISTRATION] = {404, "unknown_registration"},
    [VERIFY_NOT_COMPLETED] = {409, "payment_not_completed"},
    [VERIFY_FAILED] = {422, "registration_failed"},
    [VERIFY_REJECTED] = {409, "payment_rejected"},
    [VERIFY_CONFLICT] = {409, "registration_conflict"},
    [VERIFY_IAMPORT_UNAVAILABLE] = {502, "iamport_unavailable"},
    [VERIFY_IAMPORT_TIMEOUT] = {504, "iamport_timeout"},
    [VERIFY_DB_UNAVAILABLE] = {503, "database_unavailable"},
    [VERIFY_INTERNAL] = {500, "internal"},
};

/* Everything one verification works with. */
struct verify_ctx {
    const struct billing_env *env;
    const char *actor;
    const char *request_id;
    struct db_conn *conn;             /* only inside one short transaction, else NULL */
    char lease_owner[64];             /* this verification's lease ("" when it holds none) */
    const struct pg_profile *profile; /* the registration's PG */
    struct iamport_payment pay;       /* what iamport says */
    struct verify_result *out;
    /* The billing key, asked for together with the payment (verify_named): used once, by the
     * first accept (accept_at_once); later steps ask iamport again. */
    int card_ready;
    enum iamport_status card_status;
    struct iamport_error card_err;
    struct iamport_customer card;
};

void verify_result_release(struct verify_result *r)
{
    registration_release(&r->reg);
    payment_summary_release(&r->first_payment);
    memset(r, 0, sizeof *r);
}

static enum verify_outcome finish(struct verify_result *out, enum verify_outcome outcome,
                                  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum verify_outcome finish(struct verify_result *out, enum verify_outcome outcome,
                                  const char *fmt, ...)
{
    va_list ap;
    out->outcome = outcome;
    out->http_status = outcome_info[outcome].http_status;
    out->code = outcome_info[outcome].code;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof out->message, fmt, ap);
    va_end(ap);
    utf8_trim_partial(out->message);
    return outcome;
}

/* 503 "try again shortly": another verification holds the registration. */
static enum verify_outcome in_progress(struct verify_result *out)
{
    finish(out, VERIFY_DB_UNAVAILABLE,
           "another verification of this registration is still running; try again shortly");
    out->code = "verification_in_progress";
    out->retry_after = 1;
    return out->outcome;
}

static enum verify_outcome db_failure(struct verify_ctx *c, enum db_status st, const char *what)
{
    if (st == DB_NOT_FOUND) { /* the lease ran out and another verification took it over */
        log_msg(LOG_WARN, c->request_id, "issuance verification lost its lease while %s", what);
        return in_progress(c->out);
    }
    log_msg(LOG_ERROR, c->request_id, "issuance verification: %s failed (%s): %s", what,
            db_status_name(st), c->conn ? db_conn_error(c->conn) : "");
    if (st == DB_UNAVAILABLE)
        return finish(c->out, VERIFY_DB_UNAVAILABLE,
                      "the database is unavailable (%s); the registration is unchanged, try again",
                      what);
    return finish(c->out, VERIFY_INTERNAL, "database error while %s (%s)", what,
                  db_status_name(st));
}

int issuance_valid_id(const char *s, size_t max)
{
    size_t n = 0;
    for (; s && s[n]; n++)
        if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f)
            return 0;
    return s && n >= 1 && n <= max;
}

int issuance_valid_imp_uid(const char *s)
{
    static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789_-";
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= VERIFY_IMP_UID_MAX && strspn(s, allowed) == n;
}

/* A call that failed because iamport did not answer in time. */
static int is_timeout(enum iamport_status st, const struct iamport_error *err)
{
    return st == IAMPORT_E_TIMEOUT_UNKNOWN || err->timed_out;
}

/* Maps a failed lookup to 502/504. The answer names iamport's own message at most; transport
 * details (addresses, curl text) go to the log only. */
static enum verify_outcome iamport_failure(struct verify_ctx *c, enum iamport_status st,
                                           const struct iamport_error *err, const char *what)
{
    const char *why = err->message;
    log_msg(LOG_WARN, c->request_id, "iamport %s failed (%s, http %d): %s", what,
            iamport_status_name(st), err->http_status, err->detail);
    if (st == IAMPORT_E_BUSY) {
        finish(c->out, VERIFY_IAMPORT_UNAVAILABLE,
               "iamport is busy (too many calls in flight) while %s; nothing changed, the "
               "registration is still pending, try again shortly",
               what);
        c->out->http_status = 503;
        c->out->code = "iamport_busy";
        c->out->retry_after = 1;
        return c->out->outcome;
    }
    if (is_timeout(st, err))
        return finish(c->out, VERIFY_IAMPORT_TIMEOUT,
                      "iamport did not answer in time (%s); the registration is still pending, "
                      "try again",
                      what);
    return finish(c->out, VERIFY_IAMPORT_UNAVAILABLE,
                  "iamport is unavailable (%s: %s%s%s); the registration is still pending, try "
                  "again",
                  what, iamport_status_name(st), why[0] ? ", " : "", why);
}

/* Serialises the raw payment for the ledger (caller frees with cJSON_free), or NULL. */
static char *raw_text(const struct iamport_payment *p)
{
    cJSON *raw = iamport_payment_raw(p);
    char *text = json_print(raw);
    cJSON_Delete(raw);
    return text;
}

/* The kind 'issue' ledger row (KakaoPay's window charge, or a payment that took money). */
static enum db_status record_issue_payment(struct verify_ctx *c, const struct iamport_payment *p,
                                           const char *status, const char *fail_reason)
{
    char amount[24];
    char *raw = raw_text(p);
    snprintf(amount, sizeof amount, "%" PRId64, p->amount);
    const struct registration *reg = &c->out->reg;
    char cancelled[24];
    snprintf(cancelled, sizeof cancelled, "%" PRId64, p->cancel_amount > 0 ? p->cancel_amount : 0);
    const char *params[] = {reg->merchant_uid, reg->customer_uid, amount, reg->name, status,
                            p->imp_uid,        fail_reason,       raw,    cancelled};
    enum db_status st = db_exec(c->conn, STMT_PAYMENT_ISSUE_RECORD, params, NULL);
    cJSON_free(raw);
    return st;
}

static int has_issue_row(const struct verify_ctx *c)
{
    return c->out->reg.charge_now && c->profile->charges_at_issuance;
}

/* Opens a short transaction that records an outcome: a pooled connection in c->conn, BEGIN,
 * and the registration's row locked while the lease is still this verification's (DB_NOT_FOUND
 * when it was lost). End it with leased_end() whatever this returned. */
static enum db_status leased_begin(struct verify_ctx *c)
{
    const char *params[] = {c->out->reg.merchant_uid, c->lease_owner};
    PGresult *res = NULL;
    enum db_status st = db_acquire(c->env->db, &c->conn);
    if (st != DB_OK) {
        c->conn = NULL;
        return st;
    }
    st = db_begin(c->conn);
    if (st == DB_OK)
        st = db_exec(c->conn, STMT_REGISTRATION_LEASE_CHECK, params, &res);
    if (st == DB_OK && PQntuples(res) != 1)
        st = DB_NOT_FOUND;
    if (res)
        PQclear(res);
    return st;
}

/* COMMIT when st is DB_OK, else ROLLBACK (and st); the connection goes back to the pool. */
static enum db_status leased_end(struct verify_ctx *c, enum db_status st)
{
    if (!c->conn)
        return st;
    if (st == DB_OK)
        st = db_commit(c->conn);
    else
        db_rollback(c->conn);
    if (st != DB_OK && st != DB_NOT_FOUND)
        log_msg(LOG_ERROR, c->request_id, "recording the verification of '%s' failed (%s): %s",
                c->out->reg.merchant_uid, db_status_name(st), db_conn_error(c->conn));
    db_release(c->env->db, c->conn);
    c->conn = NULL;
    return st;
}

static cJSON *detail_base(const struct verify_ctx *c)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "imp_uid", c->pay.imp_uid);
    cJSON_AddStringToObject(d, "customer_uid", c->out->reg.customer_uid);
    cJSON_AddStringToObject(d, "pg_provider", c->out->reg.pg_provider);
    return d;
}

static enum verify_outcome apply_failed(struct verify_ctx *c, const struct issuance_check *chk)
{
    struct registration *reg = &c->out->reg;
    enum db_status st = leased_begin(c);
    if (st == DB_OK)
        st = registration_set_status(c->conn, reg->merchant_uid, "failed", c->pay.imp_uid,
                                     chk->reason);
    if (st == DB_OK && has_issue_row(c))
        st = record_issue_payment(c, &c->pay, "failed", chk->reason);
    if (st == DB_OK) {
        cJSON *d = detail_base(c);
        cJSON_AddStringToObject(d, "fail_reason", chk->reason);
        st = audit_record(c->conn, c->actor, "registration.failed", reg->merchant_uid,
                          c->request_id, d);
    }
    st = leased_end(c, st);
    if (st != DB_OK)
        return db_failure(c, st, "recording the failed registration");
    registration_set_field(&reg->status, "failed");
    registration_set_field(&reg->imp_uid, c->pay.imp_uid);
    registration_set_field(&reg->fail_reason, chk->reason);
    return finish(c->out, VERIFY_FAILED, "the registration failed: %s", chk->reason);
}

static enum verify_outcome apply_rejected(struct verify_ctx *c, const struct issuance_check *chk)
{
    struct registration *reg = &c->out->reg;
    struct iamport_payment cancelled;
    struct iamport_error err;
    const char *reason = chk->reason;
    int did_cancel = 0;

    memset(&cancelled, 0, sizeof cancelled);
    if (chk->money_moved) {
        /* Until the cancel is confirmed the registration stays pending: sealing it as tampered
         * would leave the money taken with nothing left to retry the cancel. The next
         * verification looks the payment up again (cancelled meanwhile → no second cancel). */
        struct iamport_cancel_request crq = {.imp_uid = c->pay.imp_uid, .reason = CANCEL_REASON};
        enum iamport_status ist = iamport_cancel(c->env->iamport, &crq, &cancelled, &err);
        if (ist != IAMPORT_OK) {
            log_msg(LOG_ERROR, c->request_id,
                    "payment '%s' of registration '%s' took money and could not be cancelled "
                    "(%s: %s): the registration stays pending until a verification cancels it",
                    c->pay.imp_uid, reg->merchant_uid, iamport_status_name(ist), err.detail);
            refund_due_record(c->env, reg->merchant_uid, c->pay.imp_uid, c->pay.amount,
                              iamport_status_name(ist), c->actor, c->request_id);
            iamport_payment_release(&cancelled);
            return iamport_failure(c, ist, &err, "cancelling the mismatched payment");
        }
        did_cancel = 1;
    }
    enum db_status st = leased_begin(c);
    if (st == DB_OK)
        st =
            registration_set_status(c->conn, reg->merchant_uid, "tampered", c->pay.imp_uid, reason);
    /* refunded: it took money that was given back before this verification (a cancel whose
     * answer was lost, or the shop's console) */
    int refunded = c->pay.status == IAMPORT_PAYMENT_CANCELLED && c->pay.cancel_amount > 0;
    if (st == DB_OK && (chk->money_moved || refunded || has_issue_row(c)))
        st = record_issue_payment(c, did_cancel ? &cancelled : &c->pay,
                                  did_cancel || refunded ? "cancelled" : "failed", reason);
    if (st == DB_OK) {
        cJSON *d = detail_base(c);
        cJSON_AddStringToObject(d, "reason", reason);
        json_add_str_or_null(d, "status", c->pay.status_text);
        cJSON_AddNumberToObject(d, "amount", (double)c->pay.amount);
        cJSON_AddNumberToObject(d, "expected_amount", (double)reg->window_amount);
        cJSON_AddBoolToObject(d, "money_moved", chk->money_moved);
        cJSON_AddBoolToObject(d, "cancelled", did_cancel);
        st = audit_record(c->conn, c->actor, "registration.tampered", reg->merchant_uid,
                          c->request_id, d);
    }
    if (st == DB_OK && did_cancel) {
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "imp_uid", c->pay.imp_uid);
        cJSON_AddNumberToObject(d, "amount", (double)c->pay.amount);
        cJSON_AddStringToObject(d, "reason", CANCEL_REASON);
        st = audit_record(c->conn, c->actor, "payment.cancelled", reg->merchant_uid, c->request_id,
                          d);
    }
    st = leased_end(c, st);
    iamport_payment_release(&cancelled);
    if (st != DB_OK)
        return db_failure(c, st, "recording the rejected payment");
    registration_set_field(&reg->status, "tampered");
    registration_set_field(&reg->imp_uid, c->pay.imp_uid);
    registration_set_field(&reg->fail_reason, reason);
    return finish(c->out, VERIFY_REJECTED, "the payment was rejected: %s%s", reason,
                  did_cancel ? " (cancelled at iamport)" : "");
}

/* The registration in c->out as it was just recorded: active with this payment and card. */
static void remember_active(struct verify_ctx *c, const struct iamport_customer *card)
{
    struct registration *reg = &c->out->reg;
    registration_set_field(&reg->status, "active");
    registration_set_field(&reg->imp_uid, c->pay.imp_uid);
    registration_set_field(&reg->fail_reason, NULL);
    registration_set_field(&reg->card_name, card->card_name);
    registration_set_field(&reg->card_number, card->card_number);
}

/* Records the accepted issuance with the card read from iamport (borrowed; zeroed when it could
 * not be read). */
static enum verify_outcome apply_accepted(struct verify_ctx *c, const struct iamport_customer *card)
{
    struct registration *reg = &c->out->reg;
    enum db_status st = leased_begin(c);
    if (st == DB_OK)
        st = registration_set_status(c->conn, reg->merchant_uid, "active", c->pay.imp_uid, NULL);
    if (st == DB_OK) {
        const char *params[] = {reg->customer_uid, reg->customer_id,  reg->pg_provider, reg->pg,
                                card->card_name,   card->card_number, c->pay.imp_uid};
        st = db_exec(c->conn, STMT_BILLING_KEY_INSERT, params, NULL);
    }
    if (st == DB_OK && has_issue_row(c)) {
        st = record_issue_payment(c, &c->pay, "paid", NULL);
        if (st == DB_OK) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "imp_uid", c->pay.imp_uid);
            cJSON_AddNumberToObject(d, "amount", (double)c->pay.amount);
            cJSON_AddStringToObject(d, "kind", "issue");
            st = audit_record(c->conn, c->actor, "payment.paid", reg->merchant_uid, c->request_id,
                              d);
        }
    }
    if (st == DB_OK) {
        cJSON *d = detail_base(c);
        cJSON_AddStringToObject(d, "customer_id", reg->customer_id);
        json_add_str_or_null(d, "card_name", card->card_name);
        st = audit_record(c->conn, c->actor, "registration.active", reg->merchant_uid,
                          c->request_id, d);
    }
    st = leased_end(c, st);
    if (st == DB_OK)
        remember_active(c, card);
    if (st != DB_OK)
        return db_failure(c, st, "recording the billing key");
    return VERIFY_ACTIVE;
}

/* The answer of GET /subscribe/customers/{customer_uid} (ist, *errp, *card) judged for chk.
 * A "ready" acceptance (chk->needs_key) stands only when iamport shows the key for this PG:
 * none → NOT_COMPLETED; a failed lookup → 502/504 (returned, the registration stays pending).
 * Otherwise a failed lookup only leaves the card empty. VERIFY_ACTIVE means "go on". */
static enum verify_outcome judge_card(struct verify_ctx *c,
                                      const struct issuance_expectation *expect,
                                      struct issuance_check *chk, struct iamport_customer *card,
                                      enum iamport_status ist, const struct iamport_error *errp)
{
    const struct iamport_error err = *errp;
    const char *customer_uid = c->out->reg.customer_uid;
    if (ist == IAMPORT_OK) {
        issuance_check_customer(expect, card, chk);
        return VERIFY_ACTIVE;
    }
    if (ist == IAMPORT_E_BUSY) /* nothing was asked: do not record a key without its card */
        return iamport_failure(c, ist, &err, "looking the billing key up");
    int no_key = ist == IAMPORT_E_NOT_FOUND || (ist == IAMPORT_E_API && err.http_status < 500);
    if (chk->needs_key && no_key) {
        issuance_check_customer(expect, NULL, chk);
        return VERIFY_ACTIVE;
    }
    if (chk->needs_key)
        return iamport_failure(c, ist, &err, "looking the billing key up");
    log_msg(LOG_WARN, c->request_id,
            "billing key '%s' is issued but its card could not be read (%s): card fields stay "
            "empty",
            customer_uid, iamport_status_name(ist));
    return VERIFY_ACTIVE;
}

/* GET /subscribe/customers/{customer_uid} into *card (zeroed first; release it in every case),
 * judged as judge_card says. */
static enum verify_outcome read_card(struct verify_ctx *c,
                                     const struct issuance_expectation *expect,
                                     struct issuance_check *chk, struct iamport_customer *card)
{
    struct iamport_error err;
    enum iamport_status ist =
        iamport_get_customer(c->env->iamport, c->out->reg.customer_uid, card, &err);
    return judge_card(c, expect, chk, card, ist, &err);
}

/* Step 6 for a pending (or failed, retried) registration. VERIFY_ACTIVE means "go on". */
static enum verify_outcome settle_pending(struct verify_ctx *c)
{
    struct issuance_check chk;
    struct iamport_customer card;
    struct issuance_expectation expect = {
        .profile = c->profile,
        .customer_uid = c->out->reg.customer_uid,
        .window_amount = c->out->reg.window_amount,
        .pg_id = pg_profile_configured_id(c->profile, &c->env->pg),
    };
    enum verify_outcome o;

    memset(&card, 0, sizeof card);
    issuance_check_payment(&expect, &c->pay, &chk);
    if (chk.decision == ISSUANCE_ACCEPT) {
        o = read_card(c, &expect, &chk, &card);
        if (o == VERIFY_ACTIVE && chk.decision == ISSUANCE_ACCEPT)
            o = apply_accepted(c, &card);
        iamport_customer_release(&card);
        if (o != VERIFY_ACTIVE || chk.decision == ISSUANCE_ACCEPT)
            return o;
    }
    switch (chk.decision) {
    case ISSUANCE_ACCEPT:
        break;
    case ISSUANCE_FAIL:
        return apply_failed(c, &chk);
    case ISSUANCE_REJECT:
        return apply_rejected(c, &chk);
    case ISSUANCE_NOT_COMPLETED:
        break;
    }
    return finish(c->out, VERIFY_NOT_COMPLETED,
                  "the registration is not completed yet: %s; try again when the window is done",
                  chk.reason);
}

/* The KakaoPay window's 'issue' row, read in a short transaction of its own. */
static enum db_status load_first_payment(struct verify_ctx *c)
{
    struct db_conn *conn = NULL;
    payment_summary_release(&c->out->first_payment);
    enum db_status st = db_acquire(c->env->db, &conn);
    if (st != DB_OK)
        return st;
    st = payment_summary_load(conn, c->out->reg.merchant_uid, &c->out->first_payment);
    db_release(c->env->db, conn);
    return st;
}

/* Step 8: the first payment of an active registration (the lease is held). */
static enum verify_outcome first_payment(struct verify_ctx *c)
{
    struct registration *reg = &c->out->reg;
    enum db_status st = DB_OK;
    if (!reg->charge_now)
        return finish(c->out, VERIFY_ACTIVE, "the billing key is registered");
    if (pg_profile_charges_with_again(c->profile, reg->charge_now)) {
        payment_summary_release(&c->out->first_payment);
        st = first_charge_ensure(c->env, reg, c->actor, c->request_id, &c->out->first_payment);
    } else {
        st = load_first_payment(c);
    }
    if (st != DB_OK && !c->out->first_payment.present)
        return db_failure(c, st, "taking the first payment");
    return finish(c->out, VERIFY_ACTIVE, "the billing key is registered");
}

/* The step of the registration just loaded into c->out, after loading its first payment when
 * charge_now (on conn; on a pooled connection of its own when conn is NULL). */
static enum db_status decide_step(struct verify_ctx *c, struct db_conn *conn,
                                  enum issuance_step *step)
{
    struct registration *reg = &c->out->reg;
    enum db_status st = DB_OK;
    c->out->has_registration = 1;
    c->profile = pg_profile_find(reg->pg_provider);
    if (!c->profile) {
        log_msg(LOG_ERROR, c->request_id, "registration '%s' has an unknown pg_provider '%s'",
                reg->merchant_uid, reg->pg_provider);
        return DB_ERROR;
    }
    if (reg->charge_now && conn) {
        st = payment_summary_load(conn, reg->merchant_uid, &c->out->first_payment);
    } else if (reg->charge_now) {
        st = db_acquire(c->env->db, &conn);
        if (st == DB_OK)
            st = payment_summary_load(conn, reg->merchant_uid, &c->out->first_payment);
        db_release(c->env->db, conn);
    }
    struct issuance_state state = {
        .status = reg->status,
        .same_payment = reg->imp_uid && strcmp(reg->imp_uid, c->pay.imp_uid) == 0,
        .charges_with_again = pg_profile_charges_with_again(c->profile, reg->charge_now),
        .first_status = c->out->first_payment.present ? c->out->first_payment.status : NULL,
    };
    *step = issuance_next_step(&state);
    return st;
}

/* Loads the registration (and its first payment when charge_now) on conn into c->out and decides
 * the step from them; with conn NULL, on pooled connections (the registration through the
 * group-commit queue when it is on). DB_NOT_FOUND when there is no such registration. */
static enum db_status load_state(struct verify_ctx *c, struct db_conn *conn,
                                 enum issuance_step *step)
{
    struct registration *reg = &c->out->reg;
    const char *mu = c->pay.merchant_uid;
    registration_release(reg);
    payment_summary_release(&c->out->first_payment);
    enum db_status st = conn ? registration_load(conn, mu, reg)
                             : registration_load_pooled(c->env->db, c->env->batch, mu, reg);
    return st == DB_OK ? decide_step(c, conn, step) : st;
}

static int needs_lease(enum issuance_step step)
{
    return step == ISSUANCE_STEP_SETTLE || step == ISSUANCE_STEP_FIRST_CHARGE;
}

/* One short transaction: the registration as stored and the step it needs; when the step is
 * work, the lease too (taken only when free or run out), after which the row is read again
 * under it and, if the work was done meanwhile, the lease is given back at once. *busy = 1 when
 * another verification holds the lease (nothing was taken). */
static enum db_status claim_tx(struct verify_ctx *c, enum issuance_step *step, int *busy)
{
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    char lease_ms[24];
    int64_t ms = c->env->charge_stale_ms > 0 ? c->env->charge_stale_ms : LEASE_DEFAULT_MS;
    snprintf(lease_ms, sizeof lease_ms, "%" PRId64, ms);
    const char *take[] = {c->pay.merchant_uid, lease_ms};

    *busy = 0;
    enum db_status st = db_acquire(c->env->db, &conn);
    if (st != DB_OK)
        return st;
    st = db_begin(conn);
    if (st == DB_OK)
        st = load_state(c, conn, step);
    if (st != DB_OK || !needs_lease(*step))
        goto out;
    st = db_exec(conn, STMT_REGISTRATION_LEASE_TAKE, take, &res);
    if (st != DB_OK)
        goto out;
    if (PQntuples(res) != 1) {
        *busy = 1;
        goto out;
    }
    snprintf(c->lease_owner, sizeof c->lease_owner, "%s", PQgetvalue(res, 0, 0));
    st = load_state(c, conn, step);
    if (st == DB_OK && !needs_lease(*step)) {
        const char *drop[] = {c->pay.merchant_uid, c->lease_owner};
        st = db_exec(conn, STMT_REGISTRATION_LEASE_DROP, drop, NULL);
    }
out:
    if (res)
        PQclear(res);
    if (st == DB_OK)
        st = db_commit(conn);
    else
        db_rollback(conn);
    if (st != DB_OK || !needs_lease(*step))
        c->lease_owner[0] = '\0';
    if (st != DB_OK && st != DB_NOT_FOUND)
        log_msg(LOG_ERROR, c->request_id, "claiming registration '%s' failed (%s): %s",
                c->pay.merchant_uid, db_status_name(st), db_conn_error(conn));
    db_release(c->env->db, conn);
    return st;
}

/* Gives the lease back (a failure only leaves it to run out). */
static void drop_lease(struct verify_ctx *c)
{
    struct db_conn *conn = NULL;
    const char *params[] = {c->pay.merchant_uid, c->lease_owner};
    enum db_status st = db_acquire(c->env->db, &conn);
    if (st == DB_OK)
        st = db_exec(conn, STMT_REGISTRATION_LEASE_DROP, params, NULL);
    if (st != DB_OK)
        log_msg(LOG_WARN, c->request_id,
                "cannot give back the verification lease of '%s' (%s): it runs out by itself",
                c->pay.merchant_uid, db_status_name(st));
    db_release(c->env->db, conn);
    c->lease_owner[0] = '\0';
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Reads the payment again now that the lease is held: the one fetched before it may have changed
 * meanwhile (a concurrent verification cancelled it, the shop's console refunded part of it), and
 * only what iamport says now may decide. VERIFY_ACTIVE means "go on" with the fresh c->pay. */
static enum verify_outcome refetch_payment(struct verify_ctx *c)
{
    struct iamport_payment fresh;
    struct iamport_error err;
    enum verify_outcome o = VERIFY_ACTIVE;

    memset(&fresh, 0, sizeof fresh);
    enum iamport_status ist = iamport_get_payment(c->env->iamport, c->pay.imp_uid, &fresh, &err);
    if (ist == IAMPORT_E_NOT_FOUND) {
        o = finish(c->out, VERIFY_UNKNOWN_PAYMENT, "iamport has no payment '%s'", c->pay.imp_uid);
        goto out;
    }
    if (ist != IAMPORT_OK) {
        o = iamport_failure(c, ist, &err, "looking the payment up again");
        goto out;
    }
    if (!fresh.merchant_uid || strcmp(fresh.merchant_uid, c->pay.merchant_uid) != 0) {
        o = finish(c->out, VERIFY_MERCHANT_UID_MISMATCH,
                   "payment '%s' does not belong to merchant_uid '%s'", c->pay.imp_uid,
                   c->pay.merchant_uid);
        goto out;
    }
    iamport_payment_release(&c->pay);
    c->pay = fresh;
    memset(&fresh, 0, sizeof fresh);
out:
    iamport_payment_release(&fresh);
    return o;
}

/* The stored answer of a step that needs no work (or the work of an active registration). */
static enum verify_outcome answer_step(struct verify_ctx *c, enum issuance_step step)
{
    const struct registration *reg = &c->out->reg;
    switch (step) {
    case ISSUANCE_STEP_CONFLICT:
        return finish(c->out, VERIFY_CONFLICT,
                      "registration '%s' is already active with another payment",
                      c->pay.merchant_uid);
    case ISSUANCE_STEP_REJECTED:
        return finish(c->out, VERIFY_REJECTED, "the payment was rejected: %s",
                      reg->fail_reason ? reg->fail_reason : "verification mismatch");
    case ISSUANCE_STEP_FAILED:
        return finish(c->out, VERIFY_FAILED, "the registration failed: %s",
                      reg->fail_reason ? reg->fail_reason : "the PG reported a failure");
    case ISSUANCE_STEP_ACTIVE:
        return finish(c->out, VERIFY_ACTIVE, "the billing key is registered");
    case ISSUANCE_STEP_FIRST_CHARGE:
        return first_payment(c);
    case ISSUANCE_STEP_SETTLE:
        break;
    }
    return VERIFY_ACTIVE;
}

static enum verify_outcome unknown_registration(struct verify_ctx *c, const char *merchant_uid)
{
    return finish(c->out, VERIFY_UNKNOWN_REGISTRATION,
                  "merchant_uid '%s' is not a registration billkey created", merchant_uid);
}

static void log_read_failure(const struct verify_ctx *c, const char *merchant_uid,
                             enum db_status st)
{
    log_msg(LOG_ERROR, c->request_id, "reading registration '%s' failed (%s)", merchant_uid,
            db_status_name(st));
}

/* The registration as stored and its step, read with no transaction (one SELECT, two with
 * charge_now; the SELECT shared with the concurrent verifications' reads when group commit is
 * on, db/batch.h) unless `loaded` (verify_named read it already): a replay is answered from it,
 * and a pending one tries accept_at_once(). */
static enum db_status peek_state(struct verify_ctx *c, int loaded, enum issuance_step *step)
{
    enum db_status st = loaded ? decide_step(c, NULL, step) : load_state(c, NULL, step);
    if (st != DB_OK && st != DB_NOT_FOUND)
        log_read_failure(c, c->pay.merchant_uid, st);
    return st;
}

/* STMT_REGISTRATION_ACTIVATE: the accept of a pending registration without a first charge in
 * one statement. *done = 0 when it wrote nothing (no longer pending, or leased by another
 * verification): the leased path decides then. */
static enum verify_outcome activate_at_once(struct verify_ctx *c,
                                            const struct iamport_customer *card, int *done)
{
    struct registration *reg = &c->out->reg;
    PGresult *res = NULL;
    cJSON *d = detail_base(c);
    cJSON_AddStringToObject(d, "customer_id", reg->customer_id);
    json_add_str_or_null(d, "card_name", card->card_name);
    char *detail = json_print(d);
    cJSON_Delete(d);
    const char *params[] = {reg->merchant_uid,
                            c->pay.imp_uid,
                            card->card_name,
                            card->card_number,
                            c->actor,
                            c->request_id && c->request_id[0] ? c->request_id : NULL,
                            detail};

    *done = 1;
    /* with concurrent accepts as one statement when group commit is on (db/batch.h) */
    enum db_status st =
        db_batch_exec(c->env->db, c->env->batch, STMT_REGISTRATION_ACTIVATE, params, &res);
    cJSON_free(detail);
    if (st == DB_OK && PQntuples(res) != 1)
        *done = 0;
    if (res)
        PQclear(res);
    if (st != DB_OK)
        return db_failure(c, st, "recording the billing key");
    if (!*done)
        return VERIFY_ACTIVE;
    remember_active(c, card);
    return finish(c->out, VERIFY_ACTIVE, "the billing key is registered");
}

/* The common first verification, with no lease: a pending registration without a first charge
 * whose payment (the copy just fetched) and card are accepted is recorded by one statement.
 * *done = 0 when it did not decide (another decision, the row changed or is leased): the
 * leased path then starts over with a fresh copy of the payment. */
static enum verify_outcome accept_at_once(struct verify_ctx *c, int *done)
{
    const struct registration *reg = &c->out->reg;
    struct issuance_check chk;
    struct iamport_customer card;
    struct issuance_expectation expect = {
        .profile = c->profile,
        .customer_uid = reg->customer_uid,
        .window_amount = reg->window_amount,
        .pg_id = pg_profile_configured_id(c->profile, &c->env->pg),
    };
    enum verify_outcome o = VERIFY_ACTIVE;

    *done = 0;
    if (reg->charge_now || !reg->status || strcmp(reg->status, "pending") != 0)
        return o;
    issuance_check_payment(&expect, &c->pay, &chk);
    if (chk.decision != ISSUANCE_ACCEPT)
        return o;
    memset(&card, 0, sizeof card);
    if (c->card_ready) { /* asked for with the payment: taken over, used once */
        card = c->card;
        memset(&c->card, 0, sizeof c->card);
        c->card_ready = 0;
        o = judge_card(c, &expect, &chk, &card, c->card_status, &c->card_err);
    } else {
        o = read_card(c, &expect, &chk, &card);
    }
    if (o != VERIFY_ACTIVE)
        *done = 1;
    else if (chk.decision == ISSUANCE_ACCEPT)
        o = activate_at_once(c, &card, done);
    iamport_customer_release(&card);
    return o;
}

/* Steps 4-8 (with the registration already in c->out when `loaded`): the stored answer, or the
 * accept in one statement; else claim (or wait for another
 * verification, polling with no connection held), then work under the lease with each write in
 * its own short transaction. */
static enum verify_outcome verify_registration(struct verify_ctx *c, int loaded)
{
    const char *merchant_uid = c->pay.merchant_uid;
    enum issuance_step step = ISSUANCE_STEP_SETTLE;
    long waited = 0, pause = POLL_FIRST_MS;
    int busy = 0, done = 0;

    enum db_status st = peek_state(c, loaded, &step);
    if (st == DB_NOT_FOUND)
        return unknown_registration(c, merchant_uid);
    if (st != DB_OK)
        return db_failure(c, st, "reading the registration");
    if (!needs_lease(step))
        return answer_step(c, step);
    if (step == ISSUANCE_STEP_SETTLE) {
        enum verify_outcome o = accept_at_once(c, &done);
        if (done)
            return o;
    }
    for (;;) {
        st = claim_tx(c, &step, &busy);
        if (st == DB_NOT_FOUND)
            return unknown_registration(c, merchant_uid);
        if (st != DB_OK)
            return db_failure(c, st, "claiming the registration");
        if (!busy)
            break;
        if (waited >= WAIT_MS) {
            log_msg(LOG_WARN, c->request_id, "registration '%s' stayed leased for %ld ms",
                    merchant_uid, waited);
            return in_progress(c->out);
        }
        sleep_ms(pause);
        waited += pause;
        pause = pause * 2 > POLL_MAX_MS ? POLL_MAX_MS : pause * 2;
    }
    if (step != ISSUANCE_STEP_SETTLE)
        return answer_step(c, step);
    enum verify_outcome o = refetch_payment(c);
    if (o != VERIFY_ACTIVE)
        return o;
    o = settle_pending(c);
    return o == VERIFY_ACTIVE ? first_payment(c) : o;
}

/* Steps 2-3 judged: iamport's answer (ist, *err) for the payment imp_uid or, with imp_uid NULL,
 * the one it lists for merchant_uid, now in c->pay. VERIFY_ACTIVE means "go on". */
static enum verify_outcome judge_payment(struct verify_ctx *c, const char *imp_uid,
                                         const char *merchant_uid, enum iamport_status ist,
                                         const struct iamport_error *err)
{
    if (ist == IAMPORT_E_NOT_FOUND && imp_uid)
        return finish(c->out, VERIFY_UNKNOWN_PAYMENT, "iamport has no payment '%s'", imp_uid);
    if (ist == IAMPORT_E_NOT_FOUND)
        return finish(c->out, VERIFY_UNKNOWN_PAYMENT,
                      "iamport has no payment for merchant_uid '%s'", merchant_uid);
    if (ist != IAMPORT_OK)
        return iamport_failure(c, ist, err, "looking the payment up");
    if (!imp_uid && !issuance_valid_imp_uid(c->pay.imp_uid))
        return finish(c->out, VERIFY_IAMPORT_UNAVAILABLE,
                      "iamport listed a payment without a usable imp_uid; the registration is "
                      "still pending, try again");
    if (merchant_uid && strcmp(c->pay.merchant_uid, merchant_uid) != 0)
        return finish(c->out, VERIFY_MERCHANT_UID_MISMATCH,
                      "payment '%s' does not belong to merchant_uid '%s'", c->pay.imp_uid,
                      merchant_uid);
    return VERIFY_ACTIVE;
}

/* Steps 2-3: the payment imp_uid, or (imp_uid NULL) the one iamport lists for merchant_uid,
 * into c->pay. VERIFY_ACTIVE means "go on". */
static enum verify_outcome fetch_payment(struct verify_ctx *c, const char *imp_uid,
                                         const char *merchant_uid)
{
    struct iamport_error err;
    enum iamport_status ist;

    if (imp_uid)
        ist = iamport_get_payment(c->env->iamport, imp_uid, &c->pay, &err);
    else
        ist = iamport_find_payment(c->env->iamport, merchant_uid, &c->pay, &err);
    return judge_payment(c, imp_uid, merchant_uid, ist, &err);
}

/* A verification that names both imp_uid and merchant_uid: the registration is read first, so
 * that iamport is asked for the payment and, when the registration waits for its billing key
 * with no first charge (the common first verification), for the key at the same time: one wait
 * for both answers. A merchant_uid billkey does not know goes the payment-first way, so that
 * its answers stay those of that order (no such payment is told before no such registration). */
static enum verify_outcome verify_named(struct verify_ctx *c, const char *imp_uid,
                                        const char *merchant_uid)
{
    struct registration *reg = &c->out->reg;
    struct iamport_error err;

    enum db_status st = registration_load_pooled(c->env->db, c->env->batch, merchant_uid, reg);
    if (st == DB_NOT_FOUND) { /* the payment's answer first, then this one */
        registration_release(reg);
        enum verify_outcome o = fetch_payment(c, imp_uid, merchant_uid);
        return o == VERIFY_ACTIVE ? unknown_registration(c, merchant_uid) : o;
    }
    if (st != DB_OK) {
        log_read_failure(c, merchant_uid, st);
        return db_failure(c, st, "reading the registration");
    }
    enum iamport_status ist;
    int wants_card = !reg->charge_now && reg->status && strcmp(reg->status, "pending") == 0;
    if (wants_card) {
        ist = iamport_get_payment_and_customer(c->env->iamport, imp_uid, &c->pay, &err,
                                               reg->customer_uid, &c->card, &c->card_status,
                                               &c->card_err);
        c->card_ready = 1;
    } else {
        ist = iamport_get_payment(c->env->iamport, imp_uid, &c->pay, &err);
    }
    enum verify_outcome o = judge_payment(c, imp_uid, merchant_uid, ist, &err);
    if (o == VERIFY_ACTIVE)
        return verify_registration(c, 1);
    registration_release(reg); /* answered as the payment-first order answers: no registration */
    return o;
}

enum verify_outcome issuance_verify(const struct billing_env *env, const char *imp_uid,
                                    const char *claimed_merchant_uid, const char *actor,
                                    const char *request_id, struct verify_result *out)
{
    struct verify_ctx c = {.env = env, .actor = actor, .request_id = request_id, .out = out};
    enum verify_outcome o;

    memset(out, 0, sizeof *out);
    memset(&c.pay, 0, sizeof c.pay);
    int by_merchant_uid = !imp_uid && claimed_merchant_uid; /* a redirect without imp_uid */
    if (!by_merchant_uid && !issuance_valid_imp_uid(imp_uid)) {
        out->field = "imp_uid";
        o = finish(out, VERIFY_INVALID_INPUT, "imp_uid: must be 1..%d of [A-Za-z0-9_-]",
                   VERIFY_IMP_UID_MAX);
        goto out;
    }
    if (claimed_merchant_uid && !issuance_valid_id(claimed_merchant_uid, VERIFY_MERCHANT_UID_MAX)) {
        out->field = "merchant_uid";
        o = finish(out, VERIFY_INVALID_INPUT,
                   "merchant_uid: must be 1..%d printable ASCII characters without spaces",
                   VERIFY_MERCHANT_UID_MAX);
        goto out;
    }
    if (!env->iamport) {
        o = finish(out, VERIFY_IAMPORT_UNAVAILABLE, "the iamport client is not configured");
        goto out;
    }
    if (!by_merchant_uid && claimed_merchant_uid) {
        o = verify_named(&c, imp_uid, claimed_merchant_uid);
        goto out;
    }
    o = fetch_payment(&c, imp_uid, claimed_merchant_uid);
    if (o != VERIFY_ACTIVE)
        goto out;
    o = verify_registration(&c, 0);
out:
    if (c.lease_owner[0])
        drop_lease(&c);
    if (o != VERIFY_ACTIVE) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "code", out->code);
        cJSON_AddStringToObject(f, "actor", actor);
        json_add_str_or_null(f, "imp_uid",
                             issuance_valid_imp_uid(imp_uid) ? imp_uid : c.pay.imp_uid);
        log_json(o == VERIFY_INTERNAL || o == VERIFY_DB_UNAVAILABLE ? LOG_ERROR : LOG_INFO,
                 request_id, "issuance not verified", f);
    }
    iamport_payment_release(&c.pay);
    iamport_customer_release(&c.card);
    return o;
}

static cJSON *first_payment_json(const struct payment_summary *p)
{
    if (!p->present)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    json_add_str_or_null(o, "merchant_uid", p->merchant_uid);
    cJSON_AddNumberToObject(o, "amount", (double)p->amount);
    json_add_str_or_null(o, "status", p->status);
    json_add_str_or_null(o, "fail_reason", p->fail_reason);
    return o;
}

cJSON *verify_result_json(const struct verify_result *r)
{
    const struct registration *reg = &r->reg;
    cJSON *o = cJSON_CreateObject();
    json_add_str_or_null(o, "status", reg->status);
    json_add_str_or_null(o, "merchant_uid", reg->merchant_uid);
    json_add_str_or_null(o, "customer_uid", reg->customer_uid);
    json_add_str_or_null(o, "customer_id", reg->customer_id);
    json_add_str_or_null(o, "pg", reg->pg);
    json_add_str_or_null(o, "pg_provider", reg->pg_provider);
    json_add_str_or_null(o, "card_name", reg->card_name);
    json_add_str_or_null(o, "card_number", reg->card_number);
    cJSON_AddItemToObject(o, "first_payment", first_payment_json(&r->first_payment));
    return o;
}
