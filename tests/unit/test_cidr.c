/* cidr tests: parsing lists, prefixes at byte and bit boundaries, IPv4-mapped IPv6, refusals. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/cidr.h"
#include "tests/lib/testlib.h"

START_TEST(iamports_senders_match_and_others_do_not)
{
    struct cidr_list l;
    ck_assert_int_eq(cidr_list_parse("52.78.100.19/32, 52.78.48.223,52.78.5.241/32", &l, NULL), 0);
    ck_assert_uint_eq(l.count, 3);
    ck_assert_int_eq(cidr_list_contains(&l, "52.78.100.19"), 1);
    ck_assert_int_eq(cidr_list_contains(&l, "52.78.48.223"), 1);
    ck_assert_int_eq(cidr_list_contains(&l, "::ffff:52.78.5.241"), 1);
    ck_assert_int_eq(cidr_list_contains(&l, "52.78.100.20"), 0);
    ck_assert_int_eq(cidr_list_contains(&l, "127.0.0.1"), 0);
    ck_assert_int_eq(cidr_list_contains(&l, "::1"), 0);
    ck_assert_int_eq(cidr_list_contains(&l, NULL), 0);
    ck_assert_int_eq(cidr_list_contains(&l, "not an address"), 0);
    cidr_list_release(&l);
    cidr_list_release(&l);
}
END_TEST

START_TEST(prefixes_cut_at_any_bit)
{
    struct cidr_list l;
    ck_assert_int_eq(
        cidr_list_parse("10.0.0.0/8 192.168.4.0/22 2001:db8::/33 0.0.0.0/0x", &l, NULL), -1);
    ck_assert_uint_eq(l.count, 0);
    ck_assert_int_eq(cidr_list_parse("10.0.0.0/8 192.168.4.0/22 2001:db8::/33", &l, NULL), 0);
    ck_assert_int_eq(cidr_list_contains(&l, "10.255.1.2"), 1);
    ck_assert_int_eq(cidr_list_contains(&l, "11.0.0.1"), 0);
    ck_assert_int_eq(cidr_list_contains(&l, "192.168.7.255"), 1);
    ck_assert_int_eq(cidr_list_contains(&l, "192.168.8.0"), 0);
    ck_assert_int_eq(cidr_list_contains(&l, "2001:db8:7fff::1"), 1);
    ck_assert_int_eq(cidr_list_contains(&l, "2001:db8:8000::1"), 0);
    cidr_list_release(&l);
    ck_assert_int_eq(cidr_list_parse("0.0.0.0/0", &l, NULL), 0);
    ck_assert_int_eq(cidr_list_contains(&l, "203.0.113.9"), 1);
    ck_assert_int_eq(cidr_list_contains(&l, "2001:db8::1"), 0);
    cidr_list_release(&l);
}
END_TEST

START_TEST(empty_lists_and_bad_entries)
{
    struct cidr_list l;
    char *err = NULL;
    ck_assert_int_eq(cidr_list_parse("", &l, &err), 0);
    ck_assert_uint_eq(l.count, 0);
    ck_assert_ptr_null(err);
    ck_assert_int_eq(cidr_list_parse(NULL, &l, &err), 0);
    ck_assert_int_eq(cidr_list_contains(&l, "127.0.0.1"), 0);
    static const char *const bad[] = {"1.2.3.4/33",   "::/129",     "1.2.3.4/", "1.2.3/8",
                                      "host.example", "1.2.3.4/-1", "[::1]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(cidr_list_parse(bad[i], &l, &err) == -1, "'%s' accepted", bad[i]);
        ck_assert_ptr_nonnull(err);
        ck_assert_ptr_nonnull(strstr(err, bad[i]));
        free(err);
    }
}
END_TEST

static Suite *suite_cidr(void)
{
    Suite *s = suite_create("cidr");
    TCase *tc = tcase_create("cidr");
    tcase_add_test(tc, iamports_senders_match_and_others_do_not);
    tcase_add_test(tc, prefixes_cut_at_any_bit);
    tcase_add_test(tc, empty_lists_and_bad_entries);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_cidr)
