/* first_charge decisions: iamport's payment → ledger status, and refused-before-charging vs look-up. */
#include <stdio.h>
#include <string.h>

#include "server/billing/first_charge_outcome.h"
#include "server/iamport/iamport.h"
#include "tests/lib/testlib.h"

static struct iamport_payment payment(enum iamport_payment_status st, const char *text)
{
    struct iamport_payment p;
    memset(&p, 0, sizeof p);
    p.imp_uid = (char *)"imp_000000000001";
    p.merchant_uid = (char *)"bkp_x";
    p.status = st;
    p.status_text = (char *)text;
    p.amount = 9900;
    return p;
}

/* An outcome with leftovers, to see that every field is written. */
static struct charge_outcome stale(void)
{
    struct charge_outcome o;
    o.status = "stale";
    strcpy(o.fail_reason, "stale reason");
    o.cancel_amount = -1;
    return o;
}

START_TEST(payment_status_maps_to_ledger_status)
{
    static const struct {
        enum iamport_payment_status status;
        const char *text;
        const char *fail_reason; /* iamport's */
        const char *want_status;
        const char *want_reason;
    } cases[] = {
        {IAMPORT_PAYMENT_PAID, "paid", NULL, "paid", ""},
        {IAMPORT_PAYMENT_PAID, "paid", "ignored", "paid", ""},
        {IAMPORT_PAYMENT_FAILED, "failed", "[F113] 카드 한도초과", "failed",
         "[F113] 카드 한도초과"},
        {IAMPORT_PAYMENT_FAILED, "failed", NULL, "failed", "the charge was declined"},
        {IAMPORT_PAYMENT_CANCELLED, "cancelled", NULL, "cancelled", ""},
        {IAMPORT_PAYMENT_READY, "ready", NULL, "unknown", "iamport reports status 'ready'"},
        {IAMPORT_PAYMENT_UNKNOWN, "vbank_issued", NULL, "unknown",
         "iamport reports status 'vbank_issued'"},
        {IAMPORT_PAYMENT_UNKNOWN, NULL, NULL, "unknown", "iamport reports status ''"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct iamport_payment p = payment(cases[i].status, cases[i].text);
        p.fail_reason = (char *)cases[i].fail_reason;
        struct charge_outcome o = stale();
        charge_outcome_from_payment(&p, &o);
        ck_assert_msg(strcmp(o.status, cases[i].want_status) == 0, "case %zu: %s", i, o.status);
        ck_assert_msg(strcmp(o.fail_reason, cases[i].want_reason) == 0, "case %zu: %s", i,
                      o.fail_reason);
    }
}
END_TEST

/* A partly cancelled charge stays "paid" at iamport; the outcome carries what was cancelled so
 * the ledger row counts its net (amount - cancel_amount), never the amount in full. */
START_TEST(partly_cancelled_charge_carries_its_cancel_amount)
{
    struct iamport_payment p = payment(IAMPORT_PAYMENT_PAID, "paid");
    p.cancel_amount = 3000;
    struct charge_outcome o = stale();
    charge_outcome_from_payment(&p, &o);
    ck_assert_str_eq(o.status, "paid");
    ck_assert_int_eq(o.cancel_amount, 3000);
    p.cancel_amount = 0;
    o = stale();
    charge_outcome_from_payment(&p, &o);
    ck_assert_int_eq(o.cancel_amount, 0);
    p = payment(IAMPORT_PAYMENT_CANCELLED, "cancelled");
    p.cancel_amount = 9900;
    charge_outcome_from_payment(&p, &o);
    ck_assert_str_eq(o.status, "cancelled");
    ck_assert_int_eq(o.cancel_amount, 9900);
}
END_TEST

START_TEST(long_fail_reasons_are_cut_at_a_character_boundary)
{
    char reason[1000] = "";
    for (int i = 0; i < 300; i++)
        strcat(reason, "가");
    struct iamport_payment p = payment(IAMPORT_PAYMENT_FAILED, "failed");
    p.fail_reason = reason;
    struct charge_outcome o;
    charge_outcome_from_payment(&p, &o);
    ck_assert_uint_eq(strlen(o.fail_reason), 597); /* 199 characters of 3 bytes fit in 599 */
    ck_assert_int_eq(strncmp(o.fail_reason, reason, 597), 0);
}
END_TEST

static struct iamport_error error(int http_status, const char *message, int timed_out)
{
    struct iamport_error e;
    memset(&e, 0, sizeof e);
    e.http_status = http_status;
    snprintf(e.message, sizeof e.message, "%s", message);
    e.timed_out = timed_out;
    return e;
}

/* Never sent → not_sent; refused before charging → failed, never looked up; may-have-charged →
 * look up, untouched. */
START_TEST(refused_is_failed_and_unknown_is_looked_up)
{
    static const struct {
        enum iamport_status st;
        int http_status;
        const char *message;
        int timed_out;
        enum charge_next want;
        const char *want_reason; /* CHARGE_SETTLE only */
    } cases[] = {
        {IAMPORT_E_API, 200, "카드정보 인증에 실패하였습니다", 0, CHARGE_SETTLE,
         "iamport refused the charge (api): 카드정보 인증에 실패하였습니다"},
        {IAMPORT_E_API, 400, "", 0, CHARGE_SETTLE, "iamport refused the charge (api)"},
        {IAMPORT_E_NOT_FOUND, 404, "no customer", 0, CHARGE_SETTLE,
         "iamport refused the charge (not_found): no customer"},
        {IAMPORT_E_TRANSPORT, 0, "", 0, CHARGE_SETTLE,
         "the charge was not sent to iamport (transport)"},
        {IAMPORT_E_AUTH, 401, "", 0, CHARGE_SETTLE, "the charge was not sent to iamport (auth)"},
        {IAMPORT_E_HTTP, 400, "", 0, CHARGE_SETTLE, "iamport refused the charge (http)"},
        {IAMPORT_E_API, 500, "", 0, CHARGE_LOOK_UP, NULL},
        {IAMPORT_E_HTTP, 502, "", 0, CHARGE_LOOK_UP, NULL},
        {IAMPORT_E_TIMEOUT_UNKNOWN, 0, "", 1, CHARGE_LOOK_UP, NULL},
        {IAMPORT_E_PARSE, 200, "", 0, CHARGE_LOOK_UP, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct iamport_error err =
            error(cases[i].http_status, cases[i].message, cases[i].timed_out);
        struct charge_outcome o = stale();
        enum charge_next next = charge_outcome_after_failure(cases[i].st, &err, &o);
        ck_assert_msg(next == cases[i].want, "case %zu (%s): %d", i,
                      iamport_status_name(cases[i].st), (int)next);
        if (next == CHARGE_LOOK_UP) {
            ck_assert_str_eq(o.status, "stale"); /* nothing decided before the lookup */
            ck_assert_str_eq(o.fail_reason, "stale reason");
            continue;
        }
        ck_assert_str_eq(o.status, strncmp(cases[i].want_reason, "the charge was not sent", 23) == 0
                                       ? "not_sent"
                                       : "failed");
        ck_assert_msg(strcmp(o.fail_reason, cases[i].want_reason) == 0, "case %zu: %s", i,
                      o.fail_reason);
    }
}
END_TEST

START_TEST(failed_lookup_leaves_unknown_for_the_reconciler)
{
    struct charge_outcome o = stale();
    charge_outcome_lookup_failed(IAMPORT_E_TIMEOUT_UNKNOWN, &o);
    ck_assert_str_eq(o.status, "unknown");
    ck_assert_str_eq(o.fail_reason,
                     "the charge's outcome is unknown (lookup: timeout_unknown); the reconciler "
                     "settles it");
    charge_outcome_lookup_failed(IAMPORT_E_NOT_FOUND, &o);
    ck_assert_str_eq(o.status, "unknown");
    ck_assert_ptr_nonnull(strstr(o.fail_reason, "(lookup: not_found)"));
}
END_TEST

static Suite *suite_first_charge(void)
{
    Suite *s = suite_create("first_charge");
    TCase *tc = tcase_create("decisions");
    tcase_add_test(tc, payment_status_maps_to_ledger_status);
    tcase_add_test(tc, partly_cancelled_charge_carries_its_cancel_amount);
    tcase_add_test(tc, long_fail_reasons_are_cut_at_a_character_boundary);
    tcase_add_test(tc, refused_is_failed_and_unknown_is_looked_up);
    tcase_add_test(tc, failed_lookup_leaves_unknown_for_the_reconciler);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_first_charge)
