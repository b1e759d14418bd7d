/* The merchant's charge of a billing key (POST /subscribe/payments/again) through the ledger. */
#include "server/billing/again.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/billing/audit.h"
#include "server/billing/billing_env.h"
#include "server/billing/billing_key.h"
#include "server/billing/charge_fields.h"
#include "server/billing/charge_ledger.h"
#include "server/core/json_util.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"

#define STALE_DEFAULT_MS INT64_C(600000)

/* One charge's inputs, read from the body. Strings borrowed from the body or owned as noted. */
struct again_ctx {
    const struct billing_env *env;
    const char *request_id;
    const char *key_name;           /* the payments row's created_by */
    char actor[MERCHANT_ACTOR_MAX]; /* "api:<key_name>" */
    const char *customer_uid;
    struct charge_fields f;
    struct billing_key key;
    cJSON *extra; /* owned: extra as sent (naverUseCfm filled in for NaverPay) */
    struct iamport_again_request rq;
};

/* Step 1: the body. 0, or -1 with the refusal in out. */
static int read_body(struct again_ctx *c, const cJSON *body, struct merchant_answer *out)
{
    char message[CHARGE_MESSAGE_SIZE];
    struct charge_limits limits = {.amount_max = c->env->charge_amount_max, .clock = c->env->clock};
    if (charge_fields_read(body, "", &limits, &c->f, message) != 0) {
        merchant_answer_refuse(out, 200, 1, "%s", message);
        return -1;
    }
    if (merchant_answer_customer_uid(body, JSON_REQUIRED, &c->customer_uid, out) != 0)
        return -1;
    if (!charge_customer_uid_valid(c->customer_uid)) {
        merchant_answer_refuse(out, 200, 1,
                               "customer_uid: 1~%d자의 공백과 '/'가 없는 ASCII 문자여야 합니다.",
                               CHARGE_CUSTOMER_UID_MAX);
        return -1;
    }
    return 0;
}

/* The again request for the loaded key: NaverPay gets today's naverUseCfm when none was sent and
 * NAVERPAY_USE_CFM says the contract requires it. */
static void build_request(struct again_ctx *c, const cJSON *body)
{
    const struct charge_fields *f = &c->f;
    c->extra = charge_extra_sent(f, c->key.pg_provider, c->env->pg.naverpay_use_cfm, c->env->clock);
    c->rq = (struct iamport_again_request){
        .customer_uid = c->customer_uid,
        .merchant_uid = f->merchant_uid,
        .amount = f->amount,
        .name = f->name,
        .tax_free = f->tax_free,
        .buyer_name = f->buyer_name,
        .buyer_email = f->buyer_email,
        .buyer_tel = f->buyer_tel,
        .buyer_addr = f->buyer_addr,
        .buyer_postcode = f->buyer_postcode,
        .custom_data =
            f->custom_data ? cJSON_GetObjectItemCaseSensitive(body, "custom_data") : NULL,
        .notice_url = f->notice_url,
        .extra = c->extra,
    };
}

/* Why the claim found the merchant_uid taken, as the refusal (inside the claim's transaction). */
static enum db_status refuse_taken(struct again_ctx *c, struct db_conn *conn,
                                   struct merchant_answer *out)
{
    PGresult *res = NULL;
    const char *params[] = {c->f.merchant_uid};
    enum db_status st = db_exec(conn, STMT_PAYMENT_LEDGER_GET, params, &res);
    if (st != DB_OK)
        return st;
    int retryable = 0;
    if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "again") == 0) {
        const char *status = PQgetvalue(res, 0, 1);
        retryable = strcmp(status, "not_sent") == 0 || strcmp(status, "unknown") == 0 ||
                    strcmp(status, "requested") == 0;
        retryable = retryable && (strcmp(PQgetvalue(res, 0, 2), c->customer_uid) != 0 ||
                                  strtoll(PQgetvalue(res, 0, 3), NULL, 10) != c->f.amount);
    }
    if (retryable)
        merchant_answer_refuse(
            out, 200, 1,
            "merchant_uid '%s' 는 customer_uid '%s', amount %s 로 요청된 건입니다. 같은 "
            "merchant_uid로 다시 요청할 때는 customer_uid와 amount가 같아야 합니다.",
            c->f.merchant_uid, PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3));
    else
        merchant_answer_refuse(out, 200, 1, "%s", AGAIN_MSG_DUPLICATE);
    PQclear(res);
    return DB_OK;
}

/* Step 2, one transaction: the key, the claim and its audit row. *claimed: 0 (out holds the
 * refusal), 1 new row, 2 re-claimed row (look it up before charging). */
static enum db_status claim(struct again_ctx *c, const cJSON *body, struct db_conn *conn,
                            int *claimed, struct merchant_answer *out)
{
    PGresult *res = NULL;
    char amount[24], tax_free[24], stale[24];
    char *request = NULL;
    cJSON *sent = NULL;

    *claimed = 0;
    enum db_status st = db_begin(conn);
    if (st != DB_OK)
        return st;
    st = billing_key_load(conn, c->customer_uid, &c->key);
    if (st == DB_NOT_FOUND || (st == DB_OK && !billing_key_is_active(&c->key))) {
        merchant_answer_refuse(out, 200, 1, "%s", AGAIN_MSG_UNKNOWN_CUSTOMER);
        st = DB_OK;
        goto out;
    }
    if (st != DB_OK)
        goto out;
    build_request(c, body);
    sent = charge_request_json(&c->rq);
    request = json_print(sent);
    snprintf(amount, sizeof amount, "%" PRId64, c->f.amount);
    snprintf(tax_free, sizeof tax_free, "%" PRId64, c->f.tax_free);
    snprintf(stale, sizeof stale, "%" PRId64,
             c->env->charge_stale_ms > 0 ? c->env->charge_stale_ms : STALE_DEFAULT_MS);
    const char *params[] = {c->f.merchant_uid, c->customer_uid, amount,  c->f.name,
                            tax_free,          c->key_name,     request, stale};
    st = db_exec(conn, STMT_AGAIN_CLAIM, params, &res);
    if (st != DB_OK)
        goto out;
    if (PQntuples(res) != 1) {
        st = refuse_taken(c, conn, out);
        goto out;
    }
    *claimed = strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? 1 : 2;
    cJSON *detail = cJSON_CreateObject();
    cJSON_AddStringToObject(detail, "kind", "again");
    cJSON_AddStringToObject(detail, "customer_uid", c->customer_uid);
    cJSON_AddNumberToObject(detail, "amount", (double)c->f.amount);
    cJSON_AddNumberToObject(detail, "tax_free", (double)c->f.tax_free);
    cJSON_AddBoolToObject(detail, "retry", *claimed == 2);
    st =
        audit_record(conn, c->actor, "payment.requested", c->f.merchant_uid, c->request_id, detail);
out:
    if (res)
        PQclear(res);
    cJSON_free(request);
    cJSON_Delete(sent);
    if (st == DB_OK && *claimed)
        st = db_commit(conn);
    else
        db_rollback(conn);
    if (st != DB_OK)
        *claimed = 0;
    return st;
}

/* iamport's Payment as the merchant gets it: timestamps and amounts are numbers, never null. */
static cJSON *payment_reply(const cJSON *payment)
{
    static const char *const numbers[] = {"amount",     "cancel_amount",  "started_at",
                                          "paid_at",    "failed_at",      "cancelled_at",
                                          "vbank_date", "vbank_issued_at"};
    cJSON *p = cJSON_Duplicate(payment, 1);
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, numbers[i]);
        if (!cJSON_IsNumber(v))
            cJSON_ReplaceItemInObjectCaseSensitive(p, numbers[i], cJSON_CreateNumber(0));
    }
    return p;
}

/* Step 5: the answer for what the call came to. */
static void answer_result(const struct charge_result *r, struct merchant_answer *out)
{
    const char *status = r->outcome.status;
    if (r->payment) {
        merchant_answer_ok(out, payment_reply(r->payment));
    } else if (strcmp(status, "not_sent") == 0 && r->upstream == IAMPORT_E_BUSY) {
        merchant_answer_busy(out);
    } else if (strcmp(status, "not_sent") == 0) {
        merchant_answer_retry(out, AGAIN_MSG_NOT_SENT);
    } else if (strcmp(status, "unknown") == 0) {
        merchant_answer_retry(out, AGAIN_MSG_OUTCOME_UNKNOWN);
    } else {
        /* iamport refused the request itself: its code and message, on HTTP 200 */
        merchant_answer_refuse(out, 200, r->err.code ? r->err.code : -1, "%s",
                               r->err.message[0] ? r->err.message : r->outcome.fail_reason);
    }
}

void again_charge(const struct billing_env *env, const cJSON *body, const char *key_name,
                  const char *request_id, struct merchant_answer *out)
{
    struct again_ctx c = {
        .env = env, .request_id = request_id, .key_name = key_name ? key_name : "?"};
    struct db_conn *conn = NULL;
    struct charge_result r = {0};
    int claimed = 0;

    memset(out, 0, sizeof *out);
    merchant_answer_actor(c.actor, key_name);
    if (read_body(&c, body, out) != 0)
        goto out;
    enum db_status st = db_acquire(env->db, &conn);
    if (st == DB_OK)
        st = claim(&c, body, conn, &claimed, out);
    db_release(env->db, conn);
    conn = NULL;
    if (st != DB_OK) {
        log_msg(LOG_ERROR, request_id, "again '%s': claiming the ledger row failed (%s)",
                c.f.merchant_uid, db_status_name(st));
        merchant_answer_refuse(out, 503, -1, "database unavailable (%s): nothing was charged",
                               db_status_name(st));
        goto out;
    }
    if (!claimed) {
        log_msg(LOG_INFO, request_id, "again '%s' refused: %s", c.f.merchant_uid, out->message);
        goto out;
    }

    charge_ledger_call(env, &c.rq, claimed == 2, request_id, &r);
    st = db_acquire(env->db, &conn);
    if (st == DB_OK)
        st = charge_ledger_settle(conn, c.f.merchant_uid, c.f.amount, &r, c.actor, request_id);
    db_release(env->db, conn);
    if (st != DB_OK)
        log_msg(LOG_ERROR, request_id,
                "again '%s' ended '%s' but could not be recorded (%s): the row stays "
                "'requested' and a retry with the same merchant_uid re-checks it",
                c.f.merchant_uid, r.outcome.status, db_status_name(st));
    answer_result(&r, out);
    log_msg(LOG_INFO, request_id, "again '%s' by '%s': %s", c.f.merchant_uid, c.actor,
            r.outcome.status);
out:
    charge_result_release(&r);
    billing_key_release(&c.key);
    cJSON_Delete(c.extra);
}
