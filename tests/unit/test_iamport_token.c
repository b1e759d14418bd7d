/* iamport token rule tests: when a cached token is still used and when it is refreshed. */
#include <stdint.h>

#include "server/core/clock.h"
#include "server/iamport/iamport_token.h"
#include "tests/lib/testlib.h"

#define MINUTES_30_S 1800
#define LOCAL_RECEIVED_MS INT64_C(1800000000000) /* 2027-01-15, by the local clock */
#define LOCAL_RECEIVED_S (LOCAL_RECEIVED_MS / 1000)

/* A 30-minute token received at LOCAL_RECEIVED_MS, with iamport's clock `skew_s` seconds ahead
 * of ours (negative: behind). */
static struct iamport_token_times token_30min(int64_t skew_s)
{
    struct iamport_token_times t = {
        .received_ms = LOCAL_RECEIVED_MS,
        .iamport_now_s = LOCAL_RECEIVED_S + skew_s,
        .expired_at_s = LOCAL_RECEIVED_S + skew_s + MINUTES_30_S,
    };
    return t;
}

/* Local time `s` seconds (plus `ms`) after the token was received. */
static int64_t after(int64_t s, int64_t ms)
{
    return LOCAL_RECEIVED_MS + s * 1000 + ms;
}

START_TEST(fresh_token_is_used)
{
    struct iamport_token_times t = token_30min(0);
    ck_assert_int_eq(iamport_token_ms_left(&t, after(0, 0)), MINUTES_30_S * 1000);
    ck_assert(!iamport_token_needs_refresh(&t, after(0, 0)));
    ck_assert(!iamport_token_needs_refresh(&t, after(600, 0)));
    ck_assert_int_eq(iamport_token_ms_left(&t, after(600, 0)), (MINUTES_30_S - 600) * 1000);
}
END_TEST

START_TEST(refresh_exactly_at_the_60_s_margin)
{
    struct iamport_token_times t = token_30min(0);
    ck_assert(!iamport_token_needs_refresh(&t, after(MINUTES_30_S - 61, 0)));
    ck_assert(!iamport_token_needs_refresh(&t, after(MINUTES_30_S - 60, -1)));
    ck_assert_int_eq(iamport_token_ms_left(&t, after(MINUTES_30_S - 60, 0)),
                     IAMPORT_TOKEN_REFRESH_AHEAD_MS);
    ck_assert(iamport_token_needs_refresh(&t, after(MINUTES_30_S - 60, 0)));
    ck_assert(iamport_token_needs_refresh(&t, after(MINUTES_30_S - 59, 0)));
    ck_assert(iamport_token_needs_refresh(&t, after(MINUTES_30_S, 0)));
    ck_assert(iamport_token_needs_refresh(&t, after(MINUTES_30_S * 100, 0)));
    ck_assert_int_eq(iamport_token_ms_left(&t, after(MINUTES_30_S * 100, 0)), 0);
}
END_TEST

START_TEST(driven_by_an_injected_clock)
{
    struct iamport_token_times t = token_30min(0);
    struct clock local = clock_fixed(LOCAL_RECEIVED_MS);
    ck_assert(!iamport_token_needs_refresh(&t, clock_now_ms(&local)));
    local.fixed_ms += (MINUTES_30_S - 61) * 1000;
    ck_assert(!iamport_token_needs_refresh(&t, clock_now_ms(&local)));
    local.fixed_ms += 1000;
    ck_assert(iamport_token_needs_refresh(&t, clock_now_ms(&local)));
}
END_TEST

START_TEST(iamport_clock_skew_does_not_matter)
{
    /* Only expired_at - now counts: the same answers whether iamport's clock is ahead of ours,
     * behind it, or before the epoch. */
    const int64_t skews_s[] = {0, 1, -1, 864000, -864000, 3 * 365 * 86400, -LOCAL_RECEIVED_S * 2};
    for (size_t i = 0; i < sizeof skews_s / sizeof skews_s[0]; i++) {
        struct iamport_token_times t = token_30min(skews_s[i]);
        ck_assert_msg(!iamport_token_needs_refresh(&t, after(0, 0)), "skew %lld",
                      (long long)skews_s[i]);
        ck_assert_msg(!iamport_token_needs_refresh(&t, after(MINUTES_30_S - 61, 0)), "skew %lld",
                      (long long)skews_s[i]);
        ck_assert_msg(iamport_token_needs_refresh(&t, after(MINUTES_30_S - 60, 0)), "skew %lld",
                      (long long)skews_s[i]);
    }
}
END_TEST

START_TEST(expired_at_not_after_now_is_refreshed_at_once)
{
    struct iamport_token_times t = token_30min(0);
    t.expired_at_s = t.iamport_now_s;
    ck_assert_int_eq(iamport_token_ms_left(&t, after(0, 0)), 0);
    ck_assert(iamport_token_needs_refresh(&t, after(0, 0)));
    t.expired_at_s = t.iamport_now_s - 3600;
    ck_assert_int_eq(iamport_token_ms_left(&t, after(0, 0)), 0);
    ck_assert(iamport_token_needs_refresh(&t, after(0, 0)));

    /* A lifetime of exactly the margin is already due; one second more is not. */
    t.expired_at_s = t.iamport_now_s + 60;
    ck_assert(iamport_token_needs_refresh(&t, after(0, 0)));
    t.expired_at_s = t.iamport_now_s + 61;
    ck_assert(!iamport_token_needs_refresh(&t, after(0, 0)));
    ck_assert(iamport_token_needs_refresh(&t, after(1, 0)));
}
END_TEST

START_TEST(token_from_the_future_is_refreshed)
{
    /* The local clock now reads earlier than when the token arrived (it was set back): how much
     * of the token was used cannot be told, so it is not trusted. */
    struct iamport_token_times t = token_30min(0);
    ck_assert_int_eq(iamport_token_ms_left(&t, after(0, -1)), 0);
    ck_assert(iamport_token_needs_refresh(&t, after(0, -1)));
    ck_assert(iamport_token_needs_refresh(&t, after(-3600, 0)));
    ck_assert(iamport_token_needs_refresh(&t, INT64_MIN));
}
END_TEST

START_TEST(huge_values_do_not_overflow)
{
    /* iamport's lifetime is clamped to one day, whatever the distance between its numbers. */
    struct iamport_token_times t = {
        .received_ms = LOCAL_RECEIVED_MS, .iamport_now_s = INT64_MIN, .expired_at_s = INT64_MAX};
    ck_assert_int_eq(iamport_token_ms_left(&t, after(0, 0)),
                     IAMPORT_TOKEN_MAX_LIFETIME_S * INT64_C(1000));
    ck_assert(!iamport_token_needs_refresh(&t, after(IAMPORT_TOKEN_MAX_LIFETIME_S - 61, 0)));
    ck_assert(iamport_token_needs_refresh(&t, after(IAMPORT_TOKEN_MAX_LIFETIME_S - 60, 0)));

    t.iamport_now_s = INT64_MAX;
    t.expired_at_s = INT64_MIN;
    ck_assert_int_eq(iamport_token_ms_left(&t, after(0, 0)), 0);

    t.iamport_now_s = INT64_MAX - MINUTES_30_S;
    t.expired_at_s = INT64_MAX;
    ck_assert_int_eq(iamport_token_ms_left(&t, after(0, 0)), MINUTES_30_S * 1000);

    /* Local times at the ends of the range. */
    t = token_30min(0);
    t.received_ms = INT64_MIN;
    ck_assert_int_eq(iamport_token_ms_left(&t, INT64_MAX), 0);
    ck_assert(iamport_token_needs_refresh(&t, INT64_MAX));
    ck_assert_int_eq(iamport_token_ms_left(&t, INT64_MIN + 5), MINUTES_30_S * 1000 - 5);
    t.received_ms = INT64_MAX - 5;
    ck_assert_int_eq(iamport_token_ms_left(&t, INT64_MAX), MINUTES_30_S * 1000 - 5);
    ck_assert(!iamport_token_needs_refresh(&t, INT64_MAX));
}
END_TEST

static Suite *suite_iamport_token(void)
{
    Suite *s = suite_create("iamport_token");
    TCase *tc = tcase_create("refresh rule");
    tcase_add_test(tc, fresh_token_is_used);
    tcase_add_test(tc, refresh_exactly_at_the_60_s_margin);
    tcase_add_test(tc, driven_by_an_injected_clock);
    tcase_add_test(tc, iamport_clock_skew_does_not_matter);
    tcase_add_test(tc, expired_at_not_after_now_is_refreshed_at_once);
    tcase_add_test(tc, token_from_the_future_is_refreshed);
    tcase_add_test(tc, huge_values_do_not_overflow);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_iamport_token)
