/* POST /subscribe/payments/schedule: checks, the ledger rows first, then iamport, then the outcome. */
#include "server/billing/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/billing/audit.h"
#include "server/billing/billing_env.h"
#include "server/billing/billing_key.h"
#include "server/billing/charge_fields.h"
#include "server/billing/schedule_ledger.h"
#include "server/core/clock.h"
#include "server/core/json_util.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"
#include "server/iamport/iamport.h"

/* Most items in one request (iamport client's own limit). */
#define BOOK_ITEMS_MAX 1000

/* Where one item stands. */
enum item_state {
    ITEM_PENDING,  /* claimed, not answered yet */
    ITEM_FOUND,    /* iamport has it: got is filled */
    ITEM_REFUSED,  /* iamport refused the request: nothing stored there */
    ITEM_NOT_SENT, /* never reached iamport */
    ITEM_UNKNOWN,  /* sent (or sent before), iamport could not tell */
};

struct item {
    struct charge_fields f; /* borrowed from the body */
    cJSON *extra;           /* owned: extra as sent (naverUseCfm completed), or NULL */
    int was_unknown;        /* the merchant_uid was left 'unknown' by an earlier request */
    enum item_state state;
    struct iamport_schedule got; /* ITEM_FOUND: iamport's schedule */
};

struct book {
    const struct billing_env *env;
    const char *actor;      /* "api:<key name>" */
    const char *request_id; /* may be NULL */
    const char *customer_uid;
    struct item *items;
    size_t n;
};

static void refuse(struct merchant_answer *out, const char *message)
{
    merchant_answer_refuse(out, 200, 1, "%s", message);
}

static void db_failure(struct merchant_answer *out, enum db_status st)
{
    merchant_answer_refuse(out, st == DB_UNAVAILABLE ? 503 : 500, -1,
                           "billkey의 원장(데이터베이스)을 쓸 수 없습니다 (%s).",
                           db_status_name(st));
}

/* Card data never enters billkey: any card field refuses the request (its value is not read). */
static int card_fields_refused(const cJSON *body, struct merchant_answer *out)
{
    static const char *const fields[] = {"card_number", "expiry", "birth", "pwd_2digit", "cvc"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (!cJSON_GetObjectItemCaseSensitive(body, fields[i]))
            continue;
        merchant_answer_refuse(out, 200, 1,
                               "%s: billkey는 카드 정보를 받지 않습니다. 결제창에서 발급한 "
                               "빌링키의 customer_uid로만 예약할 수 있습니다.",
                               fields[i]);
        return 1;
    }
    return 0;
}

/* customer_uid and the schedules array; every item read into b->items. */
static int read_request(struct book *b, const cJSON *body, struct merchant_answer *out)
{
    char message[CHARGE_MESSAGE_SIZE], prefix[32];
    if (card_fields_refused(body, out))
        return -1;
    if (merchant_answer_customer_uid(body, JSON_REQUIRED, &b->customer_uid, out) != 0)
        return -1;
    if (!charge_customer_uid_valid(b->customer_uid)) {
        refuse(out, SCHEDULE_MSG_NO_CUSTOMER);
        return -1;
    }
    const cJSON *schedules = cJSON_GetObjectItemCaseSensitive(body, "schedules");
    int count = cJSON_IsArray(schedules) ? cJSON_GetArraySize(schedules) : 0;
    if (count == 0) {
        refuse(out, "파라미터 누락: schedules");
        return -1;
    }
    if (count > BOOK_ITEMS_MAX) {
        merchant_answer_refuse(out, 200, 1, "schedules: 한 번에 %d건까지 예약할 수 있습니다.",
                               BOOK_ITEMS_MAX);
        return -1;
    }
    struct charge_limits limits = {b->env->charge_amount_max, b->env->clock, 1};
    b->items = xcalloc((size_t)count, sizeof *b->items);
    const cJSON *it;
    cJSON_ArrayForEach (it, schedules) {
        snprintf(prefix, sizeof prefix, "schedules[%zu]", b->n);
        if (charge_fields_read(it, prefix, &limits, &b->items[b->n].f, message) != 0) {
            refuse(out, message);
            return -1;
        }
        for (size_t j = 0; j < b->n; j++) {
            if (strcmp(b->items[j].f.merchant_uid, b->items[b->n].f.merchant_uid) == 0) {
                refuse(out, SCHEDULE_MSG_DUPLICATE);
                return -1;
            }
        }
        b->n++;
    }
    return 0;
}

/* extra as sent: where the NaverPay contract requires naverUseCfm (NAVERPAY_USE_CFM),
 * schedule_at's Korean date when the item has none. */
static void complete_extra(struct item *it, const struct billing_key *key, int fill_use_cfm)
{
    struct clock at = clock_fixed(it->f.schedule_at * 1000);
    it->extra = charge_extra_sent(&it->f, key->pg_provider, fill_use_cfm, &at);
}

/* What billkey keeps of the request (no card data can be in it: card fields are refused). */
static char *request_text(const struct item *it)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "merchant_uid", it->f.merchant_uid);
    cJSON_AddNumberToObject(o, "schedule_at", (double)it->f.schedule_at);
    cJSON_AddNumberToObject(o, "amount", (double)it->f.amount);
    cJSON_AddNumberToObject(o, "tax_free", (double)it->f.tax_free);
    json_add_str_or_null(o, "name", it->f.name);
    json_add_str_or_null(o, "notice_url", it->f.notice_url);
    if (it->extra)
        cJSON_AddItemToObject(o, "extra", cJSON_Duplicate(it->extra, 1));
    char *text = json_print(o);
    cJSON_Delete(o);
    return text;
}

/* Claims one item's payments and schedules rows. DB_CONFLICT when the merchant_uid is used. */
static enum db_status claim_item(struct book *b, struct db_conn *conn, struct item *it)
{
    PGresult *res = NULL;
    char amount[24], tax_free[24], at[24];
    snprintf(amount, sizeof amount, "%lld", (long long)it->f.amount);
    snprintf(tax_free, sizeof tax_free, "%lld", (long long)it->f.tax_free);
    snprintf(at, sizeof at, "%lld", (long long)it->f.schedule_at);
    char *request = request_text(it);
    const char *p[] = {it->f.merchant_uid, b->customer_uid, amount, it->f.name,
                       tax_free,           b->actor,        request};
    enum db_status st = db_exec(conn, STMT_SCHEDULE_CLAIM, p, &res);
    if (st == DB_OK && PQntuples(res) == 0)
        st = DB_CONFLICT;
    if (st == DB_OK)
        it->was_unknown = !PQgetisnull(res, 0, 1) && strcmp(PQgetvalue(res, 0, 1), "unknown") == 0;
    if (res)
        PQclear(res);
    const char *q[] = {it->f.merchant_uid, b->customer_uid, at, amount, it->f.name, b->actor};
    if (st == DB_OK)
        st = db_exec(conn, STMT_SCHEDULE_ROW_CLAIM, q, NULL);
    cJSON_free(request);
    return st;
}

/* The first transaction: every item 'requested' and one audit row, or nothing. */
static enum db_status claim(struct book *b, struct db_conn *conn)
{
    enum db_status st = db_begin(conn);
    cJSON *detail = cJSON_CreateObject(), *list = NULL;
    cJSON_AddStringToObject(detail, "customer_uid", b->customer_uid);
    list = cJSON_AddArrayToObject(detail, "schedules");
    for (size_t i = 0; st == DB_OK && i < b->n; i++) {
        st = claim_item(b, conn, &b->items[i]);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "merchant_uid", b->items[i].f.merchant_uid);
        cJSON_AddNumberToObject(o, "amount", (double)b->items[i].f.amount);
        cJSON_AddNumberToObject(o, "schedule_at", (double)b->items[i].f.schedule_at);
        cJSON_AddItemToArray(list, o);
    }
    if (st == DB_OK) {
        st = audit_record(conn, b->actor, "schedule.requested", b->customer_uid, b->request_id,
                          detail);
        detail = NULL;
    }
    if (st == DB_OK)
        st = db_commit(conn);
    else
        db_rollback(conn);
    cJSON_Delete(detail);
    return st;
}

static struct item *item_of(struct book *b, const char *merchant_uid)
{
    for (size_t i = 0; merchant_uid && i < b->n; i++)
        if (strcmp(b->items[i].f.merchant_uid, merchant_uid) == 0)
            return &b->items[i];
    return NULL;
}

/* GET schedule/{merchant_uid} for the items that are `which` (pre-send: was_unknown; after a
 * timeout: pending). Found → ITEM_FOUND; not found → `absent`; a failed lookup → ITEM_UNKNOWN. */
static void look_up(struct book *b, int after_send, enum item_state absent)
{
    for (size_t i = 0; i < b->n; i++) {
        struct item *it = &b->items[i];
        if (it->state != ITEM_PENDING || (!after_send && !it->was_unknown))
            continue;
        struct iamport_error err;
        enum iamport_status st =
            b->env->iamport
                ? iamport_get_schedule(b->env->iamport, it->f.merchant_uid, &it->got, &err)
                : IAMPORT_E_TRANSPORT;
        it->state = st == IAMPORT_OK            ? ITEM_FOUND
                    : st == IAMPORT_E_NOT_FOUND ? absent
                                                : ITEM_UNKNOWN;
        log_msg(LOG_INFO, b->request_id, "schedule '%s' looked up at iamport: %s",
                it->f.merchant_uid, iamport_status_name(st));
    }
}

static void set_pending(struct book *b, enum item_state state)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].state == ITEM_PENDING)
            b->items[i].state = state;
}

/* Sends the pending items; returns iamport's status (err filled). */
static enum iamport_status send(struct book *b, struct iamport_error *err)
{
    struct iamport_schedule_item *req = xcalloc(b->n, sizeof *req);
    struct iamport_schedule_list got;
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++) {
        const struct item *it = &b->items[i];
        if (it->state != ITEM_PENDING)
            continue;
        req[k++] = (struct iamport_schedule_item){
            .merchant_uid = it->f.merchant_uid,
            .schedule_at = it->f.schedule_at,
            .amount = it->f.amount,
            .name = it->f.name,
            .tax_free = it->f.tax_free,
            .buyer_name = it->f.buyer_name,
            .buyer_email = it->f.buyer_email,
            .buyer_tel = it->f.buyer_tel,
            .buyer_addr = it->f.buyer_addr,
            .buyer_postcode = it->f.buyer_postcode,
            .custom_data = it->f.custom_data,
            .notice_url = it->f.notice_url,
            .extra = it->extra,
        };
    }
    enum iamport_status st =
        k == 0            ? IAMPORT_OK
        : b->env->iamport ? iamport_schedule(b->env->iamport, b->customer_uid, req, k, &got, err)
                          : IAMPORT_E_TRANSPORT;
    free(req);
    if (k == 0 || !b->env->iamport)
        return st;
    for (size_t i = 0; st == IAMPORT_OK && i < got.count; i++) {
        struct item *it = item_of(b, got.items[i].merchant_uid);
        if (!it || it->state != ITEM_PENDING)
            continue;
        it->got = got.items[i];
        memset(&got.items[i], 0, sizeof got.items[i]);
        it->state = ITEM_FOUND;
    }
    iamport_schedule_list_release(&got);
    if (st == IAMPORT_OK)
        set_pending(b, ITEM_UNKNOWN); /* accepted but missing from the answer: cannot tell */
    return st;
}

static const char *const state_names[][2] = {
    /* schedules.schedule_status, payments.status */
    [ITEM_PENDING] = {"requested", "requested"}, [ITEM_FOUND] = {"scheduled", "scheduled"},
    [ITEM_REFUSED] = {"refused", "not_sent"},    [ITEM_NOT_SENT] = {"not_sent", "not_sent"},
    [ITEM_UNKNOWN] = {"unknown", "unknown"},
};

/* The second transaction: each item's state and one audit row with the upstream result. */
static enum db_status record(struct book *b, const char *action, cJSON *detail)
{
    struct db_conn *conn = NULL;
    enum db_status st = db_acquire(b->env->db, &conn);
    if (st == DB_OK)
        st = db_begin(conn);
    for (size_t i = 0; st == DB_OK && i < b->n; i++) {
        struct item *it = &b->items[i];
        if (it->state == ITEM_FOUND)
            st = schedule_ledger_apply(conn, &it->got, NULL);
        else
            st = schedule_ledger_mark(conn, it->f.merchant_uid, state_names[it->state][0],
                                      state_names[it->state][1]);
    }
    if (st == DB_OK) {
        cJSON_AddStringToObject(detail, "customer_uid", b->customer_uid);
        cJSON *uids = cJSON_AddArrayToObject(detail, "merchant_uids");
        for (size_t i = 0; i < b->n; i++)
            cJSON_AddItemToArray(uids, cJSON_CreateString(b->items[i].f.merchant_uid));
        st = audit_record(conn, b->actor, action, b->customer_uid, b->request_id, detail);
        detail = NULL;
    }
    if (conn && st == DB_OK)
        st = db_commit(conn);
    else if (conn)
        db_rollback(conn);
    if (conn)
        db_release(b->env->db, conn);
    cJSON_Delete(detail);
    if (st != DB_OK)
        log_msg(LOG_ERROR, b->request_id,
                "schedule outcome '%s' of customer '%s' could not be recorded (%s): the rows stay "
                "'requested'",
                action, b->customer_uid, db_status_name(st));
    return st;
}

static size_t count_state(const struct book *b, enum item_state state)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        n += b->items[i].state == state;
    return n;
}

/* Calls iamport (after looking up merchant_uids an earlier request left unknown), settles every
 * item's state and says what to answer; returns the audit action. */
static const char *run(struct book *b, struct merchant_answer *out, cJSON *detail)
{
    struct iamport_error err = {0};
    look_up(b, 0, ITEM_PENDING);
    if (count_state(b, ITEM_UNKNOWN) > 0) {
        set_pending(b, ITEM_NOT_SENT);
        merchant_answer_retry(out, SCHEDULE_MSG_UNKNOWN);
        return "schedule.unknown";
    }
    enum iamport_status st = send(b, &err);
    merchant_answer_audit_upstream(detail, st, &err);
    if (st == IAMPORT_E_TRANSPORT || st == IAMPORT_E_AUTH || st == IAMPORT_E_INVALID_ARGUMENT ||
        st == IAMPORT_E_BUSY) {
        set_pending(b, ITEM_NOT_SENT);
        log_msg(LOG_WARN, b->request_id, "schedule not sent (%s): %s", iamport_status_name(st),
                err.detail);
        if (st == IAMPORT_E_BUSY)
            merchant_answer_busy(out);
        else
            merchant_answer_retry(out, SCHEDULE_MSG_NOT_SENT);
        return "schedule.not_sent";
    }
    if (st != IAMPORT_OK && !iamport_outcome_unknown(st, &err)) {
        set_pending(b, ITEM_REFUSED);
        merchant_answer_refuse(out, err.http_status ? err.http_status : 200,
                               err.code ? err.code : -1, "%s",
                               err.message[0] ? err.message : iamport_status_name(st));
        return "schedule.refused";
    }
    if (st != IAMPORT_OK) {
        log_msg(LOG_WARN, b->request_id, "schedule outcome unknown (%s), looking it up",
                iamport_status_name(st));
        look_up(b, 1, ITEM_UNKNOWN);
    }
    if (count_state(b, ITEM_FOUND) != b->n) {
        merchant_answer_retry(out, SCHEDULE_MSG_UNKNOWN);
        return "schedule.unknown";
    }
    cJSON *booked = cJSON_CreateArray();
    for (size_t i = 0; i < b->n; i++)
        cJSON_AddItemToArray(booked, schedule_json(&b->items[i].got));
    merchant_answer_ok(out, booked);
    return "schedule.scheduled";
}

void schedule_book(const struct billing_env *env, const cJSON *body, const char *actor,
                   const char *request_id, struct merchant_answer *out)
{
    struct book b = {.env = env, .actor = actor, .request_id = request_id};
    struct billing_key key = {0};
    struct db_conn *conn = NULL;

    memset(out, 0, sizeof *out);
    if (read_request(&b, body, out) != 0)
        goto out;
    enum db_status st = db_acquire(env->db, &conn);
    if (st == DB_OK)
        st = billing_key_load(conn, b.customer_uid, &key);
    if (st == DB_NOT_FOUND || (st == DB_OK && !billing_key_is_active(&key))) {
        refuse(out, SCHEDULE_MSG_NO_CUSTOMER);
        goto out;
    }
    if (st != DB_OK) {
        db_failure(out, st);
        goto out;
    }
    for (size_t i = 0; i < b.n; i++)
        complete_extra(&b.items[i], &key, b.env->pg.naverpay_use_cfm);
    st = claim(&b, conn);
    db_release(env->db, conn);
    conn = NULL;
    if (st == DB_CONFLICT) {
        refuse(out, SCHEDULE_MSG_DUPLICATE);
        goto out;
    }
    if (st != DB_OK) {
        db_failure(out, st);
        goto out;
    }
    cJSON *detail = cJSON_CreateObject();
    const char *action = run(&b, out, detail);
    record(&b, action, detail);
out:
    if (conn)
        db_release(env->db, conn);
    billing_key_release(&key);
    for (size_t i = 0; i < b.n; i++) {
        cJSON_Delete(b.items[i].extra);
        iamport_schedule_release(&b.items[i].got);
    }
    free(b.items);
}
