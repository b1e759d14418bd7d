/* issuance_rules tests: accept / fail / reject / not-completed for every PG and every kind of mismatch. */
#include <string.h>

#include "server/iamport/iamport.h"
#include "server/billing/issuance_rules.h"
#include "server/billing/pg_profile.h"
#include "tests/lib/testlib.h"

#define CU "cu_payco_000000000000000000000000"

/* An issuance payment as the sandbox's window makes it: paid, usage issue, this customer_uid. */
static struct iamport_payment payment(const char *pg_provider, int64_t amount)
{
    struct iamport_payment p;
    memset(&p, 0, sizeof p);
    p.imp_uid = (char *)"imp_000000000001";
    p.merchant_uid = (char *)"bk_x";
    p.status = IAMPORT_PAYMENT_PAID;
    p.status_text = (char *)"paid";
    p.amount = amount;
    p.pg_provider = (char *)pg_provider;
    p.customer_uid = (char *)CU;
    p.customer_uid_usage = (char *)"issue";
    return p;
}

static struct issuance_check check(const char *pg, int64_t window, const struct iamport_payment *p)
{
    struct issuance_expectation e = {pg_profile_find(pg), CU, window};
    struct issuance_check c;
    issuance_check_payment(&e, p, &c);
    return c;
}

START_TEST(paid_issuance_is_accepted_on_every_pg)
{
    static const char *const pgs[] = {"payco", "kakaopay", "kicc", "chai", "naverpay"};
    for (size_t i = 0; i < 5; i++) {
        /* display-only PGs accept any shown amount; KakaoPay the exact window amount */
        int64_t window = strcmp(pgs[i], "kakaopay") == 0 || strcmp(pgs[i], "chai") == 0 ? 0 : 9900;
        struct iamport_payment p = payment(pgs[i], window);
        struct issuance_check c = check(pgs[i], window, &p);
        ck_assert_msg(c.decision == ISSUANCE_ACCEPT, "%s: %s", pgs[i], c.reason);
        ck_assert_int_eq(c.money_moved, 0);
    }
    struct iamport_payment p = payment("payco", 12345); /* display amount differs: harmless */
    ck_assert_int_eq(check("payco", 9900, &p).decision, ISSUANCE_ACCEPT);
    p = payment("kakaopay", 9900);
    ck_assert_int_eq(check("kakaopay", 9900, &p).decision, ISSUANCE_ACCEPT);
}
END_TEST

START_TEST(ready_is_success_only_for_kakaopay_issue_only)
{
    struct iamport_payment p = payment("kakaopay", 0);
    p.status = IAMPORT_PAYMENT_READY;
    p.status_text = (char *)"ready";
    ck_assert_int_eq(check("kakaopay", 0, &p).decision, ISSUANCE_ACCEPT);
    p.amount = 9900;
    ck_assert_int_eq(check("kakaopay", 9900, &p).decision, ISSUANCE_NOT_COMPLETED);
    p = payment("payco", 9900);
    p.status = IAMPORT_PAYMENT_READY;
    p.status_text = (char *)"ready";
    struct issuance_check c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_NOT_COMPLETED);
    ck_assert_str_eq(c.reason, "iamport reports status 'ready': not completed");
    p.status = IAMPORT_PAYMENT_UNKNOWN;
    p.status_text = (char *)"<b>weird</b>";
    c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_NOT_COMPLETED);
    ck_assert_str_eq(c.reason, "iamport reports status '<b>weird</b>'");
}
END_TEST

START_TEST(failed_window_fails_with_the_pg_message)
{
    struct iamport_payment p = payment("kakaopay", 9900);
    p.status = IAMPORT_PAYMENT_FAILED;
    p.fail_reason = (char *)"[CB] 카드 한도초과";
    struct issuance_check c = check("kakaopay", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_FAIL);
    ck_assert_str_eq(c.reason, "[CB] 카드 한도초과");
    p.fail_reason = NULL;
    ck_assert_str_eq(check("kakaopay", 9900, &p).reason, "the PG reported a failure");
}
END_TEST

START_TEST(identity_mismatches_are_rejected)
{
    struct iamport_payment p = payment("payco", 9900);
    p.customer_uid = (char *)"cu_attacker";
    struct issuance_check c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_str_eq(c.reason, "customer_uid 'cu_attacker' is not the registration's '" CU "'");
    ck_assert_int_eq(c.money_moved, 0); /* a display-only issuance moved nothing */

    p = payment("kicc", 9900);
    c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_str_eq(c.reason, "pg_provider 'kicc' is not the registration's 'payco'");

    p = payment("payco", 9900);
    p.customer_uid_usage = NULL; /* an ordinary payment under the registration's merchant_uid */
    c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_str_eq(c.reason, "customer_uid_usage '(null)' is not 'issue'");
    ck_assert_int_eq(c.money_moved, 1); /* it took 9900 won: cancel it */

    p = payment("payco", 9900);
    p.customer_uid = NULL;
    p.status = IAMPORT_PAYMENT_FAILED; /* identity is checked before the status */
    c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 0);
}
END_TEST

/* The payment's own PG decides whether money moved: a KakaoPay window charge (or one of a PG
 * billkey does not know) made under a display-only registration took money and must be
 * cancelled. */
START_TEST(charge_by_another_pg_counts_as_money_moved)
{
    struct iamport_payment p = payment("kakaopay", 9900);
    struct issuance_check c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_str_eq(c.reason, "pg_provider 'kakaopay' is not the registration's 'payco'");
    ck_assert_int_eq(c.money_moved, 1);

    p = payment("html5_inicis", 9900);
    c = check("naverpay", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 1);

    p = payment(NULL, 9900);
    c = check("kicc", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 1);

    p = payment("kicc", 9900); /* another display-only PG: nothing was charged */
    c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 0);
}
END_TEST

START_TEST(kakaopay_amount_must_match)
{
    struct iamport_payment p = payment("kakaopay", 100);
    struct issuance_check c = check("kakaopay", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_str_eq(c.reason, "amount 100 is not the expected 9900");
    ck_assert_int_eq(c.money_moved, 1);

    p = payment("kakaopay", 5000); /* issue-only registration, yet money was taken */
    c = check("kakaopay", 0, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 1);

    p = payment("kakaopay", 0); /* charge_now registration, but nothing was charged */
    c = check("kakaopay", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_int_eq(c.money_moved, 0);
}
END_TEST

START_TEST(cancelled_issuance_is_rejected_without_cancel)
{
    struct iamport_payment p = payment("kakaopay", 9900);
    p.status = IAMPORT_PAYMENT_CANCELLED;
    struct issuance_check c = check("kakaopay", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    ck_assert_str_eq(c.reason, "the issuance payment was cancelled");
    ck_assert_int_eq(c.money_moved, 0);
}
END_TEST

START_TEST(reasons_cut_long_hostile_values_at_character_boundaries)
{
    char long_uid[400];
    memset(long_uid, 0, sizeof long_uid);
    for (int i = 0; i < 100; i++)
        memcpy(long_uid + 3 * i, "가", 3);
    struct iamport_payment p = payment("payco", 9900);
    p.customer_uid = long_uid;
    struct issuance_check c = check("payco", 9900, &p);
    ck_assert_int_eq(c.decision, ISSUANCE_REJECT);
    /* 80 bytes of a 3-byte character quote 26 characters (78 bytes) */
    ck_assert_ptr_nonnull(strstr(c.reason, "' is not the registration's"));
    ck_assert_uint_eq(strlen(c.reason), strlen("customer_uid '") + 78 +
                                            strlen("' is not the registration's '" CU "'"));
}
END_TEST

static Suite *suite_issuance_rules(void)
{
    Suite *s = suite_create("issuance_rules");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, paid_issuance_is_accepted_on_every_pg);
    tcase_add_test(tc, ready_is_success_only_for_kakaopay_issue_only);
    tcase_add_test(tc, failed_window_fails_with_the_pg_message);
    tcase_add_test(tc, identity_mismatches_are_rejected);
    tcase_add_test(tc, kakaopay_amount_must_match);
    tcase_add_test(tc, charge_by_another_pg_counts_as_money_moved);
    tcase_add_test(tc, cancelled_issuance_is_rejected_without_cancel);
    tcase_add_test(tc, reasons_cut_long_hostile_values_at_character_boundaries);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_issuance_rules)
