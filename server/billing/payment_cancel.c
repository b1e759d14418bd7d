/* POST /payments/cancel for merchants: validation, the cancel at iamport, timeouts looked up, ledger and audit. */
#include "server/billing/payment_cancel.h"

#include <stdbool.h>
#include <string.h>

#include "server/billing/audit.h"
#include "server/billing/payment_lookup.h"
#include "server/billing/short_tx.h"
#include "server/core/json_util.h"
#include "server/core/log.h"
#include "server/core/utf8.h"

/* An optional plain string of at most max_chars characters; "" counts as absent (as iamport).
 * Returns 1, or 0 with the refusal. */
static int read_text(const cJSON *body, const char *key, size_t max_chars, const char **out,
                     struct merchant_answer *refusal)
{
    struct json_error e;
    if (json_get_str(body, key, JSON_OPTIONAL, 0, out, &e) != JSON_OK) {
        merchant_answer_field(refusal, &e);
        return 0;
    }
    if (*out && !(*out)[0])
        *out = NULL;
    size_t chars = utf8_char_count(*out);
    if (chars > max_chars) {
        merchant_answer_too_long(refusal, key, max_chars, chars);
        return 0;
    }
    return 1;
}

/* An optional integer in min..max. Returns 1, or 0 with the refusal. */
static int read_amount(const cJSON *body, const char *key, int64_t min, int64_t max, int64_t *out,
                       int *present, struct merchant_answer *refusal)
{
    struct json_error e;
    if (json_get_int64(body, key, JSON_OPTIONAL, min, max, out, present, &e) == JSON_OK)
        return 1;
    merchant_answer_field(refusal, &e);
    return 0;
}

int payment_cancel_parse(const cJSON *body, struct payment_cancel_request *out,
                         struct merchant_answer *refusal)
{
    memset(out, 0, sizeof *out);
    if (!read_text(body, "imp_uid", PAYMENT_CANCEL_IMP_UID_MAX, &out->imp_uid, refusal) ||
        !read_text(body, "merchant_uid", PAYMENT_CANCEL_MERCHANT_UID_MAX, &out->merchant_uid,
                   refusal))
        return 0;
    if (!out->imp_uid && !out->merchant_uid) {
        merchant_answer_refuse(refusal, 200, 1, "파라미터 누락: imp_uid 또는 merchant_uid");
        return 0;
    }
    int present = 0;
    if (!read_amount(body, "amount", 1, PAYMENT_CANCEL_AMOUNT_MAX, &out->amount, NULL, refusal) ||
        !read_amount(body, "tax_free", 0, out->amount ? out->amount : PAYMENT_CANCEL_AMOUNT_MAX,
                     &out->tax_free, NULL, refusal) ||
        !read_amount(body, "checksum", 0, PAYMENT_CANCEL_AMOUNT_MAX, &out->checksum, &present,
                     refusal) ||
        !read_text(body, "reason", PAYMENT_CANCEL_REASON_MAX, &out->reason, refusal))
        return 0;
    out->has_checksum = present;
    return 1;
}

/* The payment the request names, as iamport has it now (imp_uid wins, as at iamport). */
static enum iamport_status look_up(const struct billing_env *env,
                                   const struct payment_cancel_request *req,
                                   struct iamport_payment *p, struct iamport_error *err)
{
    if (req->imp_uid)
        return iamport_get_payment(env->iamport, req->imp_uid, p, err);
    return iamport_find_payment(env->iamport, req->merchant_uid, p, err);
}

/* The audit row's detail: what was asked, what iamport said, where the payment stands. */
static cJSON *audit_detail(const struct payment_cancel_request *req, const char *result,
                           enum iamport_status st, const struct iamport_error *err,
                           const struct iamport_payment *p)
{
    cJSON *d = cJSON_CreateObject();
    json_add_str_or_null(d, "imp_uid", p ? p->imp_uid : req->imp_uid);
    json_add_str_or_null(d, "merchant_uid", p ? p->merchant_uid : req->merchant_uid);
    cJSON_AddNumberToObject(d, "amount", (double)req->amount);
    cJSON_AddNumberToObject(d, "tax_free", (double)req->tax_free);
    if (req->has_checksum)
        cJSON_AddNumberToObject(d, "checksum", (double)req->checksum);
    json_add_str_or_null(d, "reason", req->reason);
    cJSON_AddStringToObject(d, "result", result);
    merchant_answer_audit_upstream(d, st, err);
    if (p) {
        cJSON_AddStringToObject(d, "payment_status", iamport_payment_status_name(p->status));
        cJSON_AddNumberToObject(d, "cancel_amount", (double)p->cancel_amount);
    }
    return d;
}

struct cancel_record {
    const struct iamport_payment *payment; /* NULL when iamport's state is not known */
    const char *actor, *subject, *request_id;
    cJSON *detail; /* taken by audit_record */
};

static enum db_status record_body(struct db_conn *conn, void *arg)
{
    struct cancel_record *r = arg;
    enum db_status st = DB_OK;
    if (r->payment) {
        st = payment_ledger_refresh(conn, r->payment);
        if (st == DB_NOT_FOUND)
            st = DB_OK; /* not a payment billkey charged: nothing to refresh */
    }
    if (st != DB_OK)
        return st;
    cJSON *detail = r->detail;
    r->detail = NULL;
    return audit_record(conn, r->actor, "payment.cancel", r->subject, r->request_id, detail);
}

/* One transaction after the call: the ledger row follows p (when known) and the audit row. */
static void record(const struct billing_env *env, const struct payment_cancel_request *req,
                   const char *actor, const char *request_id, const char *result,
                   enum iamport_status st, const struct iamport_error *err,
                   const struct iamport_payment *p)
{
    struct cancel_record r = {
        .payment = p,
        .actor = actor,
        .subject = p                   ? p->merchant_uid
                   : req->merchant_uid ? req->merchant_uid
                                       : req->imp_uid,
        .request_id = request_id,
        .detail = audit_detail(req, result, st, err, p),
    };
    enum db_status dst = short_tx_run(env->db, record_body, &r);
    if (dst != DB_OK)
        log_msg(LOG_ERROR, request_id,
                "cancel of '%s' (%s) could not be recorded in the ledger/audit (%s)", r.subject,
                result, db_status_name(dst));
    cJSON_Delete(r.detail);
}

void payment_cancel(const struct billing_env *env, const struct payment_cancel_request *req,
                    const char *actor, const char *request_id, struct merchant_answer *out)
{
    struct iamport_payment before, p;
    struct iamport_error err, lookup_err;
    if (merchant_answer_no_iamport(env, out))
        return;

    /* the refundable state before the call, to tell after a timeout whether the cancel ran */
    bool known_before = look_up(env, req, &before, &lookup_err) == IAMPORT_OK;
    int64_t cancelled_before = known_before ? before.cancel_amount : 0;
    iamport_payment_release(&before);

    struct iamport_cancel_request crq = {
        .imp_uid = req->imp_uid,
        .merchant_uid = req->merchant_uid,
        .amount = req->amount,
        .tax_free = req->tax_free,
        .reason = req->reason,
        .has_checksum = req->has_checksum != 0,
        .checksum = req->checksum,
    };
    enum iamport_status st = iamport_cancel(env->iamport, &crq, &p, &err);
    const char *result = "cancelled";
    if (st != IAMPORT_OK && iamport_outcome_unknown(st, &err)) {
        log_msg(LOG_WARN, request_id, "cancel outcome unknown (%s): looking the payment up",
                iamport_status_name(st));
        iamport_payment_release(&p);
        bool found = look_up(env, req, &p, &lookup_err) == IAMPORT_OK;
        bool happened = found && known_before && p.cancel_amount > cancelled_before;
        if (happened) {
            result = "cancelled_after_timeout";
        } else {
            result = "unknown";
            record(env, req, actor, request_id, result, st, &err, found ? &p : NULL);
            merchant_answer_refuse(out, 200, 1, "%s", PAYMENT_CANCEL_UNKNOWN_MESSAGE);
            out->retry = 1;
            goto out;
        }
    } else if (st != IAMPORT_OK) {
        record(env, req, actor, request_id, "refused", st, &err, NULL);
        merchant_answer_upstream(out, st, &err, "결제취소");
        goto out;
    }
    record(env, req, actor, request_id, result, st, &err, &p);
    merchant_answer_ok(out, iamport_payment_raw(&p));
out:
    iamport_payment_release(&p);
}
