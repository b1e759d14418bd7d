/* iamport's own Node.js REST client (npm, unchanged) drives billkey: charge, lookup, schedule, unschedule, cancel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/core/xalloc.h"
#include "tests/lib/child_proc.h"
#include "tests/lib/issuance_fixture.h"
#include "tests/lib/testlib.h"

/* The Node.js interpreter: $NODE, else the first of these that exists. */
static const char *node_binary(void)
{
    static const char *const candidates[] = {"/usr/bin/node", "/usr/local/bin/node",
                                             "/usr/bin/nodejs"};
    const char *env = getenv("NODE");
    if (env && env[0])
        return env;
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
        if (access(candidates[i], X_OK) == 0)
            return candidates[i];
    return NULL;
}

/* fx_sql() of sql with one parameter equals want. */
static void expect_row(const struct fx *fx, const char *sql, const char *param, const char *want)
{
    const char *params[] = {param, NULL};
    char *got = fx_sql(fx, sql, params);
    ck_assert_msg(got && strcmp(got, want) == 0, "%s [%s]: '%s', want '%s'", sql, param,
                  got ? got : "(null)", want);
    free(got);
}

START_TEST(iamport_rest_client_nodejs_runs_unchanged_against_billkey)
{
    struct fx fx;
    const char *node = node_binary();
    ck_assert_msg(node != NULL, "no Node.js (scripts/deps.sh test installs it)");
    char *script = testlib_source_path("tests/published-client/client_flow.js");
    char *modules = testlib_source_path("tests/published-client/node_modules/"
                                        "iamport-rest-client-nodejs/package.json");
    ck_assert_msg(access(modules, R_OK) == 0,
                  "%s is missing: scripts/test.sh installs it with npm ci", modules);

    fx_start(&fx, NULL);
    char *cu = fx_active_key(&fx, "payco", 0, NULL);
    fx_clear_requests(&fx);
    char run_id[32], charge_uid[64], schedule_uid[64];
    snprintf(run_id, sizeof run_id, "%ld", (long)time(NULL) % 1000000);
    snprintf(charge_uid, sizeof charge_uid, "npm_%s_charge", run_id);
    snprintf(schedule_uid, sizeof schedule_uid, "npm_%s_sched", run_id);

    /* Only the base URL differs from production: billkey's own key name and key log in. */
    const char *argv[] = {script, fx.billkeyd.base_url, FX_API_KEY_NAME, FX_API_KEY, cu, run_id,
                          NULL};
    char *output = NULL;
    int rc = child_run_once(node, argv, NULL, true, 60000, &output);
    ck_assert_msg(rc == 0, "client_flow.js exited %d:\n%s", rc, output);
    ck_assert_msg(strstr(output, "published client: 5 steps passed") != NULL, "%s", output);

    /* billkey's ledger saw every step */
    expect_row(&fx,
               "SELECT kind || ' ' || status || ' ' || amount || ' ' || cancel_amount || ' ' || "
               "created_by FROM payments WHERE merchant_uid = $1",
               charge_uid, "again cancelled 1500 1500 shop");
    expect_row(&fx,
               "SELECT schedule_status || ' ' || amount FROM schedules WHERE merchant_uid = $1",
               schedule_uid, "revoked 2500");
    const char *charge[] = {charge_uid, NULL};
    ck_assert_int_eq(fx_sql_int(&fx,
                                "SELECT count(*) FROM audit_events WHERE actor = 'api:shop' "
                                "AND subject = $1 AND action = 'payment.paid'",
                                charge),
                     1);
    /* one real charge at iamport, none for the revoked schedule */
    struct fx_ledger l;
    fx_ledger(&fx, charge_uid, &l);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.amount, 1500);
    fx_ledger_release(&l);
    fx_ledger(&fx, schedule_uid, &l);
    ck_assert_int_eq(l.count, 0);
    fx_ledger_release(&l);

    free(output);
    free(cu);
    free(script);
    free(modules);
    fx_stop(&fx);
}
END_TEST

static Suite *suite_published_client(void)
{
    Suite *s = suite_create("published_client");
    TCase *tc = tcase_create("iamport-rest-client-nodejs");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, iamport_rest_client_nodejs_runs_unchanged_against_billkey);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_published_client)
