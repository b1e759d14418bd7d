/* Billing keys for merchants: GET and DELETE /subscribe/customers/{customer_uid}, key-in refused. */
#include "server/billing/customer_key.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "server/billing/audit.h"
#include "server/billing/billing_key.h"
#include "server/billing/short_tx.h"
#include "server/core/clock.h"
#include "server/core/json_util.h"
#include "server/core/log.h"
#include "server/core/utf8.h"

/* customer_uids are quoted in messages up to this many bytes */
#define QUOTE_MAX 200

void customer_key_refuse_card_data(struct merchant_answer *out)
{
    merchant_answer_refuse(out, 200, 1, "%s", CUSTOMER_KEY_CARD_REFUSED);
}

static void refuse_unknown(const char *customer_uid, struct merchant_answer *out)
{
    char quoted[QUOTE_MAX + 1];
    snprintf(quoted, sizeof quoted, "%.*s", utf8_prefix_len(customer_uid, QUOTE_MAX), customer_uid);
    merchant_answer_refuse(out, 200, 1, CUSTOMER_KEY_NOT_FOUND_FMT, quoted);
}

struct key_load {
    const char *customer_uid;
    struct billing_key key;
};

static enum db_status load_body(struct db_conn *conn, void *arg)
{
    struct key_load *l = arg;
    return billing_key_load(conn, l->customer_uid, &l->key);
}

/* Loads the key (short transaction, connection released). Returns 1 when it is known (and, when
 * must_be_active, active); else 0 with the refusal in *out. */
static int known_key(const struct billing_env *env, const char *customer_uid, bool must_be_active,
                     struct merchant_answer *out)
{
    struct key_load l = {.customer_uid = customer_uid};
    enum db_status st = short_tx_run(env->db, load_body, &l);
    int known = st == DB_OK && (!must_be_active || billing_key_is_active(&l.key));
    if (st == DB_NOT_FOUND || (st == DB_OK && !known))
        refuse_unknown(customer_uid, out);
    else if (st != DB_OK)
        merchant_answer_db_unavailable(out, db_status_name(st));
    billing_key_release(&l.key);
    return known;
}

/* iamport's Customer as sent, or its refusal; releases *cu. */
static void answer_customer(enum iamport_status st, struct iamport_customer *cu,
                            const struct iamport_error *err, const char *what,
                            struct merchant_answer *out)
{
    if (st == IAMPORT_OK) {
        merchant_answer_ok(out, iamport_customer_raw(cu));
    } else {
        merchant_answer_upstream(out, st, err, what);
    }
    iamport_customer_release(cu);
}

void customer_key_get(const struct billing_env *env, const char *customer_uid,
                      struct merchant_answer *out)
{
    struct iamport_customer cu;
    struct iamport_error err;
    if (merchant_answer_no_iamport(env, out) || !known_key(env, customer_uid, false, out))
        return;
    enum iamport_status st = iamport_get_customer(env->iamport, customer_uid, &cu, &err);
    answer_customer(st, &cu, &err, "빌링키 조회", out);
}

/* One step's audit row, plus the local change it stands for. */
struct step_record {
    const char *customer_uid;
    const char *actor, *action, *request_id;
    cJSON *detail;                               /* taken by audit_record */
    const struct iamport_schedule_list *revoked; /* unschedule: mark these revoked */
    int64_t now;
    bool mark_deleted; /* delete: mark the billing key deleted */
};

static enum db_status step_body(struct db_conn *conn, void *arg)
{
    struct step_record *r = arg;
    enum db_status st = DB_OK;
    for (size_t i = 0; r->revoked && i < r->revoked->count && st == DB_OK; i++) {
        const struct iamport_schedule *s = &r->revoked->items[i];
        char at[24];
        snprintf(at, sizeof at, "%lld", (long long)(s->revoked_at > 0 ? s->revoked_at : r->now));
        const char *params[] = {s->merchant_uid, at};
        PGresult *res = NULL;
        st = db_exec(conn, STMT_SCHEDULE_REVOKE, params, &res);
        if (res)
            PQclear(res);
    }
    if (st == DB_OK && r->mark_deleted) {
        st = billing_key_mark_deleted(conn, r->customer_uid);
        cJSON_AddBoolToObject(r->detail, "marked_deleted", st == DB_OK);
        if (st == DB_NOT_FOUND)
            st = DB_OK;
    }
    if (st != DB_OK)
        return st;
    cJSON *detail = r->detail;
    r->detail = NULL;
    return audit_record(conn, r->actor, r->action, r->customer_uid, r->request_id, detail);
}

/* Writes one step in its own transaction; a failure is logged (iamport has already acted). */
static void record_step(const struct billing_env *env, struct step_record *r)
{
    r->now = clock_now_s(env->clock);
    enum db_status st = short_tx_run(env->db, step_body, r);
    if (st != DB_OK)
        log_msg(LOG_ERROR, r->request_id, "%s of '%s' could not be recorded (%s)", r->action,
                r->customer_uid, db_status_name(st));
    cJSON_Delete(r->detail);
    r->detail = NULL;
}

/* The detail every step records. */
static cJSON *step_detail(const char *customer_uid, const char *result, enum iamport_status st,
                          const struct iamport_error *err)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "customer_uid", customer_uid);
    cJSON_AddStringToObject(d, "result", result);
    merchant_answer_audit_upstream(d, st, err);
    return d;
}

/* Step 1: unschedule at iamport and record it. Returns 1 when deletion may go on. */
static int unschedule_first(const struct billing_env *env, const char *customer_uid,
                            const char *actor, const char *request_id, struct merchant_answer *out)
{
    struct iamport_schedule_list list;
    struct iamport_error err;
    enum iamport_status st = iamport_unschedule(env->iamport, customer_uid, NULL, 0, &list, &err);
    /* iamport answers 200 / 1 when the customer has nothing pending: fine here */
    bool none = st == IAMPORT_E_API && err.code == 1 && err.http_status == 200;
    const char *result = st == IAMPORT_OK ? "revoked" : none ? "none_pending" : "failed";
    struct step_record r = {
        .customer_uid = customer_uid,
        .actor = actor,
        .action = "customer.unschedule",
        .request_id = request_id,
        .detail = step_detail(customer_uid, result, st, &err),
        .revoked = st == IAMPORT_OK ? &list : NULL,
    };
    cJSON *uids = cJSON_AddArrayToObject(r.detail, "revoked");
    for (size_t i = 0; st == IAMPORT_OK && i < list.count; i++)
        cJSON_AddItemToArray(uids, cJSON_CreateString(list.items[i].merchant_uid));
    record_step(env, &r);
    int go_on = st == IAMPORT_OK || none;
    if (!go_on) {
        merchant_answer_upstream(out, st, &err, "예약결제 취소");
        char upstream[sizeof out->message];
        memcpy(upstream, out->message, sizeof upstream);
        merchant_answer_refuse(out, out->http_status, out->code,
                               "예약결제를 취소하지 못해 빌링키를 삭제하지 않았습니다 "
                               "(unschedule failed, key kept): %.380s",
                               upstream);
    }
    iamport_schedule_list_release(&list);
    return go_on;
}

void customer_key_delete(const struct billing_env *env, const char *customer_uid,
                         const char *reason, const char *requester, const char *actor,
                         const char *request_id, struct merchant_answer *out)
{
    struct iamport_customer cu;
    struct iamport_error err;
    if (requester && !requester[0])
        requester = NULL; /* empty counts as not sent */
    if (requester && strcmp(requester, "customer") != 0 && strcmp(requester, "admin") != 0) {
        merchant_answer_refuse(out, 200, 1, "%s", CUSTOMER_KEY_BAD_REQUESTER);
        return;
    }
    if (merchant_answer_no_iamport(env, out) || !known_key(env, customer_uid, true, out) ||
        !unschedule_first(env, customer_uid, actor, request_id, out))
        return;

    enum iamport_status st =
        iamport_delete_customer(env->iamport, customer_uid, reason, requester, &cu, &err);
    /* gone at iamport either way: billkey must stop charging it too */
    bool gone = st == IAMPORT_OK || st == IAMPORT_E_NOT_FOUND;
    const char *result = st == IAMPORT_OK                    ? "deleted"
                         : st == IAMPORT_E_NOT_FOUND         ? "not_found_upstream"
                         : iamport_outcome_unknown(st, &err) ? "unknown"
                                                             : "failed";
    struct step_record r = {
        .customer_uid = customer_uid,
        .actor = actor,
        .action = "customer.delete",
        .request_id = request_id,
        .detail = step_detail(customer_uid, result, st, &err),
        .mark_deleted = gone,
    };
    json_add_str_or_null(r.detail, "reason", reason);
    json_add_str_or_null(r.detail, "requester", requester);
    record_step(env, &r);
    answer_customer(st, &cu, &err, "빌링키 삭제", out);
}
