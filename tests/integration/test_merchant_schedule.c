/* Schedules through billkey over real HTTP: schedule, unschedule, lookups and lists against the sandbox, with the ledger rows and what iamport saw. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/billing/kst.h"
#include "server/billing/schedule.h"
#include "server/core/clock.h"
#include "server/core/xalloc.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/merchant_fixture.h"
#include "tests/lib/testlib.h"

#define NOTHING_TO_REVOKE "취소할 예약결제 기록이 존재하지 않습니다."
#define DAY (24 * 3600)

/* call() and fx_expect_envelope(), for answers that need no further look. */
static void expect_call(const struct fx *fx, const char *method, const char *path, const char *json,
                        const char *form, long status, int code, const char *message)
{
    struct http_client_response r;
    fx_merchant(fx, NULL, method, path, form ? FX_FORM : FX_JSON, form ? form : json, &r);
    fx_expect_envelope(&r, status, code, message);
    http_client_response_release(&r);
}

static long long now_s(void)
{
    return (long long)time(NULL);
}

/* schedules.<column> (trusted name) of merchant_uid; caller frees. */
static char *schedule_column(const struct fx *fx, const char *column, const char *mu)
{
    char *sql = xasprintf("SELECT %s::text FROM schedules WHERE merchant_uid = $1", column);
    const char *p[] = {mu, NULL};
    char *v = fx_sql(fx, sql, p);
    free(sql);
    return v;
}

static void expect_row(const struct fx *fx, const char *mu, const char *schedule_status,
                       const char *payment_status)
{
    const char *p[] = {mu, NULL};
    char *s = schedule_column(fx, "schedule_status", mu);
    char *ps = fx_sql(fx, "SELECT status FROM payments WHERE merchant_uid = $1", p);
    ck_assert_msg(s && strcmp(s, schedule_status) == 0, "%s schedule_status %s", mu, s);
    ck_assert_msg(ps && strcmp(ps, payment_status) == 0, "%s payments.status %s", mu, ps);
    free(s);
    free(ps);
}

static long long audit_count(const struct fx *fx, const char *action)
{
    const char *p[] = {action, NULL};
    return fx_sql_int(
        fx, "SELECT count(*) FROM audit_events WHERE action = $1 AND actor = 'api:shop'", p);
}

/* POST schedule of these items (JSON array text) for customer cu; returns the response. */
static void book(const struct fx *fx, const char *cu, const char *items,
                 struct http_client_response *r)
{
    char *body = xasprintf("{\"customer_uid\":\"%s\",\"schedules\":[%s]}", cu, items);
    fx_merchant(fx, NULL, "POST", "/subscribe/payments/schedule", FX_JSON, body, r);
    free(body);
}

/* book() and fx_expect_envelope(). */
static void expect_book(const struct fx *fx, const char *cu, const char *items, long status,
                        int code, const char *message)
{
    struct http_client_response r;
    book(fx, cu, items, &r);
    fx_expect_envelope(&r, status, code, message);
    http_client_response_release(&r);
}

static void book_ok(const struct fx *fx, const char *cu, const char *items, int count)
{
    struct http_client_response r;
    book(fx, cu, items, &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    ck_assert_int_eq(cJSON_GetArraySize(http_client_body_response(&r)), count);
    http_client_response_release(&r);
}

static char *item(const char *mu, long long at, long long amount)
{
    return xasprintf("{\"merchant_uid\":\"%s\",\"schedule_at\":%lld,\"amount\":%lld,"
                     "\"name\":\"월 구독\"}",
                     mu, at, amount);
}

START_TEST(schedule_books_executes_and_refreshes)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "kakaopay", 0, NULL);
    long long at = now_s() + DAY;
    char *a = item("sch-a", at, 9900), *b = item("sch-b", at + DAY, 12000);
    char *items = xasprintf("%s,%s", a, b);
    book(&fx, cu, items, &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    const cJSON *list = http_client_body_response(&r);
    ck_assert(cJSON_IsArray(list));
    ck_assert_int_eq(cJSON_GetArraySize(list), 2);
    const cJSON *s0 = cJSON_GetArrayItem(list, 0);
    ck_assert_str_eq(fx_str(s0, "merchant_uid"), "sch-a");
    ck_assert_str_eq(fx_str(s0, "customer_uid"), cu);
    ck_assert_str_eq(fx_str(s0, "schedule_status"), "scheduled");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(s0, "imp_uid")));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(s0, "payment_status")));
    ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(s0, "schedule_at")));
    ck_assert_int_eq((long long)cJSON_GetObjectItem(s0, "schedule_at")->valuedouble, at);
    ck_assert_int_eq(cJSON_GetObjectItem(s0, "executed_at")->valuedouble, 0);
    ck_assert_int_eq(cJSON_GetObjectItem(s0, "revoked_at")->valuedouble, 0);
    ck_assert_int_eq(cJSON_GetObjectItem(s0, "amount")->valuedouble, 9900);
    ck_assert_str_eq(fx_str(s0, "pg_provider"), "kakaopay");
    http_client_response_release(&r);

    expect_row(&fx, "sch-a", "scheduled", "scheduled");
    expect_row(&fx, "sch-b", "scheduled", "scheduled");
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments WHERE kind = 'scheduled' AND "
                                   "created_by = 'api:shop' AND imp_uid IS NULL"),
                     2);
    ck_assert_int_eq(audit_count(&fx, "schedule.requested"), 1);
    ck_assert_int_eq(audit_count(&fx, "schedule.scheduled"), 1);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/schedule", NULL), 1);

    /* the list, as iamport pages it */
    char *path = xasprintf("/subscribe/payments/schedule/customers/%s?from=%lld&to=%lld", cu,
                           now_s(), at + 3 * DAY);
    fx_merchant(&fx, NULL, "GET", path, NULL, NULL, &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    const cJSON *page = http_client_body_response(&r);
    ck_assert_int_eq(cJSON_GetObjectItem(page, "total")->valuedouble, 2);
    ck_assert_int_eq(cJSON_GetObjectItem(page, "previous")->valuedouble, 0);
    ck_assert_int_eq(cJSON_GetObjectItem(page, "next")->valuedouble, 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(page, "list")), 2);
    http_client_response_release(&r);
    free(path);

    /* the sandbox runs sch-a two days later; the lookup brings billkey's rows up to date */
    expect_call(&fx, "GET", "/subscribe/payments/schedule/sch-a", NULL, NULL, 200, 0, NULL);
    ck_assert_int_eq(audit_count(&fx, "schedule.refreshed"), 0);
    cJSON_Delete(
        sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/clock", "{\"advance_seconds\":129600}"));
    cJSON *ran = sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/schedules/execute", NULL);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(ran, "executed")), 1);
    cJSON_Delete(ran);
    fx_merchant(&fx, NULL, "GET", "/subscribe/payments/schedule/sch-a", NULL, NULL, &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    const cJSON *s = http_client_body_response(&r);
    ck_assert_str_eq(fx_str(s, "schedule_status"), "executed");
    ck_assert_str_eq(fx_str(s, "payment_status"), "paid");
    ck_assert_ptr_nonnull(fx_str(s, "imp_uid"));
    ck_assert_int_gt(cJSON_GetObjectItem(s, "executed_at")->valuedouble, 0);
    char *imp_uid = xstrdup(fx_str(s, "imp_uid"));
    http_client_response_release(&r);
    expect_row(&fx, "sch-a", "executed", "paid");
    char *row_imp = schedule_column(&fx, "imp_uid", "sch-a");
    char *pay = schedule_column(&fx, "payment_status", "sch-a");
    char *executed = schedule_column(&fx, "executed_at", "sch-a");
    ck_assert_str_eq(row_imp, imp_uid);
    ck_assert_str_eq(pay, "paid");
    ck_assert_str_ne(executed, "0");
    const char *p[] = {"sch-a", NULL};
    char *pay_imp = fx_sql(&fx, "SELECT imp_uid FROM payments WHERE merchant_uid = $1", p);
    ck_assert_str_eq(pay_imp, imp_uid);
    ck_assert_int_eq(audit_count(&fx, "schedule.refreshed"), 1);
    expect_row(&fx, "sch-b", "scheduled", "scheduled");

    /* a merchant_uid nobody booked: iamport's 404 */
    expect_call(&fx, "GET", "/subscribe/payments/schedule/nobody", NULL, NULL, 404, -1,
                SCHEDULE_MSG_NOT_FOUND);

    free(pay_imp);
    free(row_imp);
    free(pay);
    free(executed);
    free(imp_uid);
    free(items);
    free(a);
    free(b);
    free(cu);
    fx_stop(&fx);
}
END_TEST

/* A body that billkey refuses itself: code 1 with this message (or prefix), nothing sent.
 * "@CU" stands for the customer_uid, "@AT" for a future schedule_at. */
struct bad_case {
    const char *body;
    const char *message;
    int prefix; /* message is a prefix */
};

#define ITEM_AT "{\"merchant_uid\":\"m1\",\"schedule_at\":@AT"

static const struct bad_case bad_cases[] = {
    {"{\"schedules\":[]}", "파라미터 누락: customer_uid", 0},
    {"{\"customer_uid\":\"cu_unknown_1\",\"schedules\":[" ITEM_AT ",\"amount\":100}]}",
     SCHEDULE_MSG_NO_CUSTOMER, 0},
    {"{\"customer_uid\":\"@CU\",\"card_number\":\"4092-1234-5678-1234\",\"expiry\":\"2030-12\","
     "\"schedules\":[" ITEM_AT ",\"amount\":100}]}",
     "card_number: billkey는 카드 정보를 받지 않습니다.", 1},
    {"{\"customer_uid\":\"@CU\"}", "파라미터 누락: schedules", 0},
    {"{\"customer_uid\":\"@CU\",\"schedules\":[" ITEM_AT "000,\"amount\":100}]}",
     "schedules[0][schedule_at]: UNIX 시각은 초 단위로 보내세요.", 1},
    {"{\"customer_uid\":\"@CU\",\"schedules\":[{\"merchant_uid\":\"m1\",\"schedule_at\":1000,"
     "\"amount\":100}]}",
     "schedules[0][schedule_at] 은 현재 시각(", 1},
    {"{\"customer_uid\":\"@CU\",\"schedules\":[" ITEM_AT ",\"amount\":100}," ITEM_AT
     ",\"amount\":100}]}",
     SCHEDULE_MSG_DUPLICATE, 0},
    {"{\"customer_uid\":\"@CU\",\"schedules\":[" ITEM_AT ",\"amount\":0}]}",
     "schedules[0][amount]: 1 이상", 1},
    {"{\"customer_uid\":\"@CU\",\"schedules\":[" ITEM_AT "}]}",
     "파라미터 누락: schedules[0][amount]", 0},
    {"{\"customer_uid\":\"@CU\",\"schedules\":[{\"schedule_at\":@AT,\"amount\":10}]}",
     "파라미터 누락: schedules[0][merchant_uid]", 0},
    {"{\"customer_uid\":\"@CU\",\"schedules\":[" ITEM_AT
     ",\"amount\":10,\"extra\":{\"naverUseCfm\":\"20200101\"}}]}",
     "schedules[0][extra][naverUseCfm]: yyyyMMdd", 1},
};

/* tmpl with every "@CU" and "@AT" replaced. Caller frees. */
static char *fill(const char *tmpl, const char *cu, long long at)
{
    char *out = xstrdup(tmpl);
    for (char *p; (p = strchr(out, '@'));) {
        char *next = xasprintf("%.*s%s%s", (int)(p - out), out, "%s", p + 3);
        char *value = strncmp(p, "@CU", 3) == 0 ? xstrdup(cu) : xasprintf("%lld", at);
        char *done = xasprintf(next, value);
        free(next);
        free(value);
        free(out);
        out = done;
    }
    return out;
}

START_TEST(bad_bodies_are_refused_before_iamport)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "kakaopay", 0, NULL);
    long long at = now_s() + DAY;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        char *body = fill(bad_cases[i].body, cu, at);
        fx_merchant(&fx, NULL, "POST", "/subscribe/payments/schedule", FX_JSON, body, &r);
        fx_expect_envelope(&r, 200, 1, bad_cases[i].prefix ? NULL : bad_cases[i].message);
        const char *m = http_client_message(&r);
        ck_assert_msg(strncmp(m, bad_cases[i].message, strlen(bad_cases[i].message)) == 0,
                      "case %zu: %s", i, m);
        http_client_response_release(&r);
        free(body);
    }
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/schedule", NULL), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM schedules"), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments WHERE kind = 'scheduled'"), 0);
    char *log = billkeyd_log(&fx.billkeyd);
    ck_assert_msg(strstr(log, "4092-1234-5678-1234") == NULL, "card number logged");
    free(log);

    /* a deleted key is not a customer billkey may book */
    const char *p[] = {cu, NULL};
    free(fx_sql(&fx,
                "UPDATE billing_keys SET status = 'deleted' WHERE customer_uid = $1 "
                "RETURNING customer_uid",
                p));
    char *one = item("m1", at, 100);
    expect_book(&fx, cu, one, 200, 1, SCHEDULE_MSG_NO_CUSTOMER);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/schedule", NULL), 0);
    free(one);
    free(cu);
    fx_stop(&fx);
}
END_TEST

START_TEST(used_merchant_uids_are_refused_all_or_nothing)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    char *reg_mu = NULL;
    char *cu = fx_active_key(&fx, "payco", 1, &reg_mu); /* billkey charged it once already */
    const char *p[] = {reg_mu, NULL};
    char *first_mu = fx_sql(&fx,
                            "SELECT merchant_uid FROM payments WHERE kind = 'first_charge' AND "
                            "registration_merchant_uid = $1",
                            p);
    ck_assert_ptr_nonnull(first_mu);
    long long at = now_s() + DAY;
    char *a = item("dup-a", at, 100);
    book_ok(&fx, cu, a, 1);
    const char *used[] = {"dup-a", first_mu, reg_mu};
    for (size_t i = 0; i < 3; i++) {
        char *fresh = item("dup-fresh", at, 100), *old = item(used[i], at + 60, 100);
        char *items = xasprintf("%s,%s", fresh, old);
        book(&fx, cu, items, &r);
        fx_expect_envelope(&r, 200, 1, SCHEDULE_MSG_DUPLICATE);
        http_client_response_release(&r);
        free(items);
        free(fresh);
        free(old);
    }
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/schedule", NULL), 1);
    const char *fresh_p[] = {"dup-fresh", NULL};
    ck_assert_int_eq(
        fx_sql_int(&fx, "SELECT count(*) FROM payments WHERE merchant_uid = $1", fresh_p), 0);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM schedules"), 1);

    /* iamport's own refusal frees the merchant_uids: nothing was stored there */
    fx_fault(&fx, "{\"path\":\"/subscribe/payments/schedule\",\"kind\":\"http500\"}");
    char *b = item("dup-b", at, 100);
    book(&fx, cu, b, &r);
    /* a 500 may have been processed: looked up (404), so the outcome stays unknown */
    fx_expect_envelope(&r, 200, -1, SCHEDULE_MSG_UNKNOWN);
    http_client_response_release(&r);
    expect_row(&fx, "dup-b", "unknown", "unknown");
    ck_assert_int_eq(fx_sandbox_requests(&fx, "GET", "/subscribe/payments/schedule/dup-b", NULL),
                     1);
    /* the retry with the same merchant_uid looks it up first, then books it */
    book_ok(&fx, cu, b, 1);
    expect_row(&fx, "dup-b", "scheduled", "scheduled");
    ck_assert_int_eq(fx_sandbox_requests(&fx, "GET", "/subscribe/payments/schedule/dup-b", NULL),
                     2);
    ck_assert_int_eq(audit_count(&fx, "schedule.unknown"), 1);

    free(b);
    free(a);
    free(first_mu);
    free(reg_mu);
    free(cu);
    fx_stop(&fx);
}
END_TEST

START_TEST(iamport_refusal_passes_through_and_frees_the_merchant_uid)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "kicc", 0, NULL);
    long long at = now_s() + DAY;
    /* the sandbox already holds this merchant_uid (booked straight at it) */
    char *token = sandbox_token(&fx.sandbox);
    char *direct = xasprintf("{\"customer_uid\":\"%s\",\"schedules\":[{\"merchant_uid\":"
                             "\"taken\",\"schedule_at\":%lld,\"amount\":100}]}",
                             cu, at);
    ck_assert_int_eq(sandbox_call_auth(&fx.sandbox, "POST", "/subscribe/payments/schedule", token,
                                       direct, NULL, &r),
                     200);
    http_client_response_release(&r);
    char *a = item("taken", at, 100);
    expect_book(&fx, cu, a, 200, 1, SCHEDULE_MSG_DUPLICATE);
    expect_row(&fx, "taken", "refused", "not_sent");
    ck_assert_int_eq(audit_count(&fx, "schedule.refused"), 1);
    /* billkey does not hold the merchant_uid against the merchant: iamport decides again */
    expect_book(&fx, cu, a, 200, 1, SCHEDULE_MSG_DUPLICATE);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/schedule", NULL), 3);
    free(a);
    free(direct);
    free(token);
    free(cu);
    fx_stop(&fx);
}
END_TEST

START_TEST(naverpay_form_body_gets_use_dates)
{
    struct fx fx;
    struct http_client_response r;
    const char *env[] = {"NAVERPAY_USE_CFM=1", NULL}; /* the contract requires naverUseCfm */
    fx_start(&fx, env);
    char *cu = fx_active_key(&fx, "naverpay", 0, NULL);
    long long at = now_s() + 3 * DAY;
    char cfm[9], day[9];
    struct clock c = clock_fixed((at + DAY) * 1000);
    kst_date(&c, cfm);
    c = clock_fixed(at * 1000);
    kst_date(&c, day);
    char *form = xasprintf("customer_uid=%s&schedules[0][merchant_uid]=np-1&schedules[0]"
                           "[schedule_at]=%lld&schedules[0][amount]=10000&schedules[0][extra]"
                           "[naverUseCfm]=%s&schedules[1][merchant_uid]=np-2&schedules[1]"
                           "[schedule_at]=%lld&schedules[1][amount]=10000",
                           cu, at, cfm, at);
    fx_merchant(&fx, NULL, "POST", "/subscribe/payments/schedule", FX_FORM, form, &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    ck_assert_int_eq(cJSON_GetArraySize(http_client_body_response(&r)), 2);
    http_client_response_release(&r);
    cJSON *sent = fx_sandbox_last_body(&fx, "/subscribe/payments/schedule");
    ck_assert_ptr_nonnull(sent);
    const cJSON *items = cJSON_GetObjectItem(sent, "schedules");
    const cJSON *e0 = cJSON_GetObjectItem(cJSON_GetArrayItem(items, 0), "extra");
    const cJSON *e1 = cJSON_GetObjectItem(cJSON_GetArrayItem(items, 1), "extra");
    ck_assert_str_eq(fx_str(e0, "naverUseCfm"), cfm);
    ck_assert_str_eq(fx_str(e1, "naverUseCfm"), day);
    cJSON_Delete(sent);
    expect_row(&fx, "np-2", "scheduled", "scheduled");

    /* a use date before the schedule's Korean date is refused, naming the field */
    char *bad = xasprintf("customer_uid=%s&schedules[0][merchant_uid]=np-3&schedules[0]"
                          "[schedule_at]=%lld&schedules[0][amount]=10000&schedules[0][extra]"
                          "[naverUseCfm]=20200101",
                          cu, at);
    fx_merchant(&fx, NULL, "POST", "/subscribe/payments/schedule", FX_FORM, bad, &r);
    fx_expect_envelope(&r, 200, 1, NULL);
    ck_assert_ptr_nonnull(strstr(http_client_message(&r), "schedules[0][extra][naverUseCfm]"));
    http_client_response_release(&r);
    free(bad);
    free(form);
    free(cu);
    fx_stop(&fx);
}
END_TEST

START_TEST(unschedule_by_merchant_uid_and_customer)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "kakaopay", 0, NULL);
    long long at = now_s() + DAY;
    char *i1 = item("u-1", at, 100), *i2 = item("u-2", at, 100), *i3 = item("u-3", at, 100);
    char *i4 = item("u-4", at, 100);
    char *items = xasprintf("%s,%s,%s,%s", i1, i2, i3, i4);
    book_ok(&fx, cu, items, 4);

    fx_merchant(&fx, NULL, "POST", "/subscribe/payments/unschedule", FX_FORM, "merchant_uid=u-1",
                &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    const cJSON *one = cJSON_GetArrayItem(http_client_body_response(&r), 0);
    ck_assert_str_eq(fx_str(one, "schedule_status"), "revoked");
    ck_assert_int_gt(cJSON_GetObjectItem(one, "revoked_at")->valuedouble, 0);
    http_client_response_release(&r);
    expect_row(&fx, "u-1", "revoked", "revoked");
    char *revoked_at = schedule_column(&fx, "revoked_at", "u-1");
    ck_assert_str_ne(revoked_at, "0");
    free(revoked_at);

    fx_merchant(&fx, NULL, "POST", "/subscribe/payments/unschedule", FX_JSON,
                "{\"merchant_uid\":[\"u-2\"]}", &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    ck_assert_int_eq(cJSON_GetArraySize(http_client_body_response(&r)), 1);
    http_client_response_release(&r);
    expect_row(&fx, "u-2", "revoked", "revoked");

    expect_call(&fx, "POST", "/subscribe/payments/unschedule", NULL, "merchant_uid[]=u-3", 200, 0,
                NULL);
    expect_row(&fx, "u-3", "revoked", "revoked");
    expect_row(&fx, "u-4", "scheduled", "scheduled");

    char *body = xasprintf("{\"customer_uid\":\"%s\"}", cu);
    fx_merchant(&fx, NULL, "POST", "/subscribe/payments/unschedule", FX_JSON, body, &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    ck_assert_int_eq(cJSON_GetArraySize(http_client_body_response(&r)), 1);
    http_client_response_release(&r);
    expect_row(&fx, "u-4", "revoked", "revoked");
    ck_assert_int_eq(audit_count(&fx, "schedule.revoked"), 4);

    expect_call(&fx, "POST", "/subscribe/payments/unschedule", body, NULL, 200, 1,
                NOTHING_TO_REVOKE);
    expect_call(&fx, "POST", "/subscribe/payments/unschedule", "{}", NULL, 200, 1,
                "파라미터 누락: customer_uid");
    expect_call(&fx, "POST", "/subscribe/payments/unschedule", "{\"merchant_uid\":[1]}", NULL, 200,
                1, "merchant_uid 는 문자열 또는 문자열 배열이어야 합니다.");
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/unschedule", NULL), 5);

    free(body);
    free(items);
    free(i1);
    free(i2);
    free(i3);
    free(i4);
    free(cu);
    fx_stop(&fx);
}
END_TEST

START_TEST(timeout_is_looked_up_not_resent)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "kakaopay", 0, NULL);
    long long at = now_s() + DAY;
    fx_fault(&fx, "{\"method\":\"POST\",\"path\":\"/subscribe/payments/schedule\","
                  "\"kind\":\"drop\",\"after_processing\":true}");
    char *a = item("to-1", at, 100), *b = item("to-2", at, 200);
    char *items = xasprintf("%s,%s", a, b);
    book(&fx, cu, items, &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    ck_assert_int_eq(cJSON_GetArraySize(http_client_body_response(&r)), 2);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/schedule", NULL), 1);
    ck_assert_int_eq(fx_sandbox_requests(&fx, "GET", "/subscribe/payments/schedule/to-1", NULL), 1);
    expect_row(&fx, "to-1", "scheduled", "scheduled");
    expect_row(&fx, "to-2", "scheduled", "scheduled");
    char *path = xasprintf("/subscribe/payments/schedule/customers/%s?from=%lld&to=%lld", cu,
                           now_s(), at + DAY);
    fx_merchant(&fx, NULL, "GET", path, NULL, NULL, &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    ck_assert_int_eq(cJSON_GetObjectItem(http_client_body_response(&r), "total")->valuedouble, 2);
    http_client_response_release(&r);
    free(path);
    free(items);
    free(a);
    free(b);
    free(cu);
    fx_stop(&fx);
}
END_TEST

struct list_case {
    const char *query;
    const char *message;
};

static const struct list_case list_cases[] = {
    {"?to=2000000000", "파라미터 누락: from"},
    {"?from=1900000000", "파라미터 누락: to"},
    {"?from=abc&to=2000000000", "from 는 0 이상 253402300799 이하의 정수여야 합니다."},
    {"?from=1900000000&to=1900000000.5", "to 는 0 이상 253402300799 이하의 정수여야 합니다."},
    {"?from=1900000000&to=1900086400&page=0", "page 는 1 이상 1000000 이하의 정수여야 합니다."},
    {"?from=1900000000&to=1900086400&schedule-status=paid", "지원되지 않는 상태값입니다."},
    {"?from=1900086400&to=1900000000",
     "조회 기간이 올바르지 않습니다: from < to 이고 최대 3개월(7948800초)이어야 합니다."},
};

START_TEST(list_query_is_checked_first)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    for (size_t i = 0; i < sizeof list_cases / sizeof list_cases[0]; i++) {
        char *path =
            xasprintf("/subscribe/payments/schedule/customers/cu_x%s", list_cases[i].query);
        fx_merchant(&fx, NULL, "GET", path, NULL, NULL, &r);
        fx_expect_envelope(&r, 400, -1, list_cases[i].message);
        http_client_response_release(&r);
        free(path);
    }
    ck_assert_int_eq(
        fx_sandbox_requests(&fx, "GET", "/subscribe/payments/schedule/customers/cu_x", NULL), 0);
    /* a valid query for a customer without schedules: an empty page */
    fx_merchant(&fx, NULL, "GET",
                "/subscribe/customers/cu_x/schedules?from=1900000000&to=1900086400", NULL, NULL,
                &r);
    fx_expect_envelope(&r, 200, 0, NULL);
    const cJSON *page = http_client_body_response(&r);
    ck_assert_int_eq(cJSON_GetObjectItem(page, "total")->valuedouble, 0);
    ck_assert(cJSON_IsArray(cJSON_GetObjectItem(page, "list")));
    http_client_response_release(&r);
    /* no key, no answer */
    char *url = fx_url(&fx, NULL, "/subscribe/payments/schedule/x");
    http_client_get(url, NULL, &r);
    fx_expect_envelope(&r, 401, -1, "Unauthorized");
    http_client_response_release(&r);
    free(url);
    fx_stop(&fx);
}
END_TEST

/* "Outcome unknown" under an Idempotency-Key gives the key up: the retry with the same key and
 * body runs again (looked up, then booked once); that answer is stored and replayed. */
START_TEST(an_unknown_schedule_is_not_kept_under_an_idempotency_key)
{
    struct fx fx;
    struct http_client_response r, booked;
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "payco", 0, NULL);
    char *it = item("idem-s", now_s() + DAY, 100);
    char *body = xasprintf("{\"customer_uid\":\"%s\",\"schedules\":[%s]}", cu, it);
    fx_fault(&fx, "{\"path\":\"/subscribe/payments/schedule\",\"kind\":\"http500\"}");
    ck_assert_int_eq(
        fx_merchant_keyed(&fx, NULL, "/subscribe/payments/schedule", "idem-schedule", body, &r), 0);
    fx_expect_envelope(&r, 200, -1, SCHEDULE_MSG_UNKNOWN);
    http_client_response_release(&r);
    expect_row(&fx, "idem-s", "unknown", "unknown");
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM idempotency_keys"), 0);

    ck_assert_int_eq(fx_merchant_keyed(&fx, NULL, "/subscribe/payments/schedule", "idem-schedule",
                                       body, &booked),
                     0);
    fx_expect_envelope(&booked, 200, 0, NULL);
    expect_row(&fx, "idem-s", "scheduled", "scheduled");
    ck_assert_int_eq(fx_sandbox_requests(&fx, "GET", "/subscribe/payments/schedule/idem-s", NULL),
                     2);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM idempotency_keys WHERE http_status = 200"),
                     1);
    ck_assert_int_eq(
        fx_merchant_keyed(&fx, NULL, "/subscribe/payments/schedule", "idem-schedule", body, &r), 1);
    ck_assert_str_eq(r.body, booked.body);
    http_client_response_release(&r);
    http_client_response_release(&booked);
    ck_assert_int_eq(audit_count(&fx, "schedule.scheduled"), 1);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM schedules"), 1);
    free(body);
    free(it);
    free(cu);
    fx_stop(&fx);
}
END_TEST

struct slow_lookup {
    const struct fx *fx;
    char *path;
};

/* GET path on billkeyd with the merchant key: holds the one iamport slot while the sandbox is slow. */
static void *slow_lookup_run(void *arg)
{
    struct slow_lookup *l = arg;
    struct http_client_response r;
    fx_merchant(l->fx, NULL, "GET", l->path, NULL, NULL, &r);
    http_client_response_release(&r);
    return NULL;
}

/* The never-sent path: a booking refused before it reaches iamport (IAMPORT_MAX_CONCURRENT is
 * taken) answers 503 with Retry-After, leaves its rows not_sent with nothing at iamport, and the
 * merchant's retry with the same merchant_uid books it once. */
START_TEST(a_booking_never_sent_is_not_sent_and_books_on_retry)
{
    const char *env[] = {"IAMPORT_MAX_CONCURRENT=1", NULL};
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, env);
    char *cu = fx_active_key(&fx, "payco", 0, NULL);
    char *it = item("never-sent", now_s() + DAY, 100);
    fx_clear_requests(&fx);

    fx_fault(&fx, "{\"method\":\"GET\",\"path\":\"/payments/*\",\"kind\":\"latency\","
                  "\"delay_ms\":3000}");
    struct slow_lookup l = {&fx, xstrdup("/payments/imp_000000000001")};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, slow_lookup_run, &l), 0);
    /* the sandbox logs a request only once it has answered (3 s from now), but takes its fault
     * when it arrives: the fault gone means the lookup holds the iamport slot now */
    for (int i = 0; i < 3000 && fx_faults_pending(&fx) > 0; i++)
        testlib_sleep_ms(10);
    ck_assert_int_eq(fx_faults_pending(&fx), 0);
    book(&fx, cu, it, &r);
    ck_assert_int_eq(r.status, 503);
    char *retry_after = http_client_header(&r, "Retry-After");
    ck_assert_ptr_nonnull(retry_after);
    free(retry_after);
    ck_assert_int_eq(cJSON_GetObjectItem(r.json, "code")->valueint, -1);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(r.json, "response")));
    http_client_response_release(&r);
    expect_row(&fx, "never-sent", "not_sent", "not_sent");
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/schedule", NULL), 0);
    pthread_join(t, NULL);

    book_ok(&fx, cu, it, 1); /* the slot is free again: the same merchant_uid books, once */
    expect_row(&fx, "never-sent", "scheduled", "scheduled");
    ck_assert_int_eq(fx_sandbox_requests(&fx, "POST", "/subscribe/payments/schedule", NULL), 1);
    free(l.path);
    free(it);
    free(cu);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_merchant_schedule(void)
{
    Suite *s = suite_create("merchant_schedule");
    TCase *tc = tcase_create("schedule");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, schedule_books_executes_and_refreshes);
    tcase_add_test(tc, bad_bodies_are_refused_before_iamport);
    tcase_add_test(tc, used_merchant_uids_are_refused_all_or_nothing);
    tcase_add_test(tc, iamport_refusal_passes_through_and_frees_the_merchant_uid);
    tcase_add_test(tc, naverpay_form_body_gets_use_dates);
    tcase_add_test(tc, unschedule_by_merchant_uid_and_customer);
    tcase_add_test(tc, timeout_is_looked_up_not_resent);
    tcase_add_test(tc, list_query_is_checked_first);
    tcase_add_test(tc, an_unknown_schedule_is_not_kept_under_an_idempotency_key);
    tcase_add_test(tc, a_booking_never_sent_is_not_sent_and_books_on_retry);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_merchant_schedule)
