/* Shared helpers for the Check suites: a main() per test file, env lookups, files, pg.sh, polling. */
#ifndef BILLKEY_TESTLIB_H
#define BILLKEY_TESTLIB_H

#include <check.h>
#include <cjson/cJSON.h>
#include <stddef.h>

/* Each tests/{unit,integration}/test_<x>.c defines `Suite *suite_<x>(void)` and ends with
 * TESTLIB_MAIN(suite_<x>): one executable and one ctest entry per file. testlib_run_suite
 * installs the cJSON allocation hooks (xalloc_init_cjson) before running anything. */
int testlib_run_suite(Suite *s);
#define TESTLIB_MAIN(suite_fn)                                                                     \
    int main(void)                                                                                 \
    {                                                                                              \
        return testlib_run_suite(suite_fn());                                                      \
    }

/* Returns getenv(name) or aborts the test with a clear message when it is unset. */
const char *testlib_env(const char *name);

/* Path inside the source tree (BILLKEY_SOURCE_DIR + "/" + rel). Caller frees. */
char *testlib_source_path(const char *rel);

/* Reads a whole file; returns a NUL-terminated buffer the caller frees, or NULL. */
char *testlib_read_file(const char *path, size_t *len_out);

#endif

/* Creates a fresh, empty database in the suite's throwaway PostgreSQL (BILLKEY_TEST_PGDIR, via
 * scripts/pg.sh createdb) named after `prefix` plus a unique suffix, and returns its connection
 * URL (caller frees). Aborts the test when it cannot. */
char *testlib_create_database(const char *prefix);

/* Runs `bash scripts/pg.sh <args...>` (args NULL-terminated, each single-quoted) and returns the
 * first line it printed without the newline ("" when none; caller frees). Aborts the test when
 * it cannot run or exits non-zero. */
char *testlib_pg_script(const char *const *args);

/* A TCP port that was free on 127.0.0.1 a moment ago: binds 127.0.0.1:0, reads the port the
 * kernel chose, closes the socket. For programs that must know their port before they start
 * (PUBLIC_BASE_URL, chromedriver --port); another process may still take it in between, so
 * callers retry when the bind fails. Aborts the test when no socket can be bound. */
int testlib_free_port(void);

/* Sleeps ms milliseconds. */
void testlib_sleep_ms(long ms);

/* GETs url (no key) every step_ms until it answers `want` or timeout_ms have passed; returns
 * the last status (0 when nothing answered). Never aborts: callers assert on the result. */
long testlib_wait_http_status(const char *url, long want, long timeout_ms, long step_ms);

/* The member `member` ("code", "message", "field", ...) of the one error shape
 * {"error":{...}} in json, when it is a string; else NULL. Borrowed from json. */
const char *testlib_error_field(const cJSON *json, const char *member);
