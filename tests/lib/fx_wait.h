/* Waiting in integration tests for what a background thread (webhook worker, reconciler) will do. */
#ifndef BILLKEY_TESTS_FX_WAIT_H
#define BILLKEY_TESTS_FX_WAIT_H

#include "tests/lib/issuance_fixture.h"

/* Polls the integer query (up to 3 parameters, NULL-terminated, may be NULL) every 50 ms until it
 * answers want or wait_ms passed; asserts that it did. Never a timing assertion: wait_ms is only
 * how long to give up after. */
void fx_wait_int(const struct fx *fx, const char *sql, const char *const *params, long long want,
                 long wait_ms);

#endif
