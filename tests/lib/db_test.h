/* Plain libpq helpers for tests that check PostgreSQL themselves: fresh databases, one-value queries. */
#ifndef BILLKEY_TESTS_DB_TEST_H
#define BILLKEY_TESTS_DB_TEST_H

#include <libpq-fe.h>

/* A fresh, empty database of this test's own, named prefix + the clock in hex (testlib adds pid
 * and a counter; the clock keeps names unique across runs on a long-lived cluster). Returns its
 * URL (caller frees). Aborts the test when it cannot be created. */
char *db_test_fresh_database(const char *prefix);

/* A plain libpq connection (never through db/pool) to url; caller PQfinish()es. Aborts the test
 * when it cannot connect. */
PGconn *db_test_connect(const char *url);

/* Runs sql on pg (with one text parameter $1 when param is not NULL; without one, sql may hold
 * several statements) and returns row 0 column 0, or "" when there is no row or the statement
 * returns none. Caller frees. Aborts the test on an SQL error. */
char *db_test_query(PGconn *pg, const char *sql, const char *param);

/* db_test_query() read as an integer (a count(*) and the like). */
long db_test_count(PGconn *pg, const char *sql);

/* Asserts that db_test_query(pg, sql, NULL) gives exactly want. */
void db_test_assert_query(PGconn *pg, const char *sql, const char *want);

/* One-shot: connects to url, runs sql with nparams text params, disconnects. Returns the
 * PGRES_TUPLES_OK result (caller PQclear()s), or NULL with *err_out set to what failed (caller
 * frees). Never aborts, for suites that record failures instead. */
PGresult *db_test_select(const char *url, const char *sql, int nparams, const char *const *params,
                         char **err_out);

#endif
