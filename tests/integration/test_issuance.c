/* Billing-key issuance end to end: every PG × {callback, redirect landing} × {charge_now, not}. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/testlib.h"

#define PRICE 9900
#define PLAN_NAME "베이직 월 구독"
#define CARD_NAME "신한카드"
#define CARD_NUMBER "4092-12**-****-1234"

static const char *const pgs[] = {"payco", "kakaopay", "kicc", "chai", "naverpay"};

/* One combination of the matrix: loop index i → pg i/4, landing (i/2)%2, charge_now i%2. */
struct combo {
    const char *pg;
    int landing; /* 1: verify through GET /payments/complete/mobile, 0: POST /payments/complete */
    int charge_now;
};

static struct combo combo_at(int i)
{
    struct combo c = {pgs[i / 4], (i / 2) % 2, i % 2};
    return c;
}

static int is(const char *pg, const char *name)
{
    return strcmp(pg, name) == 0;
}

/* "<prefix>" + 24 lower-case hex digits. */
static int is_id(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return s && strncmp(s, prefix, n) == 0 && strlen(s) == n + 24 &&
           strspn(s + n, "0123456789abcdef") == 24;
}

/* The exact request_pay text billkey must answer for this combination. */
/* The window's amount: KakaoPay (charged) and CHAI (shown, then charged with the key, as its
 * guide says) the price only with charge_now; the others always show the price. */
static long window_amount(const struct combo *c)
{
    return is(c->pg, "kakaopay") || is(c->pg, "chai") ? (c->charge_now ? PRICE : 0) : PRICE;
}

static char *expected_request_pay(const struct fx *fx, const struct combo *c, const char *mu,
                                  const char *cu)
{
    const char *pay_method = is(c->pg, "chai") ? "trans" : "card";
    long window = window_amount(c);
    char *naver = is(c->pg, "naverpay")
                      ? xasprintf(",\"naverPopupMode\":%s,\"naverProductCode\":\"billkey\"",
                                  c->landing ? "false" : "true")
                      : xstrdup("");
    char *text = xasprintf("{\"pg\":\"%s\",\"pay_method\":\"%s\",\"merchant_uid\":\"%s\","
                           "\"customer_uid\":\"%s\",\"name\":\"" PLAN_NAME "\",\"amount\":%ld,"
                           "\"buyer_name\":\"홍길동\",\"buyer_email\":\"hong@example.com\","
                           "\"buyer_tel\":\"010-1234-5678\","
                           "\"m_redirect_url\":\"%s/payments/complete/mobile\"%s}",
                           c->pg, pay_method, mu, cu, window, fx->public_base_url, naver);
    free(naver);
    return text;
}

/* Does the sandbox window redirect for this combination (pg-matrix.md)? */
static int window_redirects(const struct combo *c)
{
    return is(c->pg, "chai") || (c->landing && (is(c->pg, "kicc") || is(c->pg, "naverpay")));
}

/* The first payment's merchant_uid as billkey reports it ("" when none). */
static void check_active_json(const cJSON *j, const char *mu, const char *cu, const char *cust,
                              const struct combo *c, char *first_mu, size_t cap)
{
    ck_assert_str_eq(fx_str(j, "status"), "active");
    ck_assert_str_eq(fx_str(j, "merchant_uid"), mu);
    ck_assert_str_eq(fx_str(j, "customer_uid"), cu);
    ck_assert_str_eq(fx_str(j, "customer_id"), cust);
    ck_assert_str_eq(fx_str(j, "pg"), c->pg);
    ck_assert_str_eq(fx_str(j, "pg_provider"), c->pg);
    ck_assert_str_eq(fx_str(j, "card_name"), CARD_NAME);
    ck_assert_str_eq(fx_str(j, "card_number"), CARD_NUMBER);
    const cJSON *fp = cJSON_GetObjectItemCaseSensitive(j, "first_payment");
    first_mu[0] = '\0';
    if (!c->charge_now) {
        ck_assert(cJSON_IsNull(fp));
        return;
    }
    ck_assert(cJSON_IsObject(fp));
    if (is(c->pg, "kakaopay"))
        ck_assert_str_eq(fx_str(fp, "merchant_uid"), mu);
    else
        ck_assert_msg(is_id(fx_str(fp, "merchant_uid"), "bkp_"), "first charge merchant_uid %s",
                      fx_str(fp, "merchant_uid"));
    ck_assert_int_eq((long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(fp, "amount")),
                     PRICE);
    ck_assert_str_eq(fx_str(fp, "status"), "paid");
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(fp, "fail_reason")));
    snprintf(first_mu, cap, "%s", fx_str(fp, "merchant_uid"));
}

static void check_landing_page(const struct http_client_response *r, const char *mu,
                               const struct combo *c)
{
    char expect[160];
    ck_assert_msg(r->status == 200, "landing -> %ld: %s", r->status, r->body);
    ck_assert_str_eq(r->content_type, "text/html; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(r->body, "data-status=\"active\""));
    snprintf(expect, sizeof expect, "<dd id=\"merchant-uid\">%s</dd>", mu);
    ck_assert_ptr_nonnull(strstr(r->body, expect));
    ck_assert_ptr_nonnull(strstr(r->body, "<dd id=\"card-name\">" CARD_NAME "</dd>"));
    ck_assert_ptr_nonnull(strstr(r->body, "<dd id=\"card-number\">" CARD_NUMBER "</dd>"));
    ck_assert_ptr_nonnull(strstr(r->body, "<a id=\"back\" href=\"/static/checkout.html\">"));
    if (c->charge_now)
        ck_assert_ptr_nonnull(strstr(r->body, "<dd id=\"first-payment-status\">paid</dd>"));
    else
        ck_assert_ptr_null(strstr(r->body, "first-payment-status"));
    char *csp = http_client_header(r, "Content-Security-Policy");
    ck_assert_ptr_nonnull(csp);
    ck_assert_ptr_nonnull(strstr(csp, "default-src 'none'"));
    free(csp);
}

/* Verifies once through the combination's path; returns the first payment's merchant_uid. */
static void verify_once(const struct fx *fx, const struct combo *c, const struct fx_window *w,
                        const char *mu, const char *cu, const char *cust, char *first_mu,
                        size_t cap)
{
    struct http_client_response r;
    if (c->landing) {
        if (w->redirected) {
            http_client_get(w->location, NULL, &r);
        } else {
            fx_landing(fx, w->imp_uid, mu, &r);
        }
        check_landing_page(&r, mu, c);
        http_client_response_release(&r);
        /* the landing reports what the callback would: read it back through the API */
        fx_complete(fx, NULL, w->imp_uid, mu, &r);
    } else {
        fx_complete(fx, NULL, w->imp_uid, mu, &r);
    }
    ck_assert_msg(r.status == 200, "complete -> %ld: %s", r.status, r.body);
    check_active_json(r.json, mu, cu, cust, c, first_mu, cap);
    http_client_response_release(&r);
}

static void check_database(const struct fx *fx, const struct combo *c, const char *mu,
                           const char *cu, const char *cust, const char *imp_uid,
                           const char *first_mu)
{
    const char *p_mu[] = {mu, NULL};
    const char *p_cust[] = {cust, NULL};
    char *s;

    s = fx_sql(fx,
               "SELECT concat_ws('|', status, imp_uid, coalesce(fail_reason, '-'), customer_uid, "
               "customer_id, pg_provider, pg, pay_method, amount, window_amount, charge_now, "
               "created_by, name, buyer_name, buyer_email, buyer_tel) "
               "FROM registrations WHERE merchant_uid = $1",
               p_mu);
    char *want =
        xasprintf("active|%s|-|%s|%s|%s|%s|%s|%d|%d|%s|shop|" PLAN_NAME "|홍길동|hong@example.com|"
                  "010-1234-5678",
                  imp_uid, cu, cust, c->pg, c->pg, is(c->pg, "chai") ? "trans" : "card", PRICE,
                  (int)window_amount(c), c->charge_now ? "t" : "f");
    ck_assert_str_eq(s, want);
    free(s);
    free(want);

    ck_assert_int_eq(
        fx_sql_int(fx, "SELECT count(*) FROM billing_keys WHERE customer_id = $1", p_cust), 1);
    s = fx_sql(fx,
               "SELECT concat_ws('|', customer_uid, pg_provider, pg, card_name, card_number, "
               "status) FROM billing_keys WHERE customer_id = $1",
               p_cust);
    want = xasprintf("%s|%s|%s|" CARD_NAME "|" CARD_NUMBER "|active", cu, c->pg, c->pg);
    ck_assert_str_eq(s, want);
    free(s);
    free(want);

    ck_assert_int_eq(fx_sql_int(fx,
                                "SELECT count(*) FROM payments "
                                "WHERE registration_merchant_uid = $1",
                                p_mu),
                     c->charge_now ? 1 : 0);
    if (c->charge_now) {
        s = fx_sql(fx,
                   "SELECT concat_ws('|', merchant_uid, customer_uid, kind, amount, status, "
                   "imp_uid IS NOT NULL, iamport->>'status', coalesce(fail_reason, '-')) "
                   "FROM payments WHERE registration_merchant_uid = $1",
                   p_mu);
        want = xasprintf("%s|%s|%s|%d|paid|t|paid|-", first_mu, cu,
                         is(c->pg, "kakaopay") ? "issue" : "first_charge", PRICE);
        ck_assert_str_eq(s, want);
        free(s);
        free(want);
    }

    s = fx_sql(fx, "SELECT string_agg(actor || ':' || action, ',' ORDER BY id) FROM audit_events",
               NULL);
    const char *actor = c->landing ? "landing" : "callback";
    if (!c->charge_now)
        want = xasprintf("api:shop:registration.created,%s:registration.active", actor);
    else if (is(c->pg, "kakaopay"))
        want = xasprintf("api:shop:registration.created,api:shop:payment.requested,"
                         "%s:payment.paid,%s:registration.active",
                         actor, actor);
    else
        want = xasprintf("api:shop:registration.created,%s:registration.active,"
                         "%s:payment.requested,%s:payment.paid",
                         actor, actor, actor);
    ck_assert_str_eq(s, want);
    free(s);
    free(want);
    s = fx_sql(fx,
               "SELECT count(*) FROM audit_events WHERE detail::text ~ '[0-9]{4}-[0-9]{4}' "
               "OR detail::text LIKE '%4092-12%'",
               NULL);
    ck_assert_str_eq(s, "0"); /* no card numbers, not even masked ones, in the audit trail */
    free(s);
}

static void check_ledger(const struct fx *fx, const struct combo *c, const char *first_mu)
{
    struct fx_ledger l;
    fx_ledger(fx, c->charge_now ? first_mu : NULL, &l);
    if (c->charge_now) {
        ck_assert_int_eq(l.merchant_uids, 1);
        ck_assert_int_eq(l.count, 1);
        ck_assert_int_eq(l.amount, PRICE);
        ck_assert_str_eq(l.status, "paid");
        ck_assert_int_eq(l.total_paid, PRICE);
    } else {
        ck_assert_int_eq(l.merchant_uids, 0);
        ck_assert_int_eq(l.total_paid, 0);
    }
    fx_ledger_release(&l);
}

static void check_customer_view(const struct fx *fx, const struct combo *c, const char *cu,
                                const char *cust, const char *mu, const char *first_mu)
{
    struct http_client_response r;
    char *path = xasprintf("/api/customers/%s", cust);
    char *url = fx_url(fx, NULL, path);
    http_client_get(url, FX_API_KEY, &r);
    ck_assert_msg(r.status == 200, "customer view -> %ld: %s", r.status, r.body);
    ck_assert_str_eq(fx_str(r.json, "customer_id"), cust);
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(r.json, "billing_keys");
    ck_assert_int_eq(cJSON_GetArraySize(keys), 1);
    const cJSON *k = cJSON_GetArrayItem(keys, 0);
    ck_assert_str_eq(fx_str(k, "customer_uid"), cu);
    ck_assert_str_eq(fx_str(k, "pg"), c->pg);
    ck_assert_str_eq(fx_str(k, "card_name"), CARD_NAME);
    ck_assert_str_eq(fx_str(k, "card_number"), CARD_NUMBER);
    ck_assert_str_eq(fx_str(k, "status"), "active");
    const cJSON *reg = cJSON_GetObjectItemCaseSensitive(k, "registration");
    ck_assert_str_eq(fx_str(reg, "merchant_uid"), mu);
    ck_assert_str_eq(fx_str(reg, "status"), "active");
    const cJSON *fp = cJSON_GetObjectItemCaseSensitive(k, "first_payment");
    if (c->charge_now) {
        ck_assert_str_eq(fx_str(fp, "merchant_uid"), first_mu);
        ck_assert_str_eq(fx_str(fp, "status"), "paid");
        ck_assert_ptr_nonnull(fx_str(fp, "imp_uid"));
    } else {
        ck_assert(cJSON_IsNull(fp));
    }
    http_client_response_release(&r);
    free(url);
    free(path);
}

START_TEST(issuance_matrix)
{
    struct combo c = combo_at(_i);
    struct fx fx;
    struct fx_window w;
    char first_mu[64], again_mu[64];
    fx_start(&fx, NULL);

    char *cust = xasprintf("cust-%s-%d", c.pg, _i);
    char *body =
        xasprintf("{\"customer_id\":\"%s\",\"pg\":\"%s\",\"amount\":%d,"
                  "\"name\":\"" PLAN_NAME "\",\"charge_now\":%s,\"buyer_name\":\"홍길동\","
                  "\"buyer_email\":\"hong@example.com\",\"buyer_tel\":\"010-1234-5678\","
                  "\"mobile\":%s}",
                  cust, c.pg, PRICE, c.charge_now ? "true" : "false", c.landing ? "true" : "false");
    cJSON *co = fx_checkout_ok(&fx, body);
    const char *mu = fx_str(co, "merchant_uid"), *cu = fx_str(co, "customer_uid");
    ck_assert_msg(is_id(mu, "bk_"), "merchant_uid %s", mu);
    char *cu_prefix = xasprintf("cu_%s_", c.pg);
    ck_assert_msg(is_id(cu, cu_prefix), "customer_uid %s", cu);
    ck_assert_str_eq(fx_str(co, "status"), "pending");
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(co, "request_pay");
    char *rp_text = cJSON_PrintUnformatted(rp);
    char *rp_want = expected_request_pay(&fx, &c, mu, cu);
    ck_assert_str_eq(rp_text, rp_want);

    const char *p_mu[] = {mu, NULL};
    char *status = fx_sql(&fx, "SELECT status FROM registrations WHERE merchant_uid = $1", p_mu);
    ck_assert_str_eq(status, "pending");
    free(status);

    fx_window_submit(&fx, rp, c.landing, 0, &w);
    ck_assert_int_eq(w.redirected, window_redirects(&c));
    ck_assert(w.success);
    ck_assert_ptr_nonnull(w.imp_uid);
    if (w.redirected) {
        char *prefix = xasprintf("%s/payments/complete/mobile?", fx.public_base_url);
        ck_assert_msg(strncmp(w.location, prefix, strlen(prefix)) == 0, "redirect to %s",
                      w.location);
        free(prefix);
    }

    verify_once(&fx, &c, &w, mu, cu, cust, first_mu, sizeof first_mu);
    check_database(&fx, &c, mu, cu, cust, w.imp_uid, first_mu);
    check_ledger(&fx, &c, first_mu);

    /* replays through both paths change nothing and charge nothing */
    struct combo other = c;
    other.landing = !c.landing;
    verify_once(&fx, &c, &w, mu, cu, cust, again_mu, sizeof again_mu);
    ck_assert_str_eq(again_mu, first_mu);
    if (!w.redirected) {
        verify_once(&fx, &other, &w, mu, cu, cust, again_mu, sizeof again_mu);
        ck_assert_str_eq(again_mu, first_mu);
    }
    check_database(&fx, &c, mu, cu, cust, w.imp_uid, first_mu);
    check_ledger(&fx, &c, first_mu);
    check_customer_view(&fx, &c, cu, cust, mu, first_mu);

    fx_window_release(&w);
    cJSON_free(rp_text);
    free(rp_want);
    free(cu_prefix);
    cJSON_Delete(co);
    free(body);
    free(cust);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_issuance(void)
{
    Suite *s = suite_create("issuance");
    TCase *tc = tcase_create("matrix");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, issuance_matrix, 0, 20);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_issuance)
