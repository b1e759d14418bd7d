/* Rate limit tests: token buckets per key, refill on a fixed clock, Retry-After, bounded memory. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "server/core/clock.h"
#include "server/core/rate_limit.h"
#include "server/core/slot_table.h"
#include "tests/lib/testlib.h"

START_TEST(a_burst_is_allowed_then_refused_until_refilled)
{
    struct clock c = clock_fixed(1000000);
    struct rate_limit *rl = rate_limit_new(6, 3, 64, &c); /* one token every 10 s */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(rate_limit_take(rl, "203.0.113.1"), 0);
    ck_assert_int_eq(rate_limit_take(rl, "203.0.113.1"), 10);
    ck_assert_int_eq(rate_limit_take(rl, "203.0.113.2"), 0); /* another key has its own */
    c.fixed_ms += 4000;
    ck_assert_int_eq(rate_limit_take(rl, "203.0.113.1"), 6); /* refused attempts cost nothing */
    c.fixed_ms += 6000;
    ck_assert_int_eq(rate_limit_take(rl, "203.0.113.1"), 0);
    ck_assert_int_eq(rate_limit_take(rl, "203.0.113.1"), 10);
    c.fixed_ms += 3600 * 1000; /* a long pause refills only up to the burst */
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(rate_limit_take(rl, "203.0.113.1"), 0);
    ck_assert_int_gt(rate_limit_take(rl, "203.0.113.1"), 0);
    rate_limit_free(rl);
}
END_TEST

START_TEST(zero_per_minute_and_null_allow_everything)
{
    struct rate_limit *rl = rate_limit_new(0, 1, 16, NULL);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(rate_limit_take(rl, "203.0.113.1"), 0);
    rate_limit_free(rl);
    ck_assert_int_eq(rate_limit_take(NULL, "203.0.113.1"), 0);
    rate_limit_free(NULL);
}
END_TEST

/* A flood of distinct keys never grows the table: the stalest entries make room, and a key
 * seen recently keeps its (spent) bucket through it. */
START_TEST(memory_is_bounded_and_the_stalest_keys_go_first)
{
    struct slot_table t;
    slot_table_init(&t, 100);
    ck_assert_uint_eq(t.capacity, 128);
    int claimed = 0;
    for (int i = 0; i < 10000; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", i);
        struct slot *s = slot_table_claim(&t, key, &claimed);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(claimed, 1);
        s->stamp_ms = i;
    }
    ck_assert_ptr_nonnull(slot_table_find(&t, "k9999"));
    ck_assert_ptr_null(slot_table_find(&t, "k0"));
    char too_long[SLOT_KEY_MAX + 1];
    memset(too_long, 'a', SLOT_KEY_MAX);
    too_long[SLOT_KEY_MAX] = '\0';
    ck_assert_ptr_null(slot_table_claim(&t, too_long, &claimed));
    slot_table_release(&t);
    slot_table_release(&t);

    struct clock c = clock_fixed(0);
    struct rate_limit *rl = rate_limit_new(1, 1, 16, &c);
    ck_assert_int_eq(rate_limit_take(rl, "attacker"), 0);
    for (int i = 0; i < 1000; i++) {
        char key[32];
        snprintf(key, sizeof key, "other%d", i);
        c.fixed_ms += 1;
        rate_limit_take(rl, key);
        if (i % 4 == 0)
            ck_assert_int_gt(rate_limit_take(rl, "attacker"), 0); /* seen often: kept */
    }
    rate_limit_free(rl);
}
END_TEST

static Suite *suite_rate_limit(void)
{
    Suite *s = suite_create("rate_limit");
    TCase *tc = tcase_create("buckets");
    tcase_add_test(tc, a_burst_is_allowed_then_refused_until_refilled);
    tcase_add_test(tc, zero_per_minute_and_null_allow_everything);
    tcase_add_test(tc, memory_is_bounded_and_the_stalest_keys_go_first);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_rate_limit)
