/* Waiting in integration tests for what a background thread (webhook worker, reconciler) will do. */
#include "tests/lib/fx_wait.h"

#include <check.h>

#include "tests/lib/testlib.h"

void fx_wait_int(const struct fx *fx, const char *sql, const char *const *params, long long want,
                 long wait_ms)
{
    long long got = 0;
    for (long waited = 0;; waited += 50) {
        got = fx_sql_int(fx, sql, params);
        if (got == want || waited >= wait_ms)
            break;
        testlib_sleep_ms(50);
    }
    ck_assert_msg(got == want, "%s: %lld after %ld ms, want %lld", sql, got, wait_ms, want);
}
