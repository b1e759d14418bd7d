/* Seeded money-correctness soak: random issuance, charges, schedules, faults, webhooks, a SIGKILL and two instances; then billkey's ledger must equal the sandbox's. */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/core/xalloc.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/merchant_fixture.h"
#include "tests/lib/testlib.h"

/* SOAK_OPS operations (default below) from SOAK_SEED; SOAK_OPS=500 is a long run. */
#define DEFAULT_OPS 40
#define DEFAULT_SEED 20261207u
/* How long the reconciler may take to settle everything after the last operation. */
#define SETTLE_MS 120000
#define MAX_TAMPERED 256

#define AGAIN "/subscribe/payments/again"
#define SCHEDULE "/subscribe/payments/schedule"

/* Short reconciler periods so that a soak settles in seconds; a short iamport timeout so that
 * hangs become "outcome unknown" quickly. */
static const char *const instance_env[] = {
    "RECONCILE_INTERVAL_MS=300",  "RECONCILE_REGISTRATION_GRACE_S=3",
    "RECONCILE_CHARGE_GRACE_S=2", "RECONCILE_SCHEDULE_GRACE_S=2",
    "IAMPORT_TIMEOUT_MS=1500",    NULL};

static const char *const pgs[] = {"payco", "kakaopay", "kicc", "chai", "naverpay"};

/* Everything one soak run owns; soak_stop() frees it. */
struct soak {
    struct fx fx;
    struct billkeyd_proc second; /* the other instance on the same database */
    uint64_t rng;
    int ops;
    int next_id;
    char *tampered[MAX_TAMPERED]; /* owned: imp_uids of tampered payments that took money */
    int tampered_count;
    /* figures */
    int registrations, windows_declined, tamperings, deliveries_skipped, charges, charge_faults,
        merchant_retries, schedules, webhook_resends, upstream_faults, kills;
};

static uint32_t next_rand(struct soak *s)
{
    /* xorshift64*: small, seeded, the same sequence on every machine */
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return (uint32_t)((s->rng * 2685821657736338717ULL) >> 32);
}

static int roll(struct soak *s, int n)
{
    return (int)(next_rand(s) % (uint32_t)n);
}

/* One of the two instances (NULL = fx's own). */
static const struct billkeyd_proc *some_instance(struct soak *s)
{
    return roll(s, 2) ? &s->second : NULL;
}

static long env_long(const char *name, long fallback)
{
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : fallback;
}

/* A status billkey may give under chaos: anything but a crash (no answer) or a 500. */
static void expect_no_crash(long status, const char *what, const char *body)
{
    ck_assert_msg(status != 0 && status != 500, "%s answered %ld: %s", what, status,
                  body ? body : "");
}

/* Aims the sandbox's webhooks at instance p, or nowhere (missing webhooks) when none is set. */
static void aim_webhooks(struct soak *s, const struct billkeyd_proc *p, int none)
{
    char *body;
    if (none) {
        body = xstrdup("{\"webhook_url\":null}");
    } else {
        char *url = fx_url(&s->fx, p, "/webhooks/iamport");
        body = xasprintf("{\"webhook_url\":\"%s\"}", url);
        free(url);
    }
    cJSON_Delete(sandbox_ctl(&s->fx.sandbox, "POST", "/__sandbox/config", body));
    free(body);
}

/* A fault on one upstream path, before or after iamport processed the request. */
static void upstream_fault(struct soak *s, const char *method, const char *path)
{
    static const char *const kinds[] = {"http500", "drop", "latency", "bad_json", "hang"};
    const char *kind = kinds[roll(s, 5)];
    int after = roll(s, 2);
    char *f = xasprintf("{\"method\":\"%s\",\"path\":\"%s\",\"kind\":\"%s\",\"delay_ms\":%d,"
                        "\"after_processing\":%s}",
                        method, path, kind, 200 + roll(s, 2000), after ? "true" : "false");
    fx_fault(&s->fx, f);
    free(f);
    s->upstream_faults++;
}

/* The browser's delivery of a window result: callback, landing, duplicates, or nothing. */
static void deliver(struct soak *s, const struct fx_window *w, const char *mu)
{
    struct http_client_response r;
    int how = roll(s, 100);
    if (how < 20) {
        s->deliveries_skipped++; /* the browser never comes back */
        return;
    }
    if (roll(s, 6) == 0)
        upstream_fault(s, "GET", "/payments/*");
    if (how < 40 && w->imp_uid) {
        fx_landing(&s->fx, w->imp_uid, mu, &r);
        expect_no_crash(r.status, "the landing", r.body);
        http_client_response_release(&r);
        return;
    }
    int times = how < 55 ? 2 : 1; /* a double click, possibly on both instances */
    for (int i = 0; i < times; i++) {
        fx_complete(&s->fx, some_instance(s), w->imp_uid, mu, &r);
        expect_no_crash(r.status, "/payments/complete", r.body);
        http_client_response_release(&r);
    }
}

/* A tampering browser: iamport's prepared amount is moved and the window pays 100 won. */
static cJSON *tampered_request(struct soak *s, const cJSON *co)
{
    struct http_client_response r;
    char *token = sandbox_token(&s->fx.sandbox);
    char *prep = xasprintf("{\"merchant_uid\":\"%s\",\"amount\":100}", fx_str(co, "merchant_uid"));
    sandbox_call_auth(&s->fx.sandbox, "PUT", "/payments/prepare", token, prep, NULL, &r);
    http_client_response_release(&r);
    free(prep);
    free(token);
    cJSON *rp = cJSON_Duplicate(fx_request_pay(co), 1);
    cJSON_ReplaceItemInObjectCaseSensitive(rp, "amount", cJSON_CreateNumber(100));
    return rp;
}

static void op_register(struct soak *s)
{
    int tamper = roll(s, 8) == 0; /* a KakaoPay first charge paid at another amount */
    const char *pg = tamper ? "kakaopay" : pgs[roll(s, 5)];
    int charge_now = tamper || roll(s, 2);
    long long amount = 1000 + 100LL * roll(s, 90);
    cJSON *co = fx_checkout_plan(&s->fx, pg, amount, charge_now);
    const char *mu = fx_str(co, "merchant_uid");
    int decline = !tamper && roll(s, 10) == 0;
    cJSON *rp = tamper ? tampered_request(s, co) : cJSON_Duplicate(fx_request_pay(co), 1);
    struct fx_window w;

    fx_window_submit(&s->fx, rp, roll(s, 2), decline, &w);
    s->registrations++;
    s->windows_declined += decline;
    if (tamper && w.success && w.imp_uid && s->tampered_count < MAX_TAMPERED) {
        s->tampered[s->tampered_count++] = xstrdup(w.imp_uid);
        s->tamperings++;
    }
    deliver(s, &w, mu);
    fx_window_release(&w);
    cJSON_Delete(rp);
    cJSON_Delete(co);
}

/* A customer_uid with an active billing key, or NULL when there is none yet (caller frees). */
static char *some_customer(struct soak *s)
{
    long long n = fx_count(&s->fx, "SELECT count(*) FROM billing_keys WHERE status = 'active'");
    if (n == 0)
        return NULL;
    char offset[24];
    snprintf(offset, sizeof offset, "%d", roll(s, (int)n));
    const char *p[] = {offset, NULL};
    return fx_sql(&s->fx,
                  "SELECT customer_uid FROM billing_keys WHERE status = 'active' "
                  "ORDER BY customer_uid OFFSET $1::int LIMIT 1",
                  p);
}

static void queue_decline(struct soak *s, const char *cu)
{
    char *d = xasprintf("{\"customer_uid\":\"%s\",\"count\":1}", cu);
    cJSON_Delete(sandbox_ctl(&s->fx.sandbox, "POST", "/__sandbox/decline", d));
    free(d);
}

static void op_charge(struct soak *s)
{
    char *cu = some_customer(s);
    if (!cu)
        return;
    char mu[40];
    snprintf(mu, sizeof mu, "soak-c-%d", s->next_id++);
    char *body = xasprintf("{\"customer_uid\":\"%s\",\"merchant_uid\":\"%s\",\"amount\":%d,"
                           "\"name\":\"soak\"}",
                           cu, mu, 500 + 100 * roll(s, 50));
    int chaos = roll(s, 10);
    if (chaos == 0)
        queue_decline(s, cu);
    else if (chaos <= 3) {
        upstream_fault(s, "POST", AGAIN);
        s->charge_faults++;
    }
    int tries = roll(s, 5) == 0 ? 2 : 1; /* a merchant that retries with the same merchant_uid */
    for (int i = 0; i < tries; i++) {
        struct http_client_response r;
        long st = fx_merchant(&s->fx, some_instance(s), "POST", AGAIN, FX_JSON, body, &r);
        expect_no_crash(st, AGAIN, r.body);
        http_client_response_release(&r);
    }
    s->merchant_retries += tries - 1;
    s->charges++;
    free(body);
    free(cu);
}

static void op_schedule(struct soak *s)
{
    char *cu = some_customer(s);
    if (!cu)
        return;
    char mu[40];
    snprintf(mu, sizeof mu, "soak-s-%d", s->next_id++);
    long long at = (long long)time(NULL) + 2 + roll(s, 3);
    char *body = xasprintf("{\"customer_uid\":\"%s\",\"schedules\":[{\"merchant_uid\":\"%s\","
                           "\"schedule_at\":%lld,\"amount\":%d,\"name\":\"soak\"}]}",
                           cu, mu, at, 700 + 100 * roll(s, 50));
    if (roll(s, 5) == 0)
        upstream_fault(s, "POST", SCHEDULE);
    if (roll(s, 8) == 0)
        queue_decline(s, cu);
    struct http_client_response r;
    long st = fx_merchant(&s->fx, some_instance(s), "POST", SCHEDULE, FX_JSON, body, &r);
    expect_no_crash(st, SCHEDULE, r.body);
    http_client_response_release(&r);
    s->schedules++;
    free(body);
    free(cu);
}

/* Duplicate and late webhooks for a payment billkey knows, to either instance. */
static void op_resend_webhook(struct soak *s)
{
    long long n = fx_count(&s->fx, "SELECT count(*) FROM payments WHERE imp_uid IS NOT NULL");
    if (n == 0)
        return;
    char offset[24];
    snprintf(offset, sizeof offset, "%d", roll(s, (int)n));
    const char *p[] = {offset, NULL};
    char *imp_uid = fx_sql(&s->fx,
                           "SELECT imp_uid FROM payments WHERE imp_uid IS NOT NULL "
                           "ORDER BY imp_uid OFFSET $1::int LIMIT 1",
                           p);
    char *url = fx_url(&s->fx, some_instance(s), "/webhooks/iamport");
    char *body = xasprintf("{\"imp_uid\":\"%s\",\"times\":%d,\"delay_ms\":%d,\"url\":\"%s\"}",
                           imp_uid, 1 + roll(s, 3), roll(s, 1500), url);
    cJSON_Delete(sandbox_ctl(&s->fx.sandbox, "POST", "/__sandbox/webhooks/send", body));
    s->webhook_resends++;
    free(body);
    free(url);
    free(imp_uid);
}

struct inflight {
    const struct fx *fx;
    const struct billkeyd_proc *p;
    char *body;
};

static void *again_in_flight(void *arg)
{
    struct inflight *f = arg;
    struct http_client_response r;
    fx_merchant(f->fx, f->p, "POST", AGAIN, FX_JSON, f->body, &r); /* killed midway: no answer */
    http_client_response_release(&r);
    return NULL;
}

/* SIGKILL of the second instance while its again call hangs after iamport took the money, then a
 * restart on the same database. */
static void op_kill_midway(struct soak *s)
{
    char *cu = some_customer(s);
    if (!cu)
        return;
    char mu[40];
    snprintf(mu, sizeof mu, "soak-k-%d", s->next_id++);
    fx_fault(&s->fx, "{\"method\":\"POST\",\"path\":\"" AGAIN "\",\"kind\":\"hang\","
                     "\"delay_ms\":10000,\"after_processing\":true}");
    struct inflight f = {
        .fx = &s->fx,
        .p = &s->second,
        .body = xasprintf("{\"customer_uid\":\"%s\",\"merchant_uid\":\"%s\",\"amount\":4400,"
                          "\"name\":\"soak\"}",
                          cu, mu)};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, again_in_flight, &f), 0);
    const char *p[] = {mu, NULL};
    for (int i = 0;
         i < 100 &&
         fx_sql_int(&s->fx, "SELECT count(*) FROM payments WHERE merchant_uid = $1", p) == 0;
         i++)
        testlib_sleep_ms(20);
    testlib_sleep_ms(300); /* the request is at iamport now */
    billkeyd_kill(&s->second);
    pthread_join(t, NULL);
    fx_start_billkeyd(&s->fx, &s->second, instance_env);
    s->kills++;
    free(f.body);
    free(cu);
}

static void soak_start(struct soak *s)
{
    memset(s, 0, sizeof *s);
    s->ops = (int)env_long("SOAK_OPS", DEFAULT_OPS);
    s->rng = (uint64_t)env_long("SOAK_SEED", DEFAULT_SEED) * 0x9E3779B97F4A7C15ULL + 1;
    fx_start(&s->fx, instance_env);
    fx_start_billkeyd(&s->fx, &s->second, instance_env);
    aim_webhooks(s, NULL, 0);
}

static void soak_stop(struct soak *s)
{
    for (int i = 0; i < s->tampered_count; i++)
        free(s->tampered[i]);
    fx_stop_billkeyd(&s->second);
    fx_stop(&s->fx);
}

/* Waits until nothing is left for the reconciler: no pending registration, no unsettled charge,
 * no schedule past its time without a result, no webhook event in flight. */
static void wait_settled(struct soak *s)
{
    static const char *const backlog =
        "SELECT (SELECT count(*) FROM registrations WHERE status = 'pending') + "
        "(SELECT count(*) FROM payments WHERE status IN ('requested', 'unknown')) + "
        "(SELECT count(*) FROM schedules WHERE schedule_status IN ('requested', 'scheduled', "
        "   'unknown') AND schedule_at < extract(epoch FROM now())) + "
        "(SELECT count(*) FROM webhook_events WHERE state IN ('received', 'processing'))";
    long long left = 0;
    for (long waited = 0; waited < SETTLE_MS; waited += 250) {
        left = fx_count(&s->fx, backlog);
        if (left == 0)
            return;
        testlib_sleep_ms(250);
    }
    char *what = fx_sql(&s->fx,
                        "SELECT concat_ws(' | ', "
                        "(SELECT string_agg(merchant_uid || ':' || status, ',') FROM registrations "
                        "  WHERE status = 'pending'), "
                        "(SELECT string_agg(merchant_uid || ':' || status, ',') FROM payments "
                        "  WHERE status IN ('requested', 'unknown')), "
                        "(SELECT string_agg(merchant_uid || ':' || schedule_status, ',') "
                        "  FROM schedules WHERE schedule_status IN ('requested', 'scheduled', "
                        "  'unknown') AND schedule_at < extract(epoch FROM now())))",
                        NULL);
    ck_abort_msg("%lld items still unsettled after %d ms: %s", left, SETTLE_MS, what);
}

/* billkey's row for one sandbox ledger entry: same amount, and paid (or refunded since) when the
 * sandbox took the money, failed when it declined. */
static void expect_row_matches(struct soak *s, const char *mu, const cJSON *charge)
{
    const char *p[] = {mu, NULL};
    const char *status = fx_str(charge, "status");
    long long amount = (long long)cJSON_GetObjectItem(charge, "amount")->valuedouble;
    long long count = (long long)cJSON_GetObjectItem(charge, "count")->valuedouble;
    ck_assert_msg(count == 1, "%s was charged %lld times at iamport", mu, count);
    char *row =
        fx_sql(&s->fx, "SELECT status || '|' || amount FROM payments WHERE merchant_uid = $1", p);
    if (!row && strcmp(status, "failed") == 0) {
        /* a declined KakaoPay issuance leaves a failed registration and no payment row */
        char *reg = fx_registration_column(&s->fx, "status", mu);
        ck_assert_msg(reg && strcmp(reg, "failed") == 0, "%s declined at iamport, billkey has %s",
                      mu, reg ? reg : "nothing");
        free(reg);
        return;
    }
    ck_assert_msg(row != NULL, "%s: iamport %s %lld, billkey has no payment", mu, status, amount);
    char want_paid[64], want_cancelled[64], want_failed[64];
    snprintf(want_paid, sizeof want_paid, "paid|%lld", amount);
    snprintf(want_cancelled, sizeof want_cancelled, "cancelled|%lld", amount);
    snprintf(want_failed, sizeof want_failed, "failed|%lld", amount);
    if (strcmp(status, "paid") == 0)
        ck_assert_msg(strcmp(row, want_paid) == 0 || strcmp(row, want_cancelled) == 0,
                      "%s: iamport paid %lld, billkey %s", mu, amount, row);
    else
        ck_assert_msg(strcmp(row, want_failed) == 0, "%s: iamport failed %lld, billkey %s", mu,
                      amount, row);
    free(row);
}

/* The invariants of the issue, and the figures of the run. */
static void check_ledgers(struct soak *s)
{
    cJSON *ledger = sandbox_ctl(&s->fx.sandbox, "GET", "/__sandbox/ledger", NULL);
    const cJSON *charges = cJSON_GetObjectItem(ledger, "charges");
    long long total_paid = (long long)cJSON_GetObjectItem(ledger, "total_paid")->valuedouble;
    int entries = 0;
    for (const cJSON *c = charges ? charges->child : NULL; c; c = c->next, entries++)
        expect_row_matches(s, c->string, c);

    /* the other way round: every row billkey books as money taken is in the sandbox's ledger */
    long long billkey_taken = fx_count(
        &s->fx,
        "SELECT coalesce(sum(amount), 0) FROM payments WHERE status IN ('paid', 'cancelled') "
        "AND amount > 0");
    long long rows_taken = fx_count(
        &s->fx,
        "SELECT count(*) FROM payments WHERE status IN ('paid', 'cancelled') AND amount > 0");
    int ledger_paid = 0;
    for (const cJSON *c = charges ? charges->child : NULL; c; c = c->next)
        ledger_paid += strcmp(fx_str(c, "status"), "paid") == 0;
    ck_assert_msg(billkey_taken == total_paid, "billkey booked %lld won taken, iamport %lld",
                  billkey_taken, total_paid);
    ck_assert_msg(rows_taken == ledger_paid, "billkey has %lld paid rows, iamport %d", rows_taken,
                  ledger_paid);
    ck_assert_int_eq(fx_count(&s->fx, "SELECT count(*) FROM payments WHERE status = 'not_sent' AND "
                                      "merchant_uid IN (SELECT merchant_uid FROM payments "
                                      "WHERE imp_uid IS NOT NULL)"),
                     0);
    /* one issuance charge at most per registration */
    ck_assert_int_eq(fx_count(&s->fx, "SELECT count(*) FROM (SELECT registration_merchant_uid "
                                      "FROM payments WHERE kind IN ('issue', 'first_charge') AND "
                                      "status IN ('paid', 'cancelled') GROUP BY 1 "
                                      "HAVING count(*) > 1) t"),
                     0);
    /* every tampered payment was refunded at iamport */
    for (int i = 0; i < s->tampered_count; i++) {
        char *path = xasprintf("/__sandbox/payments/%s", s->tampered[i]);
        cJSON *pay = sandbox_ctl(&s->fx.sandbox, "GET", path, NULL);
        ck_assert_msg(strcmp(fx_str(pay, "status"), "cancelled") == 0,
                      "tampered %s is %s at iamport", s->tampered[i], fx_str(pay, "status"));
        cJSON_Delete(pay);
        free(path);
    }
    ck_assert_int_eq(
        fx_count(&s->fx, "SELECT count(*) FROM registrations WHERE status = 'pending'"), 0);

    char *regs = fx_sql(&s->fx,
                        "SELECT string_agg(status || '=' || n, ' ' ORDER BY status) FROM "
                        "(SELECT status, count(*) n FROM registrations GROUP BY 1) t",
                        NULL);
    char *pays = fx_sql(&s->fx,
                        "SELECT string_agg(status || '=' || n, ' ' ORDER BY status) FROM "
                        "(SELECT status, count(*) n FROM payments GROUP BY 1) t",
                        NULL);
    char *scheds = fx_sql(&s->fx,
                          "SELECT string_agg(schedule_status || '=' || n, ' ' ORDER BY 1) FROM "
                          "(SELECT schedule_status, count(*) n FROM schedules GROUP BY 1) t",
                          NULL);
    printf("soak: seed=%ld ops=%d | registrations %d (declined %d, tampered %d, browser gone %d) "
           "| charges %d (faulted %d, merchant retries %d) | schedules %d | webhook resends %d | "
           "upstream faults %d | kills %d\n"
           "soak: billkey registrations [%s] payments [%s] schedules [%s]\n"
           "soak: iamport ledger %d merchant_uids, %lld won taken; billkey %lld rows, %lld won; "
           "tampered refunded %d/%d; audit rows %lld\n",
           env_long("SOAK_SEED", DEFAULT_SEED), s->ops, s->registrations, s->windows_declined,
           s->tamperings, s->deliveries_skipped, s->charges, s->charge_faults, s->merchant_retries,
           s->schedules, s->webhook_resends, s->upstream_faults, s->kills, regs ? regs : "",
           pays ? pays : "", scheds ? scheds : "", entries, total_paid, rows_taken, billkey_taken,
           s->tampered_count, s->tampered_count,
           fx_count(&s->fx, "SELECT count(*) FROM audit_events"));
    fflush(stdout);
    free(regs);
    free(pays);
    free(scheds);
    cJSON_Delete(ledger);
}

START_TEST(the_ledgers_agree_after_chaos)
{
    struct soak s;
    soak_start(&s);
    for (int i = 0; i < s.ops; i++) {
        if (i == s.ops / 2)
            op_kill_midway(&s);
        int op = roll(&s, 100);
        if (op < 40)
            op_register(&s);
        else if (op < 65)
            op_charge(&s);
        else if (op < 80)
            op_schedule(&s);
        else if (op < 90)
            op_resend_webhook(&s);
        else /* webhooks to one instance, the other, or lost */
            aim_webhooks(&s, some_instance(&s), roll(&s, 3) == 0);
    }
    /* the faults left unused, then iamport runs the due schedules with webhooks on */
    cJSON_Delete(sandbox_ctl(&s.fx.sandbox, "DELETE", "/__sandbox/faults", NULL));
    aim_webhooks(&s, some_instance(&s), 0);
    testlib_sleep_ms(5000);
    cJSON_Delete(sandbox_ctl(&s.fx.sandbox, "POST", "/__sandbox/schedules/execute", "{}"));
    wait_settled(&s);
    check_ledgers(&s);
    soak_stop(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("soak");
    TCase *tc = tcase_create("chaos");
    /* about a second per operation, plus the settling */
    tcase_set_timeout(tc, (double)(SETTLE_MS / 1000 + 60 + 3 * env_long("SOAK_OPS", DEFAULT_OPS)));
    tcase_add_test(tc, the_ledgers_agree_after_chaos);
    suite_add_tcase(s, tc);
    return testlib_run_suite(s);
}
