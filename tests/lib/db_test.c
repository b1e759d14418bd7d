/* Plain libpq helpers for tests that check PostgreSQL themselves: fresh databases, one-value queries. */
#include "tests/lib/db_test.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/core/xalloc.h"
#include "tests/lib/testlib.h"

char *db_test_fresh_database(const char *prefix)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char *unique =
        xasprintf("%s_%lx%lx", prefix, (unsigned long)now.tv_sec, (unsigned long)now.tv_nsec);
    char *url = testlib_create_database(unique);
    free(unique);
    return url;
}

PGconn *db_test_connect(const char *url)
{
    PGconn *pg = PQconnectdb(url);
    ck_assert_msg(PQstatus(pg) == CONNECTION_OK, "cannot connect to '%s': %s", url,
                  PQerrorMessage(pg));
    return pg;
}

char *db_test_query(PGconn *pg, const char *sql, const char *param)
{
    const char *params[1] = {param};
    PGresult *r = param ? PQexecParams(pg, sql, 1, NULL, params, NULL, NULL, 0) : PQexec(pg, sql);
    ExecStatusType rs = PQresultStatus(r);
    ck_assert_msg(rs == PGRES_TUPLES_OK || rs == PGRES_COMMAND_OK, "'%s' failed: %s", sql,
                  PQresultErrorMessage(r));
    char *value = xstrdup(rs == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return value;
}

long db_test_count(PGconn *pg, const char *sql)
{
    char *v = db_test_query(pg, sql, NULL);
    long n = atol(v);
    free(v);
    return n;
}

void db_test_assert_query(PGconn *pg, const char *sql, const char *want)
{
    char *got = db_test_query(pg, sql, NULL);
    ck_assert_msg(strcmp(got, want) == 0, "'%s' gave '%s', want '%s'", sql, got, want);
    free(got);
}

PGresult *db_test_select(const char *url, const char *sql, int nparams, const char *const *params,
                         char **err_out)
{
    PGconn *conn = PQconnectdb(url);
    PGresult *res = NULL;
    *err_out = NULL;
    if (PQstatus(conn) != CONNECTION_OK) {
        *err_out = xasprintf("cannot connect to the test database: %s", PQerrorMessage(conn));
        goto out;
    }
    res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        *err_out = xasprintf("query '%s' failed: %s", sql, PQresultErrorMessage(res));
        PQclear(res);
        res = NULL;
    }
out:
    PQfinish(conn);
    return res;
}
