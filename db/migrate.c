/* Applies the embedded schema migrations once, in one transaction, under an advisory lock. */
#include "db/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/log.h"
#include "server/core/xalloc.h"

/* "billkey!" as a 64-bit integer: the advisory lock every billkeyd takes to migrate. */
static const char lock_sql[] = "SELECT pg_advisory_xact_lock(7091318301185636641)";
static const char create_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())";
static const char applied_sql[] = "SELECT version FROM schema_migrations";
static const char record_sql[] =
    "INSERT INTO schema_migrations (version, name) VALUES ($1::int, $2)";

int db_migrations_latest(void)
{
    return db_migration_count ? db_migrations[db_migration_count - 1].version : 0;
}

enum db_status db_schema_version_on(struct db_conn *conn, int *version)
{
    PGresult *res = NULL;

    *version = 0;
    enum db_status st = db_exec(conn, STMT_SCHEMA_VERSION, NULL, &res);
    if (st == DB_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        *version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
    else if (st == DB_OK)
        st = DB_ERROR;
    if (res)
        PQclear(res);
    return st;
}

enum db_status db_schema_version(struct db_pool *pool, int *version)
{
    struct db_conn *conn = NULL;

    *version = 0;
    enum db_status st = db_acquire(pool, &conn);
    if (st != DB_OK)
        return st;
    st = db_schema_version_on(conn, version);
    db_release(pool, conn);
    return st;
}

/* A libpq message on one line: newlines and tabs become spaces, trailing whitespace goes.
 * Caller frees. */
static char *one_line(const char *message)
{
    char *text = xstrdup(message ? message : "");
    for (char *p = text; *p; p++)
        if (*p == '\n' || *p == '\t' || *p == '\r')
            *p = ' ';
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == ' ')
        text[--n] = '\0';
    return text;
}

/* Checks a result (taking ownership unless *keep gets it); on failure sets *err to
 * "<what> failed: <server message>" and returns the mapped status. */
static enum db_status check(PGconn *pg, PGresult *r, const char *what, PGresult **keep, char **err)
{
    enum db_status st = DB_OK;
    ExecStatusType rs = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

    /* EMPTY_QUERY: a migration that is only comments. */
    if (rs == PGRES_COMMAND_OK || rs == PGRES_TUPLES_OK || rs == PGRES_EMPTY_QUERY) {
        if (keep)
            *keep = r;
        else
            PQclear(r);
        return DB_OK;
    }
    char *msg = one_line(r ? PQresultErrorMessage(r) : PQerrorMessage(pg));
    st = r ? db_status_from_sqlstate(PQresultErrorField(r, PG_DIAG_SQLSTATE)) : DB_ERROR;
    if (PQstatus(pg) != CONNECTION_OK)
        st = DB_UNAVAILABLE;
    if (st == DB_OK)
        st = DB_ERROR;
    *err = xasprintf("%s failed: %s", what, msg);
    free(msg);
    PQclear(r);
    return st;
}

static int version_recorded(const PGresult *versions, int version)
{
    for (int i = 0; i < PQntuples(versions); i++)
        if (atoi(PQgetvalue(versions, i, 0)) == version)
            return 1;
    return 0;
}

/* Runs one migration's SQL and records it. */
static enum db_status apply_one(PGconn *pg, const struct db_migration *m, char **err)
{
    char *what = xasprintf("migration %03d '%s'", m->version, m->name);
    char version[16];
    enum db_status st = check(pg, PQexec(pg, m->sql), what, NULL, err);
    if (st != DB_OK)
        goto out;
    if (PQtransactionStatus(pg) != PQTRANS_INTRANS) {
        *err = xasprintf("%s failed: it ended the migration transaction (migrations must not "
                         "contain BEGIN, COMMIT or ROLLBACK)",
                         what);
        st = DB_ERROR;
        goto out;
    }
    snprintf(version, sizeof version, "%d", m->version);
    const char *params[2] = {version, m->name};
    st = check(pg, PQexecParams(pg, record_sql, 2, NULL, params, NULL, NULL, 0), what, NULL, err);

out:
    free(what);
    return st;
}

enum db_status db_migrate(const char *conninfo, int *applied, char **err)
{
    char *error = NULL;
    PGresult *versions = NULL, *commit = NULL;
    PGconn *pg = NULL;
    enum db_status st = DB_OK;
    int count = 0;

    if (applied)
        *applied = 0;
    if (err)
        *err = NULL;
    if (!conninfo) {
        error = xstrdup("cannot migrate: no database conninfo given");
        st = DB_ERROR;
        goto out;
    }
    char *parse_error = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &parse_error);
    if (!opts) {
        char *why = one_line(parse_error ? parse_error : "out of memory");
        error = xasprintf("cannot migrate: cannot parse the database conninfo: %s", why);
        free(why);
        PQfreemem(parse_error);
        st = DB_ERROR;
        goto out;
    }
    PQconninfoFree(opts);
    pg = db_connect(conninfo, &error);
    if (!pg) {
        st = DB_UNAVAILABLE;
        goto out;
    }

    if ((st = check(pg, PQexec(pg, "BEGIN"), "begin", NULL, &error)) != DB_OK ||
        (st = check(pg, PQexec(pg, lock_sql), "taking the migration lock", NULL, &error)) !=
            DB_OK ||
        (st = check(pg, PQexec(pg, create_sql), "creating schema_migrations", NULL, &error)) !=
            DB_OK ||
        (st = check(pg, PQexec(pg, applied_sql), "reading schema_migrations", &versions, &error)) !=
            DB_OK)
        goto out;

    for (size_t i = 0; i < db_migration_count; i++) {
        const struct db_migration *m = &db_migrations[i];
        if (version_recorded(versions, m->version))
            continue;
        if ((st = apply_one(pg, m, &error)) != DB_OK)
            goto out;
        log_msg(LOG_INFO, NULL, "applied migration %03d '%s'", m->version, m->name);
        count++;
    }

    if ((st = check(pg, PQexec(pg, "COMMIT"), "commit", &commit, &error)) != DB_OK)
        goto out;
    if (strcmp(PQcmdStatus(commit), "COMMIT") != 0) {
        error = xstrdup("commit failed: the migration transaction was rolled back");
        st = DB_ERROR;
    }

out:
    if (st != DB_OK) {
        count = 0;
        if (pg && PQstatus(pg) == CONNECTION_OK && PQtransactionStatus(pg) != PQTRANS_IDLE)
            PQclear(PQexec(pg, "ROLLBACK"));
    }
    PQclear(versions);
    PQclear(commit);
    if (pg)
        PQfinish(pg);
    if (applied)
        *applied = count;
    if (err) {
        *err = error;
    } else if (error) {
        log_msg(LOG_ERROR, NULL, "%s", error);
        free(error);
    }
    return st;
}
