/* kst tests: the Korean date at day, month and year ends, a leap day, the epoch and before it. */
#include <stdint.h>
#include <string.h>

#include "server/billing/kst.h"
#include "server/core/clock.h"
#include "tests/lib/testlib.h"

#define S 1000LL /* milliseconds per second */

static const char *date_at(int64_t ms, char out[9])
{
    struct clock c = clock_fixed(ms);
    kst_date(&c, out);
    return out;
}

START_TEST(dates_change_at_midnight_kst)
{
    static const struct {
        int64_t ms;
        const char *utc; /* for the failure message */
        const char *want;
    } cases[] = {
        {1796569199 * S, "2026-12-06T14:59:59Z", "20261206"},
        {1796569199 * S + 999, "2026-12-06T14:59:59.999Z", "20261206"},
        {1796569200 * S, "2026-12-06T15:00:00Z", "20261207"},
        {1796482800 * S, "2026-12-05T15:00:00Z", "20261206"},
        /* month end: 2026-11-30T15:00Z is 12-01 in Korea */
        {1796050799 * S, "2026-11-30T14:59:59Z", "20261130"},
        {1796050800 * S, "2026-11-30T15:00:00Z", "20261201"},
        /* year end */
        {1798729199 * S, "2026-12-31T14:59:59Z", "20261231"},
        {1798729200 * S, "2026-12-31T15:00:00Z", "20270101"},
        /* leap day 2028-02-29 */
        {1835362799 * S, "2028-02-28T14:59:59Z", "20280228"},
        {1835362800 * S, "2028-02-28T15:00:00Z", "20280229"},
        {1835449200 * S, "2028-02-29T15:00:00Z", "20280301"},
        /* 2100 is not a leap year */
        {4107510000 * S, "2100-02-28T15:00:00Z", "21000301"},
        /* the epoch is 09:00 in Korea; before it, floor (not truncate) the milliseconds */
        {0, "1970-01-01T00:00:00Z", "19700101"},
        {-1, "1969-12-31T23:59:59.999Z", "19700101"},
        {-32400 * S, "1969-12-31T15:00:00Z", "19700101"},
        {-32400 * S - 1, "1969-12-31T14:59:59.999Z", "19691231"},
        {-86400 * S * 365, "1969-01-01T00:00:00Z", "19690101"},
    };
    char out[9];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(strcmp(date_at(cases[i].ms, out), cases[i].want) == 0, "%s: %s, want %s",
                      cases[i].utc, out, cases[i].want);
}
END_TEST

START_TEST(years_beyond_four_digits_give_empty)
{
    char out[9] = "xxxxxxxx";
    ck_assert_str_eq(date_at(253402268399LL * S, out), "99991231"); /* 9999-12-31T14:59:59Z */
    ck_assert_str_eq(date_at(253402268400LL * S, out), "");         /* year 10000 in Korea */
    ck_assert_str_eq(date_at(INT64_MAX, out), "");
    ck_assert_str_eq(date_at(INT64_MIN / 2, out), "");
}
END_TEST

START_TEST(null_clock_is_the_system_clock)
{
    char a[9], b[9], c[9];
    struct clock sys = clock_fixed(clock_now_ms(NULL));
    date_at(sys.fixed_ms, a);
    kst_date(NULL, b);
    date_at(clock_now_ms(NULL), c);
    ck_assert_uint_eq(strlen(b), 8);
    ck_assert_msg(strcmp(a, b) == 0 || strcmp(b, c) == 0, "%s %s %s", a, b, c);
}
END_TEST

static Suite *suite_kst(void)
{
    Suite *s = suite_create("kst");
    TCase *tc = tcase_create("kst_date");
    tcase_add_test(tc, dates_change_at_midnight_kst);
    tcase_add_test(tc, years_beyond_four_digits_give_empty);
    tcase_add_test(tc, null_clock_is_the_system_clock);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_kst)
