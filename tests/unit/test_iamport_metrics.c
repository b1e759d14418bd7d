/* iamport_metrics tests: request paths to endpoint patterns, exchanges to outcomes. */
#include <string.h>

#include <cjson/cJSON.h>

#include "server/iamport/iamport_metrics.h"
#include "tests/lib/testlib.h"

static const struct {
    const char *path;
    const char *endpoint;
} paths[] = {
    {"/users/getToken", "/users/getToken"},
    {"/payments/imp_123456789012", "/payments/{imp_uid}"},
    {"/payments/imp_1?include_sandbox=true", "/payments/{imp_uid}"},
    {"/payments/cancel", "/payments/cancel"},
    {"/payments/prepare", "/payments/prepare"},
    {"/payments/prepare/bk_1", "/payments/prepare/{merchant_uid}"},
    {"/payments/find/bkp_1", "/payments/find/{merchant_uid}"},
    {"/payments/find/bkp_1/paid?include_sandbox=true", "/payments/find/{merchant_uid}/{status}"},
    {"/subscribe/payments/again", "/subscribe/payments/again"},
    {"/subscribe/payments/schedule", "/subscribe/payments/schedule"},
    {"/subscribe/payments/unschedule", "/subscribe/payments/unschedule"},
    {"/subscribe/payments/schedule/m%2F1", "/subscribe/payments/schedule/{merchant_uid}"},
    {"/subscribe/payments/schedule/customers/cu_1?from=1&to=2",
     "/subscribe/payments/schedule/customers/{customer_uid}"},
    {"/subscribe/customers/cu_payco_1", "/subscribe/customers/{customer_uid}"},
    {"/subscribe/customers/cu_1?reason=x", "/subscribe/customers/{customer_uid}"},
    {"/payments/", "other"},
    {"/payments//x", "other"},
    {"/elsewhere", "other"},
};

START_TEST(paths_map_to_their_endpoint_pattern)
{
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        ck_assert_msg(strcmp(iamport_metrics_endpoint(paths[i].path), paths[i].endpoint) == 0,
                      "'%s' gave '%s', want '%s'", paths[i].path,
                      iamport_metrics_endpoint(paths[i].path), paths[i].endpoint);
}
END_TEST

START_TEST(outcomes_tell_declines_refusals_and_timeouts_apart)
{
    cJSON *failed = cJSON_Parse("{\"status\":\"failed\"}");
    cJSON *paid = cJSON_Parse("{\"status\":\"paid\"}");
    ck_assert_str_eq(iamport_metrics_outcome(true, IAMPORT_OK, paid, false), "ok");
    ck_assert_str_eq(iamport_metrics_outcome(true, IAMPORT_OK, failed, false), "declined");
    /* a lookup of a failed payment is an answer, not a decline */
    ck_assert_str_eq(iamport_metrics_outcome(false, IAMPORT_OK, failed, false), "ok");
    ck_assert_str_eq(iamport_metrics_outcome(true, IAMPORT_E_API, NULL, false), "refused");
    ck_assert_str_eq(iamport_metrics_outcome(false, IAMPORT_E_NOT_FOUND, NULL, false), "refused");
    ck_assert_str_eq(iamport_metrics_outcome(false, IAMPORT_E_AUTH, NULL, false), "refused");
    ck_assert_str_eq(iamport_metrics_outcome(true, IAMPORT_E_TIMEOUT_UNKNOWN, NULL, true),
                     "timeout");
    ck_assert_str_eq(iamport_metrics_outcome(false, IAMPORT_E_TRANSPORT, NULL, true), "timeout");
    ck_assert_str_eq(iamport_metrics_outcome(true, IAMPORT_E_TIMEOUT_UNKNOWN, NULL, false),
                     "unknown");
    ck_assert_str_eq(iamport_metrics_outcome(false, IAMPORT_E_TRANSPORT, NULL, false), "unknown");
    ck_assert_str_eq(iamport_metrics_outcome(false, IAMPORT_E_HTTP, NULL, false), "unknown");
    ck_assert_str_eq(iamport_metrics_outcome(false, IAMPORT_E_PARSE, NULL, false), "unknown");
    cJSON_Delete(failed);
    cJSON_Delete(paid);
}
END_TEST

static Suite *suite_iamport_metrics(void)
{
    Suite *s = suite_create("iamport_metrics");
    TCase *tc = tcase_create("labels");
    tcase_add_test(tc, paths_map_to_their_endpoint_pattern);
    tcase_add_test(tc, outcomes_tell_declines_refusals_and_timeouts_apart);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_iamport_metrics)
