/* POST /subscribe/payments/again against billkeyd + sandbox + PostgreSQL: validation, the merchant_uid ledger, faults. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/billing/again.h"
#include "server/billing/kst.h"
#include "server/core/clock.h"
#include "server/core/xalloc.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/merchant_fixture.h"
#include "tests/lib/testlib.h"

#define PRICE 9900
#define THREADS 8
#define AGAIN "/subscribe/payments/again"

static char *body_for(const char *cu, const char *mu, long long amount)
{
    return xasprintf("{\"customer_uid\":\"%s\",\"merchant_uid\":\"%s\",\"amount\":%lld,"
                     "\"name\":\"월 구독\"}",
                     cu, mu, amount);
}

/* The Payment of a code-0 answer: status, integer amount and timestamps. */
static void expect_payment(const struct http_client_response *r, const char *mu, const char *status)
{
    fx_expect_envelope(r, 200, 0, NULL);
    const cJSON *p = http_client_body_response(r);
    ck_assert_str_eq(fx_str(p, "merchant_uid"), mu);
    ck_assert_str_eq(fx_str(p, "status"), status);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(p, "amount")->valuedouble, PRICE);
    static const char *const times[] = {"started_at", "paid_at", "failed_at", "cancelled_at"};
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++)
        ck_assert_msg(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(p, times[i])), "%s: %s",
                      times[i], r->body);
}

/* again + the Payment it must answer (code 0, status). */
static void again_paid(const struct fx *fx, const struct billkeyd_proc *p, const char *body,
                       const char *mu, const char *status)
{
    struct http_client_response r;
    fx_merchant(fx, p, "POST", AGAIN, FX_JSON, body, &r);
    expect_payment(&r, mu, status);
    http_client_response_release(&r);
}

/* again + the refusal it must answer (HTTP 200, code, message). */
static void again_refused(const struct fx *fx, const struct billkeyd_proc *p, const char *body,
                          int code, const char *message)
{
    struct http_client_response r;
    fx_merchant(fx, p, "POST", AGAIN, FX_JSON, body, &r);
    fx_expect_envelope(&r, 200, code, message);
    http_client_response_release(&r);
}

/* One test's world: the fixture, an active key of a PG and an again body for one merchant_uid. */
struct world {
    struct fx fx;
    char *cu;
    char *body;
};

static void world_start(struct world *w, const char *const *env, const char *pg, const char *mu)
{
    fx_start(&w->fx, env);
    w->cu = fx_active_key(&w->fx, pg, 0, NULL);
    fx_clear_requests(&w->fx);
    w->body = body_for(w->cu, mu, PRICE);
}

static void world_stop(struct world *w)
{
    free(w->body);
    free(w->cu);
    fx_stop(&w->fx);
}

/* payments row of mu as "status|kind|created_by|amount|fail_reason?" (caller frees). */
static char *row(const struct fx *fx, const char *mu)
{
    const char *p[] = {mu, NULL};
    return fx_sql(
        fx,
        "SELECT concat_ws('|', status, kind, created_by, amount, fail_reason IS NOT NULL) "
        "FROM payments WHERE merchant_uid = $1",
        p);
}

static void expect_row(const struct fx *fx, const char *mu, const char *want)
{
    char *got = row(fx, mu);
    ck_assert_msg(got && strcmp(got, want) == 0, "row of %s: %s (want %s)", mu,
                  got ? got : "(none)", want);
    free(got);
}

/* Audit rows of mu by the merchant key with that action. */
static long long audits(const struct fx *fx, const char *mu, const char *action)
{
    const char *p[] = {mu, action, NULL};
    return fx_sql_int(fx,
                      "SELECT count(*) FROM audit_events WHERE subject = $1 AND action = $2 "
                      "AND actor = 'api:shop' AND request_id IS NOT NULL "
                      "AND (detail ? 'amount')",
                      p);
}

static long long charges(const struct fx *fx, const char *mu)
{
    struct fx_ledger l;
    fx_ledger(fx, mu, &l);
    long long n = l.count;
    fx_ledger_release(&l);
    return n;
}

/* extra.naverUseCfm of the last again the sandbox received (caller frees), or NULL. */
static char *sent_naver_use_cfm(const struct fx *fx)
{
    cJSON *body = fx_sandbox_last_body(fx, AGAIN);
    const char *cfm = fx_str(cJSON_GetObjectItemCaseSensitive(body, "extra"), "naverUseCfm");
    char *copy = cfm ? xstrdup(cfm) : NULL;
    cJSON_Delete(body);
    return copy;
}

static void kst_today(char out[9])
{
    time_t t = time(NULL) + 9 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 9, "%Y%m%d", &tm);
}

START_TEST(a_charge_is_paid_recorded_and_audited)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "payco", 0, NULL);
    fx_clear_requests(&fx);
    char *body = xasprintf("{\"customer_uid\":\"%s\",\"merchant_uid\":\"order-1\",\"amount\":%d,"
                           "\"tax_free\":900,\"name\":\"월 구독\",\"buyer_email\":\"a@b.kr\"}",
                           cu, PRICE);
    fx_merchant(&fx, NULL, "POST", AGAIN, FX_JSON, body, &r);
    expect_payment(&r, "order-1", "paid");
    ck_assert_str_eq(fx_str(http_client_body_response(&r), "customer_uid"), cu);
    ck_assert_int_gt(
        cJSON_GetObjectItemCaseSensitive(http_client_body_response(&r), "paid_at")->valuedouble, 0);
    http_client_response_release(&r);
    expect_row(&fx, "order-1", "paid|again|shop|9900|f");
    const char *p[] = {"order-1", NULL};
    char *sent = fx_sql(&fx,
                        "SELECT concat_ws('|', tax_free, request->>'amount', "
                        "request->>'tax_free', request->>'buyer_email', imp_uid IS NOT NULL, "
                        "iamport->>'status') FROM payments WHERE merchant_uid = $1",
                        p);
    ck_assert_str_eq(sent, "900|9900|900|a@b.kr|t|paid");
    free(sent);
    ck_assert_int_eq(audits(&fx, "order-1", "payment.requested"), 1);
    ck_assert_int_eq(audits(&fx, "order-1", "payment.paid"), 1);
    ck_assert_int_eq(charges(&fx, "order-1"), 1);
    free(body);
    free(cu);
    fx_stop(&fx);
}
END_TEST

/* Every refusal billkey makes itself: HTTP 200, code 1, the field's message, nothing upstream. */
START_TEST(every_validation_rule_refuses_locally)
{
    struct fx fx;
    struct http_client_response r;
    char today[9];
    kst_today(today);
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "payco", 0, NULL);
    fx_clear_requests(&fx);
    char *past = xasprintf("extra[naverUseCfm]: yyyyMMdd 형식의 결제일(%s) 또는 그 이후 날짜여야 "
                           "합니다.",
                           today);
    const struct {
        const char *body; /* %1$s = an active customer_uid */
        const char *message;
    } cases[] = {
        {"{\"customer_uid\":\"%1$s\",\"amount\":1000}", "파라미터 누락: merchant_uid"},
        {"{\"customer_uid\":\"%1$s\",\"merchant_uid\":\"m1\"}", "파라미터 누락: amount"},
        {"{\"merchant_uid\":\"m1\",\"amount\":1000}", "파라미터 누락: customer_uid"},
        {"{\"customer_uid\":\"%1$s\",\"merchant_uid\":\"m 1\",\"amount\":1000}",
         "merchant_uid: 1~40자의 영문, 숫자와 _ . : - 만 쓸 수 있습니다."},
        {"{\"customer_uid\":\"%1$s\",\"merchant_uid\":"
         "\"m12345678901234567890123456789012345678901\",\"amount\":1000}",
         "merchant_uid: 1~40자의 영문, 숫자와 _ . : - 만 쓸 수 있습니다."},
        {"{\"customer_uid\":\"%1$s\",\"merchant_uid\":\"m1\",\"amount\":0}",
         "amount: 1 이상 100000000 이하의 정수(원)여야 합니다."},
        {"{\"customer_uid\":\"%1$s\",\"merchant_uid\":\"m1\",\"amount\":1.5}",
         "amount: 1 이상 100000000 이하의 정수(원)여야 합니다."},
        {"{\"customer_uid\":\"%1$s\",\"merchant_uid\":\"m1\",\"amount\":100000001}",
         "amount: 1 이상 100000000 이하의 정수(원)여야 합니다."},
        {"{\"customer_uid\":\"%1$s\",\"merchant_uid\":\"m1\",\"amount\":\"100원\"}",
         "amount: 1 이상 100000000 이하의 정수(원)여야 합니다."},
        {"{\"customer_uid\":\"%1$s\",\"merchant_uid\":\"m1\",\"amount\":1000,\"tax_free\":1001}",
         "tax_free: 0 이상 amount(1000) 이하의 정수(원)여야 합니다."},
        {"{\"customer_uid\":\"%1$s\",\"merchant_uid\":\"m1\",\"amount\":1000,"
         "\"name\":\"가나다라마바사아자차가나다라마바사아자차가나다라마바사아자차가나다라마바사아자차"
         "카\"}",
         "name: 40자 이하여야 합니다."},
        {"{\"customer_uid\":\"%1$s\",\"merchant_uid\":\"m1\",\"amount\":1000,\"extra\":1}",
         "extra: 객체여야 합니다."},
        {"{\"customer_uid\":\"%1$s\",\"merchant_uid\":\"m1\",\"amount\":1000,"
         "\"extra\":{\"naverUseCfm\":\"20000101\"}}",
         past},
        {"{\"customer_uid\":\"a/b\",\"merchant_uid\":\"m1\",\"amount\":1000}",
         "customer_uid: 1~80자의 공백과 '/'가 없는 ASCII 문자여야 합니다."},
        {"{\"customer_uid\":\"cu_nobody\",\"merchant_uid\":\"m1\",\"amount\":1000}",
         AGAIN_MSG_UNKNOWN_CUSTOMER},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = xasprintf(cases[i].body, cu);
        fx_merchant(&fx, NULL, "POST", AGAIN, FX_JSON, body, &r);
        ck_assert_msg(http_client_code(&r) == 1 && http_client_message(&r) &&
                          strcmp(http_client_message(&r), cases[i].message) == 0,
                      "case %zu: %s", i, r.body);
        fx_expect_envelope(&r, 200, 1, cases[i].message);
        http_client_response_release(&r);
        free(body);
    }
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments"), 0);
    ck_assert_int_eq(
        fx_count(&fx, "SELECT count(*) FROM audit_events WHERE action LIKE 'payment.%'"), 0);
    ck_assert_int_eq(fx_sandbox_requests(&fx, NULL, "/*", NULL), 0);
    ck_assert_int_eq(charges(&fx, NULL), 0);
    free(past);
    free(cu);
    fx_stop(&fx);
}
END_TEST

/* A deleted key is refused like an unknown one, without calling iamport. */
START_TEST(a_deleted_key_is_an_unknown_customer)
{
    struct world w;
    world_start(&w, NULL, "kicc", "order-del");
    const char *p[] = {w.cu, NULL};
    free(fx_sql(&w.fx,
                "UPDATE billing_keys SET status = 'deleted' WHERE customer_uid = $1 "
                "RETURNING 1",
                p));
    again_refused(&w.fx, NULL, w.body, 1, AGAIN_MSG_UNKNOWN_CUSTOMER);
    ck_assert_int_eq(fx_count(&w.fx, "SELECT count(*) FROM payments"), 0);
    ck_assert_int_eq(fx_sandbox_requests(&w.fx, NULL, "/*", NULL), 0);
    world_stop(&w);
}
END_TEST

/* A merchant_uid seen before, paid or a registration's, is refused locally with iamport's text. */
START_TEST(a_used_merchant_uid_is_refused_locally)
{
    struct world w;
    struct http_client_response r;
    world_start(&w, NULL, "payco", "order-dup");
    again_paid(&w.fx, NULL, w.body, "order-dup", "paid");
    char *other_amount = body_for(w.cu, "order-dup", PRICE + 1);
    const char *regs_mu = NULL;
    char *reg = fx_sql(&w.fx, "SELECT merchant_uid FROM registrations", NULL);
    regs_mu = reg;
    char *on_registration = body_for(w.cu, regs_mu, PRICE);
    const char *bodies[] = {w.body, other_amount, on_registration};
    for (size_t i = 0; i < 3; i++) {
        fx_merchant(&w.fx, NULL, "POST", AGAIN, FX_JSON, bodies[i], &r);
        fx_expect_envelope(&r, 200, 1, AGAIN_MSG_DUPLICATE);
        http_client_response_release(&r);
    }
    expect_row(&w.fx, "order-dup", "paid|again|shop|9900|f");
    ck_assert_int_eq(fx_count(&w.fx, "SELECT count(*) FROM payments"), 1);
    ck_assert_int_eq(audits(&w.fx, "order-dup", "payment.requested"), 1);
    ck_assert_int_eq(fx_sandbox_requests(&w.fx, NULL, AGAIN "*", NULL), 1);
    ck_assert_int_eq(charges(&w.fx, "order-dup"), 1);
    ck_assert_int_eq(charges(&w.fx, regs_mu), 0);
    free(on_registration);
    free(reg);
    free(other_amount);
    world_stop(&w);
}
END_TEST

struct racer {
    const struct fx *fx;
    const struct billkeyd_proc *instance;
    const char *body;
    int code;
    char message[256];
};

static void *race(void *arg)
{
    struct racer *rc = arg;
    struct http_client_response r;
    fx_merchant(rc->fx, rc->instance, "POST", AGAIN, FX_JSON, rc->body, &r);
    rc->code = r.status == 200 ? http_client_code(&r) : -9999;
    snprintf(rc->message, sizeof rc->message, "%s",
             http_client_message(&r) ? http_client_message(&r) : "");
    http_client_response_release(&r);
    return NULL;
}

/* 8 concurrent agains with one merchant_uid, on one or two billkeyd instances sharing the
 * database: one charge; the others are refused as duplicates. */
START_TEST(concurrent_same_merchant_uid_charges_once)
{
    int two_instances = _i;
    struct world w;
    struct billkeyd_proc second;
    pthread_t threads[THREADS];
    struct racer racers[THREADS];
    world_start(&w, NULL, "chai", "order-race");
    if (two_instances)
        fx_start_billkeyd(&w.fx, &second, NULL);
    for (int i = 0; i < THREADS; i++) {
        racers[i] = (struct racer){
            .fx = &w.fx, .instance = two_instances && i % 2 ? &second : NULL, .body = w.body};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    int paid = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        if (racers[i].code == 0)
            paid++;
        else
            ck_assert_msg(racers[i].code == 1 &&
                              strcmp(racers[i].message, AGAIN_MSG_DUPLICATE) == 0,
                          "racer %d: %d %s", i, racers[i].code, racers[i].message);
    }
    ck_assert_int_eq(paid, 1);
    expect_row(&w.fx, "order-race", "paid|again|shop|9900|f");
    ck_assert_int_eq(audits(&w.fx, "order-race", "payment.requested"), 1);
    ck_assert_int_eq(audits(&w.fx, "order-race", "payment.paid"), 1);
    ck_assert_int_eq(fx_sandbox_requests(&w.fx, NULL, AGAIN "*", NULL), 1);
    ck_assert_int_eq(charges(&w.fx, "order-race"), 1);
    if (two_instances)
        fx_stop_billkeyd(&second);
    world_stop(&w);
}
END_TEST

/* A decline is code 0 with the failed Payment, and the row is failed with iamport's reason. */
START_TEST(a_decline_is_a_failed_payment)
{
    struct fx fx;
    struct http_client_response r;
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "payco", 0, NULL);
    fx_clear_requests(&fx);
    char *decline = xasprintf("{\"customer_uid\":\"%s\",\"reason\":\"잔액부족\"}", cu);
    cJSON_Delete(sandbox_ctl(&fx.sandbox, "POST", "/__sandbox/decline", decline));
    char *body = body_for(cu, "order-declined", PRICE);
    fx_merchant(&fx, NULL, "POST", AGAIN, FX_JSON, body, &r);
    expect_payment(&r, "order-declined", "failed");
    ck_assert_str_eq(fx_str(http_client_body_response(&r), "fail_reason"), "잔액부족");
    http_client_response_release(&r);
    expect_row(&fx, "order-declined", "failed|again|shop|9900|t");
    const char *p[] = {"order-declined", NULL};
    char *reason = fx_sql(&fx, "SELECT fail_reason FROM payments WHERE merchant_uid = $1", p);
    ck_assert_str_eq(reason, "잔액부족");
    free(reason);
    ck_assert_int_eq(audits(&fx, "order-declined", "payment.failed"), 1);
    struct fx_ledger l;
    fx_ledger(&fx, "order-declined", &l);
    ck_assert_int_eq(l.count, 1);
    ck_assert_str_eq(l.status, "failed");
    fx_ledger_release(&l);
    /* declined is final: the same merchant_uid is a duplicate */
    again_refused(&fx, NULL, body, 1, AGAIN_MSG_DUPLICATE);
    ck_assert_int_eq(charges(&fx, "order-declined"), 1);
    free(body);
    free(decline);
    free(cu);
    fx_stop(&fx);
}
END_TEST

static const char *const after_faults[] = {
    "{\"method\":\"POST\",\"path\":\"" AGAIN "\",\"kind\":\"drop\",\"after_processing\":true}",
    "{\"method\":\"POST\",\"path\":\"" AGAIN "\",\"kind\":\"hang\",\"delay_ms\":1500,"
    "\"after_processing\":true}",
};

/* The charge took effect and the answer was lost: looked up, answered paid, charged once. */
START_TEST(a_lost_answer_after_the_charge_is_looked_up)
{
    const char *env[] = {"IAMPORT_TIMEOUT_MS=400", NULL};
    struct world w;
    world_start(&w, env, "kicc", "order-lost");
    fx_fault(&w.fx, after_faults[_i]);
    again_paid(&w.fx, NULL, w.body, "order-lost", "paid");
    expect_row(&w.fx, "order-lost", "paid|again|shop|9900|f");
    ck_assert_int_eq(audits(&w.fx, "order-lost", "payment.paid"), 1);
    ck_assert_int_eq(fx_sandbox_requests(&w.fx, NULL, "/payments/find/order-lost*", NULL), 1);
    ck_assert_int_eq(charges(&w.fx, "order-lost"), 1);
    world_stop(&w);
}
END_TEST

static const char *const before_faults[] = {
    "{\"method\":\"POST\",\"path\":\"" AGAIN "\",\"kind\":\"drop\"}",
    "{\"method\":\"POST\",\"path\":\"" AGAIN "\",\"kind\":\"hang\",\"delay_ms\":1500}",
};

/* The request was lost before the charge: outcome unknown, row unknown, nothing charged; the
 * retry with the same merchant_uid looks it up first and charges it once. */
START_TEST(a_lost_request_is_unknown_then_retried_once)
{
    const char *env[] = {"IAMPORT_TIMEOUT_MS=400", NULL};
    struct world w;
    world_start(&w, env, "payco", "order-unknown");
    fx_fault(&w.fx, before_faults[_i]);
    again_refused(&w.fx, NULL, w.body, -1, AGAIN_MSG_OUTCOME_UNKNOWN);
    expect_row(&w.fx, "order-unknown", "unknown|again|shop|9900|t");
    ck_assert_int_eq(audits(&w.fx, "order-unknown", "payment.unknown"), 1);
    ck_assert_int_eq(charges(&w.fx, "order-unknown"), 0);
    ck_assert_int_eq(fx_sandbox_requests(&w.fx, NULL, "/payments/find/order-unknown*", NULL), 1);

    again_paid(&w.fx, NULL, w.body, "order-unknown", "paid");
    expect_row(&w.fx, "order-unknown", "paid|again|shop|9900|f");
    ck_assert_int_eq(fx_sandbox_requests(&w.fx, NULL, "/payments/find/order-unknown*", NULL),
                     2); /* re-checked first */
    if (_i == 0)         /* a hung request is logged only once the sandbox lets it go */
        ck_assert_int_eq(fx_sandbox_requests(&w.fx, NULL, AGAIN "*", NULL), 2);
    ck_assert_int_eq(audits(&w.fx, "order-unknown", "payment.requested"), 2);
    ck_assert_int_eq(audits(&w.fx, "order-unknown", "payment.paid"), 1);
    ck_assert_int_eq(charges(&w.fx, "order-unknown"), 1);
    /* and now it is final */
    again_refused(&w.fx, NULL, w.body, 1, AGAIN_MSG_DUPLICATE);
    ck_assert_int_eq(charges(&w.fx, "order-unknown"), 1);
    world_stop(&w);
}
END_TEST

/* A retry of an unknown row must carry the original customer_uid and amount. */
START_TEST(a_retry_with_another_amount_is_refused)
{
    struct world w;
    world_start(&w, NULL, "payco", "order-mismatch");
    fx_fault(&w.fx, before_faults[0]);
    again_refused(&w.fx, NULL, w.body, -1, AGAIN_MSG_OUTCOME_UNKNOWN);
    char *other = body_for(w.cu, "order-mismatch", PRICE + 100);
    char *want =
        xasprintf("merchant_uid 'order-mismatch' 는 customer_uid '%s', amount %d 로 요청된 "
                  "건입니다. 같은 merchant_uid로 다시 요청할 때는 customer_uid와 amount가 "
                  "같아야 합니다.",
                  w.cu, PRICE);
    again_refused(&w.fx, NULL, other, 1, want);
    expect_row(&w.fx, "order-mismatch", "unknown|again|shop|9900|t");
    ck_assert_int_eq(fx_sandbox_requests(&w.fx, NULL, AGAIN "*", NULL), 1);
    ck_assert_int_eq(charges(&w.fx, "order-mismatch"), 0);
    free(want);
    free(other);
    world_stop(&w);
}
END_TEST

/* A 'requested' row older than the stale window is a crashed attempt: re-checked, then charged;
 * a fresh 'requested' row is someone else's attempt in flight: a duplicate. */
START_TEST(a_crashed_attempt_is_rechecked)
{
    struct world w;
    world_start(&w, NULL, "payco", "order-crashed");
    const char *p[] = {"order-crashed", w.cu, NULL};
    const char *mu_only[] = {"order-crashed", NULL};
    free(fx_sql(&w.fx,
                "INSERT INTO payments (merchant_uid, customer_uid, kind, amount, status, "
                "created_by) VALUES ($1, $2, 'again', 9900, 'requested', 'shop') RETURNING 1",
                p));
    again_refused(&w.fx, NULL, w.body, 1, AGAIN_MSG_DUPLICATE);
    ck_assert_int_eq(fx_sandbox_requests(&w.fx, NULL, "/*", NULL), 0);
    free(fx_sql(&w.fx,
                "UPDATE payments SET updated_at = now() - interval '1 hour' "
                "WHERE merchant_uid = $1 RETURNING 1",
                mu_only));
    again_paid(&w.fx, NULL, w.body, "order-crashed", "paid");
    expect_row(&w.fx, "order-crashed", "paid|again|shop|9900|f");
    ck_assert_int_eq(fx_sandbox_requests(&w.fx, NULL, "/payments/find/order-crashed*", NULL), 1);
    ck_assert_int_eq(charges(&w.fx, "order-crashed"), 1);
    world_stop(&w);
}
END_TEST

/* iamport unreachable (connection refused): not_sent, and the same merchant_uid goes through
 * later. */
START_TEST(iamport_down_is_not_sent_and_retried)
{
    struct fx fx;
    struct billkeyd_proc cut_off;
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "payco", 0, NULL);
    fx_clear_requests(&fx);
    char *closed = xasprintf("IAMPORT_BASE_URL=http://127.0.0.1:%d", testlib_free_port());
    const char *env[] = {closed, NULL};
    fx_start_billkeyd(&fx, &cut_off, env);
    char *body = body_for(cu, "order-down", PRICE);
    again_refused(&fx, &cut_off, body, -1, AGAIN_MSG_NOT_SENT);
    expect_row(&fx, "order-down", "not_sent|again|shop|9900|t");
    ck_assert_int_eq(audits(&fx, "order-down", "payment.not_sent"), 1);
    ck_assert_int_eq(charges(&fx, "order-down"), 0);
    fx_stop_billkeyd(&cut_off);

    again_paid(&fx, NULL, body, "order-down", "paid");
    expect_row(&fx, "order-down", "paid|again|shop|9900|f");
    ck_assert_int_eq(audits(&fx, "order-down", "payment.paid"), 1);
    ck_assert_int_eq(charges(&fx, "order-down"), 1);
    free(body);
    free(closed);
    free(cu);
    fx_stop(&fx);
}
END_TEST

/* The bracket form body, as NaverPay's sample sends it, with its own naverUseCfm. */
START_TEST(a_bracket_form_body_charges)
{
    struct fx fx;
    struct http_client_response r;
    char today[9];
    kst_today(today);
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "naverpay", 0, NULL);
    fx_clear_requests(&fx);
    char *form = xasprintf("customer_uid=%s&merchant_uid=order-form&amount=%d&name=sub"
                           "&extra%%5BnaverUseCfm%%5D=%s",
                           cu, PRICE, today);
    fx_merchant(&fx, NULL, "POST", AGAIN, FX_FORM, form, &r);
    expect_payment(&r, "order-form", "paid");
    http_client_response_release(&r);
    expect_row(&fx, "order-form", "paid|again|shop|9900|f");
    char *cfm = sent_naver_use_cfm(&fx);
    ck_assert_str_eq(cfm, today);
    free(cfm);
    ck_assert_int_eq(charges(&fx, "order-form"), 1);
    free(form);
    free(cu);
    fx_stop(&fx);
}
END_TEST

/* Where the contract requires it (NAVERPAY_USE_CFM=1), a NaverPay key charged without
 * extra.naverUseCfm gets today's Korean date. */
START_TEST(naverpay_gets_naver_use_cfm_filled_in)
{
    struct world w;
    char today[9];
    kst_today(today);
    const char *env[] = {"NAVERPAY_USE_CFM=1", NULL};
    world_start(&w, env, "naverpay", "order-naver");
    again_paid(&w.fx, NULL, w.body, "order-naver", "paid");
    char *cfm = sent_naver_use_cfm(&w.fx);
    ck_assert_str_eq(cfm, today);
    free(cfm);
    const char *p[] = {"order-naver", NULL};
    char *stored = fx_sql(&w.fx,
                          "SELECT request->'extra'->>'naverUseCfm' FROM payments "
                          "WHERE merchant_uid = $1",
                          p);
    ck_assert_str_eq(stored, today);
    free(stored);
    ck_assert_int_eq(charges(&w.fx, "order-naver"), 1);
    world_stop(&w);
}
END_TEST

/* The guide: naverUseCfm is sent "where the contract requires it". By default (NAVERPAY_USE_CFM=0)
 * billkey adds none, neither to a first charge nor to again; the merchant's own is passed on. */
START_TEST(naverpay_gets_no_naver_use_cfm_unless_required)
{
    struct fx fx;
    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "naverpay", 1, NULL); /* with a first charge */
    cJSON *log = sandbox_ctl(&fx.sandbox, "GET", "/__sandbox/requests", NULL);
    const cJSON *item;
    int agains = 0;
    cJSON_ArrayForEach (item, cJSON_GetObjectItemCaseSensitive(log, "requests")) {
        if (strcmp(fx_str(item, "path"), AGAIN) != 0)
            continue;
        agains++;
        ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(item, "body"), "extra"));
    }
    cJSON_Delete(log);
    ck_assert_int_eq(agains, 1);

    char *body = body_for(cu, "order-naver-plain", PRICE);
    again_paid(&fx, NULL, body, "order-naver-plain", "paid");
    char *cfm = sent_naver_use_cfm(&fx);
    ck_assert_ptr_null(cfm);
    free(body);

    char tomorrow[9];
    struct clock c = clock_fixed(((long long)time(NULL) + 86400) * 1000);
    kst_date(&c, tomorrow);
    body = xasprintf("{\"customer_uid\":\"%s\",\"merchant_uid\":\"order-naver-own\","
                     "\"amount\":%d,\"extra\":{\"naverUseCfm\":\"%s\"}}",
                     cu, PRICE, tomorrow);
    again_paid(&fx, NULL, body, "order-naver-own", "paid");
    cfm = sent_naver_use_cfm(&fx);
    ck_assert_str_eq(cfm, tomorrow);
    free(cfm);
    free(body);
    free(cu);
    fx_stop(&fx);
}
END_TEST

/* A first charge that never reached iamport is not_sent, and the next verification re-claims
 * the same row (same merchant_uid, looked up first) and charges it once. */
START_TEST(a_not_sent_first_charge_is_retried)
{
    struct fx fx;
    struct fx_window w;
    struct http_client_response r;
    fx_start(&fx, NULL);
    cJSON *co = fx_checkout_plan(&fx, "payco", PRICE, 1);
    const char *mu = fx_str(co, "merchant_uid");
    fx_fault(&fx, before_faults[0]);
    fx_window_submit(&fx, fx_request_pay(co), 0, 0, &w);
    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    char *first =
        xstrdup(fx_str(cJSON_GetObjectItemCaseSensitive(r.json, "first_payment"), "merchant_uid"));
    http_client_response_release(&r);
    /* as a refused connection would have left it (the classification is unit-tested) */
    const char *p[] = {first, NULL};
    free(fx_sql(&fx, "UPDATE payments SET status = 'not_sent' WHERE merchant_uid = $1 RETURNING 1",
                p));
    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    ck_assert_msg(r.status == 200, "%s", r.body);
    const cJSON *fp = cJSON_GetObjectItemCaseSensitive(r.json, "first_payment");
    ck_assert_str_eq(fx_str(fp, "status"), "paid");
    ck_assert_str_eq(fx_str(fp, "merchant_uid"), first);
    http_client_response_release(&r);
    ck_assert_int_eq(fx_count(&fx, "SELECT count(*) FROM payments WHERE kind = 'first_charge'"), 1);
    ck_assert_int_eq(fx_sql_int(&fx, "SELECT count(*) FROM audit_events WHERE subject = $1", p), 4);
    ck_assert_int_eq(fx_sandbox_requests(&fx, NULL, "/payments/find/*", NULL), 2);
    ck_assert_int_eq(charges(&fx, first), 1);
    /* once paid, further verifications charge nothing */
    fx_complete(&fx, NULL, w.imp_uid, mu, &r);
    http_client_response_release(&r);
    ck_assert_int_eq(charges(&fx, first), 1);
    free(first);
    fx_window_release(&w);
    cJSON_Delete(co);
    fx_stop(&fx);
}
END_TEST

/* idempotency_keys rows of the merchant key: all (status 0) or those storing that status. */
static long long idempotency_rows(const struct fx *fx, int status)
{
    char *sql = status > 0 ? xasprintf("SELECT count(*) FROM idempotency_keys WHERE "
                                       "api_key_name = '" FX_API_KEY_NAME "' AND http_status = %d",
                                       status)
                           : xstrdup("SELECT count(*) FROM idempotency_keys WHERE "
                                     "api_key_name = '" FX_API_KEY_NAME "'");
    long long n = fx_count(fx, sql);
    free(sql);
    return n;
}

/* The retry answers of a keyed again (unknown or not sent) must not be kept under the key:
 * the retry with the same key and body runs again, re-checks, charges once and answers paid;
 * only that final answer is stored and replayed. */
static void keyed_retry_then_replay(struct world *w, const char *mu)
{
    struct http_client_response paid, replay;
    ck_assert_int_eq(fx_merchant_keyed(&w->fx, NULL, AGAIN, "idem-again", w->body, &paid), 0);
    expect_payment(&paid, mu, "paid");
    ck_assert_int_eq(charges(&w->fx, mu), 1);
    ck_assert_int_eq(idempotency_rows(&w->fx, 200), 1);
    ck_assert_int_eq(fx_merchant_keyed(&w->fx, NULL, AGAIN, "idem-again", w->body, &replay), 1);
    ck_assert_str_eq(replay.body, paid.body);
    ck_assert_int_eq(charges(&w->fx, mu), 1);
    ck_assert_int_eq(audits(&w->fx, mu, "payment.requested"), 2); /* the replay ran nothing */
    ck_assert_int_eq(audits(&w->fx, mu, "payment.paid"), 1);
    ck_assert_int_eq(idempotency_rows(&w->fx, 0), 1);
    expect_row(&w->fx, mu, "paid|again|shop|9900|f");
    http_client_response_release(&paid);
    http_client_response_release(&replay);
}

/* Lost before the charge under an Idempotency-Key: "outcome unknown" gives the key up. */
START_TEST(an_unknown_answer_is_not_kept_under_an_idempotency_key)
{
    const char *env[] = {"IAMPORT_TIMEOUT_MS=400", NULL};
    struct world w;
    struct http_client_response r;
    world_start(&w, env, "payco", "order-idem-unknown");
    fx_fault(&w.fx, before_faults[_i]);
    ck_assert_int_eq(fx_merchant_keyed(&w.fx, NULL, AGAIN, "idem-again", w.body, &r), 0);
    fx_expect_envelope(&r, 200, -1, AGAIN_MSG_OUTCOME_UNKNOWN);
    http_client_response_release(&r);
    expect_row(&w.fx, "order-idem-unknown", "unknown|again|shop|9900|t");
    ck_assert_int_eq(charges(&w.fx, "order-idem-unknown"), 0);
    ck_assert_int_eq(idempotency_rows(&w.fx, 0), 0);

    keyed_retry_then_replay(&w, "order-idem-unknown");
    ck_assert_int_eq(fx_sandbox_requests(&w.fx, NULL, "/payments/find/order-idem-unknown*", NULL),
                     2); /* re-checked */
    world_stop(&w);
}
END_TEST

/* iamport unreachable under an Idempotency-Key: "not sent" gives the key up too. */
START_TEST(a_not_sent_answer_is_not_kept_under_an_idempotency_key)
{
    struct world w;
    struct billkeyd_proc cut_off;
    struct http_client_response r;
    world_start(&w, NULL, "payco", "order-idem-down");
    char *closed = xasprintf("IAMPORT_BASE_URL=http://127.0.0.1:%d", testlib_free_port());
    const char *env[] = {closed, NULL};
    fx_start_billkeyd(&w.fx, &cut_off, env);
    ck_assert_int_eq(fx_merchant_keyed(&w.fx, &cut_off, AGAIN, "idem-again", w.body, &r), 0);
    fx_expect_envelope(&r, 200, -1, AGAIN_MSG_NOT_SENT);
    http_client_response_release(&r);
    fx_stop_billkeyd(&cut_off);
    expect_row(&w.fx, "order-idem-down", "not_sent|again|shop|9900|t");
    ck_assert_int_eq(idempotency_rows(&w.fx, 0), 0);

    keyed_retry_then_replay(&w, "order-idem-down");
    free(closed);
    world_stop(&w);
}
END_TEST

static Suite *suite_merchant_again(void)
{
    Suite *s = suite_create("merchant_again");
    TCase *tc = tcase_create("again");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, a_charge_is_paid_recorded_and_audited);
    tcase_add_test(tc, every_validation_rule_refuses_locally);
    tcase_add_test(tc, a_deleted_key_is_an_unknown_customer);
    tcase_add_test(tc, a_used_merchant_uid_is_refused_locally);
    tcase_add_loop_test(tc, concurrent_same_merchant_uid_charges_once, 0, 2);
    tcase_add_test(tc, a_decline_is_a_failed_payment);
    tcase_add_loop_test(tc, a_lost_answer_after_the_charge_is_looked_up, 0, 2);
    tcase_add_loop_test(tc, a_lost_request_is_unknown_then_retried_once, 0, 2);
    tcase_add_test(tc, a_retry_with_another_amount_is_refused);
    tcase_add_test(tc, a_crashed_attempt_is_rechecked);
    tcase_add_test(tc, iamport_down_is_not_sent_and_retried);
    tcase_add_test(tc, a_bracket_form_body_charges);
    tcase_add_test(tc, naverpay_gets_naver_use_cfm_filled_in);
    tcase_add_test(tc, naverpay_gets_no_naver_use_cfm_unless_required);
    tcase_add_test(tc, a_not_sent_first_charge_is_retried);
    tcase_add_loop_test(tc, an_unknown_answer_is_not_kept_under_an_idempotency_key, 0, 2);
    tcase_add_test(tc, a_not_sent_answer_is_not_kept_under_an_idempotency_key);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_merchant_again)
