/* ids tests: shapes, lengths, refusals and uniqueness of generated merchant_uids and customer_uids. */
#include <stdlib.h>
#include <string.h>

#include "server/core/ids.h"
#include "tests/lib/testlib.h"

static int hex24_after(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 && strlen(s) == n + IDS_RANDOM_HEX_LEN &&
           strspn(s + n, "0123456789abcdef") == IDS_RANDOM_HEX_LEN;
}

START_TEST(shapes_and_lengths)
{
    char mu[IDS_MERCHANT_UID_LEN + 1], pu[IDS_CHARGE_MERCHANT_UID_LEN + 1];
    char cu[IDS_CUSTOMER_UID_MAX + 1];
    ck_assert_int_eq(ids_registration_merchant_uid(mu, sizeof mu), 0);
    ck_assert_msg(hex24_after(mu, "bk_"), "%s", mu);
    ck_assert_uint_eq(strlen(mu), 27);
    ck_assert_int_eq(ids_charge_merchant_uid(pu, sizeof pu), 0);
    ck_assert_msg(hex24_after(pu, "bkp_"), "%s", pu);
    ck_assert_int_eq(ids_customer_uid("naverpay", cu, sizeof cu), 0);
    ck_assert_msg(hex24_after(cu, "cu_naverpay_"), "%s", cu);
    ck_assert_uint_le(strlen(cu), 80);
    ck_assert_int_eq(ids_customer_uid("abcdefghijklmnop", cu, sizeof cu), 0); /* 16: the max */
    ck_assert_uint_eq(strlen(cu), IDS_CUSTOMER_UID_MAX);
}
END_TEST

START_TEST(refusals_leave_an_empty_string)
{
    char small[IDS_MERCHANT_UID_LEN] = "x"; /* one byte short */
    char cu[IDS_CUSTOMER_UID_MAX + 1] = "x";
    ck_assert_int_eq(ids_registration_merchant_uid(small, sizeof small), -1);
    ck_assert_str_eq(small, "");
    const char *bad[] = {"",     "PAYCO", "pay co", "pay_co", "kakaopay.CID", "abcdefghijklmnopq",
                         "../x", "페이코"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        strcpy(cu, "x");
        ck_assert_msg(ids_customer_uid(bad[i], cu, sizeof cu) == -1, "'%s' accepted", bad[i]);
        ck_assert_str_eq(cu, "");
    }
    ck_assert_int_eq(ids_customer_uid(NULL, cu, sizeof cu), -1);
    ck_assert_int_eq(ids_customer_uid("payco", cu, 10), -1);
}
END_TEST

static int compare(const void *a, const void *b)
{
    return strcmp(a, b);
}

START_TEST(ten_thousand_are_distinct)
{
    enum { N = 10000 };
    char(*ids)[IDS_MERCHANT_UID_LEN + 1] = calloc(N, sizeof *ids);
    ck_assert_ptr_nonnull(ids);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(ids_registration_merchant_uid(ids[i], sizeof ids[i]), 0);
    qsort(ids, N, sizeof *ids, compare);
    for (int i = 1; i < N; i++)
        ck_assert_str_ne(ids[i - 1], ids[i]);
    free(ids);
}
END_TEST

static Suite *suite_ids(void)
{
    Suite *s = suite_create("ids");
    TCase *tc = tcase_create("ids");
    tcase_add_test(tc, shapes_and_lengths);
    tcase_add_test(tc, refusals_leave_an_empty_string);
    tcase_add_test(tc, ten_thousand_are_distinct);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_ids)
