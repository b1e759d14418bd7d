/* Pool tests against a real PostgreSQL: checkout bound, validation, recovery, SQLSTATE mapping. */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "db/migrate.h"
#include "db/pool.h"
#include "db/statements.h"
#include "server/core/xalloc.h"
#include "tests/lib/db_test.h"
#include "tests/lib/testlib.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static long ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - t0->tv_sec) * 1000L + (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* A fresh database of its own, migrated. Caller frees the URL. */
static char *migrated_database(void)
{
    char *url = db_test_fresh_database("db_pool");
    char *err = NULL;
    int applied = -1;
    enum db_status st = db_migrate(url, &applied, &err);
    ck_assert_msg(st == DB_OK, "db_migrate('%s') = %s: %s", url, db_status_name(st),
                  err ? err : "");
    ck_assert_int_eq(applied, (int)db_migration_count);
    return url;
}

/* Kills a backend from outside and waits until it is gone. */
static void terminate_backend(PGconn *admin, int pid)
{
    char pidtext[16];
    snprintf(pidtext, sizeof pidtext, "%d", pid);
    char *ok = db_test_query(admin, "SELECT pg_terminate_backend($1::int, 10000)", pidtext);
    ck_assert_str_eq(ok, "t");
    free(ok);
}

/* Executes STMT_AUDIT_INSERT. */
static enum db_status audit_insert(struct db_conn *c, const char *actor, const char *action,
                                   const char *request_id, const char *detail, long *id_out)
{
    const char *params[5] = {actor, action, "subject-1", request_id, detail};
    PGresult *res = NULL;
    enum db_status st = db_exec(c, STMT_AUDIT_INSERT, params, &res);
    if (st == DB_OK) {
        ck_assert_int_eq(PQntuples(res), 1);
        if (id_out)
            *id_out = atol(PQgetvalue(res, 0, 0));
    } else {
        ck_assert_ptr_null(res);
    }
    PQclear(res);
    return st;
}

static void assert_ping(struct db_conn *c)
{
    PGresult *res = NULL;
    enum db_status st = db_exec(c, STMT_PING, NULL, &res);
    ck_assert_msg(st == DB_OK, "ping: %s (%s)", db_status_name(st), db_conn_error(c));
    ck_assert_str_eq(PQgetvalue(res, 0, 0), "1");
    PQclear(res);
}

/* ---- pure mapping ----------------------------------------------------------------------- */

START_TEST(sqlstate_mapping_table)
{
    /* clang-format off */
    static const struct {
        const char *sqlstate;
        enum db_status want;
    } cases[] = {
        {"23505", DB_CONFLICT},    {"23502", DB_INVALID},     {"23503", DB_INVALID},
        {"23514", DB_INVALID},     {"23P01", DB_INVALID},     {"22001", DB_INVALID},
        {"22P02", DB_INVALID},     {"22003", DB_INVALID},     {"40001", DB_RETRY},
        {"40P01", DB_RETRY},       {"40002", DB_ERROR},       {"08000", DB_UNAVAILABLE},
        {"08006", DB_UNAVAILABLE}, {"08P01", DB_UNAVAILABLE}, {"57P01", DB_UNAVAILABLE},
        {"57P02", DB_UNAVAILABLE}, {"57P03", DB_UNAVAILABLE}, {"57P04", DB_ERROR},
        {"57014", DB_ERROR},       {"42P01", DB_ERROR},       {"42601", DB_ERROR},
        {"25P02", DB_ERROR},       {"53300", DB_ERROR},       {"XX000", DB_ERROR},
        {"00000", DB_ERROR},       {"42501", DB_FORBIDDEN},   {"42500", DB_ERROR},
        /* hostile: wrong length, lower case, junk, embedded NUL */
        {"", DB_ERROR},            {"2350", DB_ERROR},        {"235050", DB_ERROR},
        {"23505 ", DB_ERROR},      {" 23505", DB_ERROR},      {"40p01", DB_ERROR},
        {"2350\xc3", DB_ERROR},    {"23\n05", DB_ERROR},      {"08", DB_ERROR},
        {"2", DB_ERROR},           {"23\0" "05", DB_ERROR},
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum db_status got = db_status_from_sqlstate(cases[i].sqlstate);
        ck_assert_msg(got == cases[i].want, "sqlstate '%s' → %s, want %s", cases[i].sqlstate,
                      db_status_name(got), db_status_name(cases[i].want));
    }
    ck_assert_int_eq(db_status_from_sqlstate(NULL), DB_UNAVAILABLE);
}
END_TEST

START_TEST(status_names_are_distinct)
{
    static const char *const want[] = {"ok",    "not_found",   "conflict",  "invalid",
                                       "retry", "unavailable", "forbidden", "error"};
    for (int i = DB_OK; i <= DB_ERROR; i++)
        ck_assert_str_eq(db_status_name((enum db_status)i), want[i]);
    ck_assert_str_eq(db_status_name((enum db_status)(DB_ERROR + 1)), "unknown");
    ck_assert_str_eq(db_status_name((enum db_status) - 1), "unknown");
}
END_TEST

/* ---- the statement list ----------------------------------------------------------------- */

/* The highest $N outside single-quoted literals. */
static int highest_placeholder(const char *sql)
{
    int highest = 0, quoted = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'')
            quoted = !quoted;
        if (quoted || *p != '$' || !isdigit((unsigned char)p[1]))
            continue;
        if (p > sql && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))
            continue;
        int n = atoi(p + 1);
        if (n > highest)
            highest = n;
    }
    return highest;
}

START_TEST(placeholder_scanner_counts)
{
    ck_assert_int_eq(highest_placeholder("SELECT 1"), 0);
    ck_assert_int_eq(highest_placeholder("SELECT $1, $12, $3"), 12);
    ck_assert_int_eq(highest_placeholder("SELECT '$9', $2"), 2);
    ck_assert_int_eq(highest_placeholder("SELECT a$3 FROM t WHERE x = $1"), 1);
}
END_TEST

START_TEST(statements_are_consistent)
{
    for (int i = 0; i < STMT_COUNT; i++) {
        const struct db_statement *s = db_statement((enum db_stmt)i);
        ck_assert_msg(s && s->name && s->sql, "statement %d has no row in db/statements.c", i);
        ck_assert_msg(s->name[0] && s->sql[0], "statement %d has an empty name or SQL", i);
        ck_assert_msg(s->nparams == highest_placeholder(s->sql),
                      "statement '%s': nparams %d but its SQL uses up to $%d", s->name, s->nparams,
                      highest_placeholder(s->sql));
        for (int k = 0; k < i; k++)
            ck_assert_msg(strcmp(db_statement((enum db_stmt)k)->name, s->name) != 0,
                          "statement name '%s' is used twice", s->name);
    }
    ck_assert_ptr_null(db_statement(STMT_COUNT));
    ck_assert_ptr_null(db_statement((enum db_stmt) - 1));
    ck_assert_str_eq(db_statement(STMT_PING)->sql, "SELECT 1");
}
END_TEST

START_TEST(statements_prepare_on_migrated_database)
{
    char *url = migrated_database();
    PGconn *pg = db_test_connect(url);
    for (int i = 0; i < STMT_COUNT; i++) {
        const struct db_statement *s = db_statement((enum db_stmt)i);
        PGresult *r = PQprepare(pg, s->name, s->sql, s->nparams, NULL);
        ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "preparing '%s' failed: %s", s->name,
                      PQresultErrorMessage(r));
        PQclear(r);
        r = PQdescribePrepared(pg, s->name);
        ck_assert_msg(PQnparams(r) == s->nparams, "'%s': the server sees %d parameters, not %d",
                      s->name, PQnparams(r), s->nparams);
        PQclear(r);
    }
    PQfinish(pg);
    free(url);
}
END_TEST

/* Before migrations the tables are missing: the pool still hands out connections (readyz must
 * be able to ask), and the statements that failed to prepare are prepared on first use. */
START_TEST(statements_prepare_lazily_before_migrations)
{
    char *url = db_test_fresh_database("db_pool");
    struct db_pool *pool = db_pool_create(url, 1, 1000);
    struct db_conn *c = NULL;
    PGresult *res = NULL;

    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    assert_ping(c);
    ck_assert_int_eq(db_exec(c, STMT_SCHEMA_VERSION, NULL, &res), DB_ERROR); /* 42P01 */
    ck_assert_ptr_null(res);
    ck_assert_ptr_nonnull(strstr(db_conn_error(c), "schema_migrations"));
    int pid = db_conn_backend_pid(c);
    db_release(pool, c);

    ck_assert_int_eq(db_migrate(url, NULL, NULL), DB_OK);
    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    ck_assert_int_eq(db_conn_backend_pid(c), pid); /* the same connection, now it works */
    ck_assert_int_eq(db_exec(c, STMT_SCHEMA_VERSION, NULL, &res), DB_OK);
    ck_assert_int_eq(atoi(PQgetvalue(res, 0, 0)), db_migrations_latest());
    PQclear(res);
    ck_assert_int_eq(audit_insert(c, "a", "b", NULL, NULL, NULL), DB_OK);
    db_release(pool, c);
    db_pool_free(pool);
    free(url);
}
END_TEST

/* ---- acquire / exec / release ----------------------------------------------------------- */

START_TEST(acquire_exec_release)
{
    char *url = migrated_database();
    struct db_pool *pool = db_pool_create(url, 2, 1000);
    struct db_conn *c = NULL;
    PGresult *res = NULL;

    ck_assert_ptr_nonnull(pool);
    ck_assert_int_eq(db_pool_open_count(pool), 0); /* lazy */
    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(db_pool_open_count(pool), 1);
    ck_assert_int_gt(db_conn_backend_pid(c), 0);
    ck_assert_str_eq(db_conn_error(c), "");
    assert_ping(c);

    ck_assert_int_eq(db_exec(c, STMT_SCHEMA_VERSION, NULL, &res), DB_OK);
    ck_assert_int_eq(atoi(PQgetvalue(res, 0, 0)), db_migrations_latest());
    PQclear(res);

    long id1 = 0, id2 = 0;
    ck_assert_int_eq(audit_insert(c, "merchant:1", "billing_key.issued", "rid-1",
                                  "{\"pg\":\"kicc\",\"amount\":1000}", &id1),
                     DB_OK);
    ck_assert_int_eq(audit_insert(c, "merchant:1", "payment.charged", NULL, NULL, &id2), DB_OK);
    ck_assert_int_gt(id1, 0);
    ck_assert_int_gt(id2, id1);
    /* res NULL: the caller wants no rows */
    const char *params[5] = {"system", "noop", NULL, NULL, NULL};
    ck_assert_int_eq(db_exec(c, STMT_AUDIT_INSERT, params, NULL), DB_OK);

    int pid = db_conn_backend_pid(c);
    db_release(pool, c);
    ck_assert_int_eq(db_pool_open_count(pool), 1);

    /* The rows are committed (autocommit) and stored exactly. */
    PGconn *pg = db_test_connect(url);
    char *detail = db_test_query(
        pg, "SELECT detail->>'amount' FROM audit_events WHERE request_id = $1", "rid-1");
    ck_assert_str_eq(detail, "1000");
    free(detail);
    char id2text[32];
    snprintf(id2text, sizeof id2text, "%ld", id2);
    detail = db_test_query(pg,
                           "SELECT detail::text || '|' || (subject IS NOT NULL)::text || '|' || "
                           "(request_id IS NULL)::text FROM audit_events WHERE id = $1::bigint",
                           id2text);
    ck_assert_str_eq(detail, "{}|true|true");
    free(detail);
    ck_assert_int_eq(db_test_count(pg, "SELECT count(*) FROM audit_events"), 3);
    PQfinish(pg);

    /* The idle connection is reused, not reopened. */
    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    ck_assert_int_eq(db_conn_backend_pid(c), pid);
    ck_assert_int_eq(db_pool_open_count(pool), 1);
    db_release(pool, c);
    db_pool_free(pool);
    free(url);
}
END_TEST

struct delayed_release {
    struct db_pool *pool;
    struct db_conn *conn;
    long delay_ms;
};

static void *release_later(void *arg)
{
    struct delayed_release *d = arg;
    testlib_sleep_ms(d->delay_ms);
    db_release(d->pool, d->conn);
    return NULL;
}

START_TEST(pool_is_bounded)
{
    char *url = migrated_database();
    struct db_pool *pool = db_pool_create(url, 2, 1000);
    struct db_conn *a = NULL, *b = NULL, *c = (struct db_conn *)&a;
    struct timespec t0;

    ck_assert_int_eq(db_acquire(pool, &a), DB_OK);
    ck_assert_int_eq(db_acquire(pool, &b), DB_OK);
    ck_assert_ptr_ne(a, b);
    ck_assert_int_ne(db_conn_backend_pid(a), db_conn_backend_pid(b));

    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(db_acquire(pool, &c), DB_UNAVAILABLE);
    long waited = ms_since(&t0);
    ck_assert_ptr_null(c);
    ck_assert_msg(waited >= 990 && waited < 2500, "third acquire returned after %ld ms", waited);
    ck_assert_int_eq(db_pool_open_count(pool), 2);

    /* Another thread releases `a` while we wait: we get that very connection. */
    int pid_a = db_conn_backend_pid(a);
    struct delayed_release d = {pool, a, 150};
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, release_later, &d), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    waited = ms_since(&t0);
    pthread_join(thread, NULL);
    ck_assert_msg(waited >= 100 && waited < 1000, "acquire after release took %ld ms", waited);
    ck_assert_ptr_eq(c, a);
    ck_assert_int_eq(db_conn_backend_pid(c), pid_a);
    assert_ping(c);
    ck_assert_int_eq(db_pool_open_count(pool), 2);

    db_release(pool, b);
    db_release(pool, c);
    db_pool_free(pool);
    free(url);
}
END_TEST

START_TEST(zero_timeout_fails_at_once)
{
    char *url = migrated_database();
    struct db_pool *pool = db_pool_create(url, 1, 0);
    struct db_conn *a = NULL, *b = NULL;
    struct timespec t0;

    ck_assert_int_eq(db_acquire(pool, &a), DB_OK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(db_acquire(pool, &b), DB_UNAVAILABLE);
    ck_assert_int_lt(ms_since(&t0), 100);
    ck_assert_ptr_null(b);
    db_release(pool, a);
    ck_assert_int_eq(db_acquire(pool, &b), DB_OK);
    ck_assert_ptr_eq(a, b);
    db_release(pool, b);
    db_pool_free(pool);
    free(url);
}
END_TEST

/* ---- recovery --------------------------------------------------------------------------- */

START_TEST(terminated_while_checked_out)
{
    char *url = migrated_database();
    struct db_pool *pool = db_pool_create(url, 2, 1000);
    PGconn *admin = db_test_connect(url);
    struct db_conn *c = NULL;
    PGresult *res = (PGresult *)&c;

    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    int old_pid = db_conn_backend_pid(c);
    terminate_backend(admin, old_pid);

    ck_assert_int_eq(db_exec(c, STMT_PING, NULL, &res), DB_UNAVAILABLE);
    ck_assert_ptr_null(res);
    ck_assert_str_ne(db_conn_error(c), "");
    /* It stays unavailable until released; no call touches the dead socket again. */
    ck_assert_int_eq(db_exec(c, STMT_PING, NULL, NULL), DB_UNAVAILABLE);
    ck_assert_int_eq(db_begin(c), DB_UNAVAILABLE);
    ck_assert_int_eq(db_commit(c), DB_UNAVAILABLE);
    ck_assert_int_eq(db_rollback(c), DB_UNAVAILABLE);
    db_release(pool, c);
    ck_assert_int_eq(db_pool_open_count(pool), 0); /* the broken one was closed */

    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    ck_assert_int_ne(db_conn_backend_pid(c), old_pid);
    assert_ping(c);
    ck_assert_int_eq(audit_insert(c, "a", "b", NULL, NULL, NULL), DB_OK);
    db_release(pool, c);

    PQfinish(admin);
    db_pool_free(pool);
    free(url);
}
END_TEST

START_TEST(terminated_while_idle_is_replaced_on_acquire)
{
    char *url = migrated_database();
    struct db_pool *pool = db_pool_create(url, 1, 1000);
    PGconn *admin = db_test_connect(url);
    struct db_conn *c = NULL;

    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    int old_pid = db_conn_backend_pid(c);
    db_release(pool, c);
    terminate_backend(admin, old_pid);

    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    int new_pid = db_conn_backend_pid(c);
    ck_assert_int_gt(new_pid, 0);
    ck_assert_int_ne(new_pid, old_pid);
    assert_ping(c); /* the caller never sees the dead connection */
    ck_assert_int_eq(audit_insert(c, "a", "b", NULL, NULL, NULL), DB_OK);
    db_release(pool, c);
    ck_assert_int_eq(db_pool_open_count(pool), 1);

    PQfinish(admin);
    db_pool_free(pool);
    free(url);
}
END_TEST

START_TEST(open_idle_connection_is_preferred)
{
    char *url = migrated_database();
    struct db_pool *pool = db_pool_create(url, 2, 1000);
    PGconn *admin = db_test_connect(url);
    struct db_conn *a = NULL, *b = NULL, *c = NULL;

    ck_assert_int_eq(db_acquire(pool, &a), DB_OK);
    ck_assert_int_eq(db_acquire(pool, &b), DB_OK);
    terminate_backend(admin, db_conn_backend_pid(a));
    ck_assert_int_eq(db_exec(a, STMT_PING, NULL, NULL), DB_UNAVAILABLE);
    db_release(pool, a); /* closed: its slot is now empty */
    int pid_b = db_conn_backend_pid(b);
    db_release(pool, b);
    ck_assert_int_eq(db_pool_open_count(pool), 1);

    /* the open connection is handed out rather than a new one opened in the empty slot */
    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    ck_assert_int_eq(db_conn_backend_pid(c), pid_b);
    ck_assert_int_eq(db_pool_open_count(pool), 1);
    db_release(pool, c);

    PQfinish(admin);
    db_pool_free(pool);
    free(url);
}
END_TEST

/* A discarded connection is closed on release: its backend (and any session state it held) goes
 * away, and the next acquire opens a new one. */
START_TEST(discarded_connection_is_closed)
{
    char *url = migrated_database();
    struct db_pool *pool = db_pool_create(url, 2, 1000);
    PGconn *admin = db_test_connect(url);
    struct db_conn *a = NULL, *b = NULL;

    ck_assert_int_eq(db_acquire(pool, &a), DB_OK);
    int pid_a = db_conn_backend_pid(a);
    char pid_text[24];
    snprintf(pid_text, sizeof pid_text, "%d", pid_a);
    char *got = db_test_query(
        admin, "SELECT count(*)::text FROM pg_stat_activity WHERE pid = $1::int", pid_text);
    ck_assert_str_eq(got, "1"); /* a's backend is there */
    free(got);

    db_conn_discard(a);
    db_release(pool, a);
    ck_assert_int_eq(db_pool_open_count(pool), 0);
    for (int i = 0; i < 100; i++) { /* the backend exits asynchronously */
        got = db_test_query(
            admin, "SELECT count(*)::text FROM pg_stat_activity WHERE pid = $1::int", pid_text);
        int gone = strcmp(got, "0") == 0;
        free(got);
        if (gone)
            break;
        ck_assert_int_lt(i, 99);
        testlib_sleep_ms(20);
    }
    ck_assert_int_eq(db_acquire(pool, &b), DB_OK);
    ck_assert_int_ne(db_conn_backend_pid(b), pid_a);
    db_release(pool, b);

    PQfinish(admin);
    db_pool_free(pool);
    free(url);
}
END_TEST

START_TEST(released_inside_aborted_transaction_comes_back_usable)
{
    char *url = migrated_database();
    struct db_pool *pool = db_pool_create(url, 1, 1000);
    PGconn *admin = db_test_connect(url);
    struct db_conn *c = NULL;

    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    int pid = db_conn_backend_pid(c);
    ck_assert_int_eq(db_begin(c), DB_OK);
    ck_assert_int_eq(audit_insert(c, "a", "kept?", NULL, NULL, NULL), DB_OK);
    ck_assert_int_eq(audit_insert(c, "a", "b", NULL, "{not json", NULL), DB_INVALID);
    ck_assert_ptr_nonnull(strstr(db_conn_error(c), "json"));
    /* 25P02 in_failed_sql_transaction */
    ck_assert_int_eq(db_exec(c, STMT_PING, NULL, NULL), DB_ERROR);
    db_release(pool, c);

    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    ck_assert_int_eq(db_conn_backend_pid(c), pid); /* same connection, rolled back */
    assert_ping(c);
    ck_assert_int_eq(db_begin(c), DB_OK); /* not "already in a transaction" */
    ck_assert_int_eq(db_rollback(c), DB_OK);
    db_release(pool, c);
    ck_assert_int_eq(db_test_count(admin, "SELECT count(*) FROM audit_events"), 0);

    /* Released inside a healthy open transaction: rolled back too, not committed. */
    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    ck_assert_int_eq(db_begin(c), DB_OK);
    ck_assert_int_eq(audit_insert(c, "a", "uncommitted", NULL, NULL, NULL), DB_OK);
    db_release(pool, c);
    ck_assert_int_eq(db_test_count(admin, "SELECT count(*) FROM audit_events"), 0);
    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    ck_assert_int_eq(db_conn_backend_pid(c), pid);
    assert_ping(c);
    db_release(pool, c);

    PQfinish(admin);
    db_pool_free(pool);
    free(url);
}
END_TEST

START_TEST(transaction_commands)
{
    char *url = migrated_database();
    struct db_pool *pool = db_pool_create(url, 1, 1000);
    PGconn *admin = db_test_connect(url);
    struct db_conn *c = NULL;

    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    /* commit without begin, begin twice: caller mistakes, reported */
    ck_assert_int_eq(db_commit(c), DB_ERROR);
    ck_assert_ptr_nonnull(strstr(db_conn_error(c), "no transaction"));
    ck_assert_int_eq(db_rollback(c), DB_OK);
    ck_assert_int_eq(db_begin(c), DB_OK);
    ck_assert_int_eq(db_begin(c), DB_ERROR);
    ck_assert_ptr_nonnull(strstr(db_conn_error(c), "already in progress"));

    /* a committed transaction is visible */
    ck_assert_int_eq(audit_insert(c, "a", "committed", NULL, NULL, NULL), DB_OK);
    ck_assert_int_eq(db_test_count(admin, "SELECT count(*) FROM audit_events"), 0);
    ck_assert_int_eq(db_commit(c), DB_OK);
    ck_assert_int_eq(db_test_count(admin, "SELECT count(*) FROM audit_events"), 1);

    /* a rolled back one is not */
    ck_assert_int_eq(db_begin(c), DB_OK);
    ck_assert_int_eq(audit_insert(c, "a", "rolled back", NULL, NULL, NULL), DB_OK);
    ck_assert_int_eq(db_rollback(c), DB_OK);
    ck_assert_int_eq(db_test_count(admin, "SELECT count(*) FROM audit_events"), 1);

    /* COMMIT of a failed transaction is a ROLLBACK: reported as an error, nothing kept */
    ck_assert_int_eq(db_begin(c), DB_OK);
    ck_assert_int_eq(audit_insert(c, "a", "lost", NULL, NULL, NULL), DB_OK);
    ck_assert_int_eq(audit_insert(c, NULL, "b", NULL, NULL, NULL), DB_INVALID);
    ck_assert_int_eq(db_commit(c), DB_ERROR);
    ck_assert_ptr_nonnull(strstr(db_conn_error(c), "rolled back"));
    ck_assert_int_eq(db_test_count(admin, "SELECT count(*) FROM audit_events"), 1);
    assert_ping(c); /* and the connection is idle again */
    ck_assert_int_eq(db_begin(c), DB_OK);
    ck_assert_int_eq(db_commit(c), DB_OK);

    db_release(pool, c);
    PQfinish(admin);
    db_pool_free(pool);
    free(url);
}
END_TEST

/* ---- SQLSTATEs from a real server through db_exec ---------------------------------------- */

/* Makes audit inserts with action 'raise:XXXXX' fail with SQLSTATE XXXXX, and request_id
 * unique, on this test's own database. */
static void install_error_trigger(PGconn *admin)
{
    PQclear(PQexec(admin, "CREATE UNIQUE INDEX audit_request_once ON audit_events (request_id)"));
    PGresult *r = PQexec(
        admin, "CREATE FUNCTION raise_on_action() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
               "IF NEW.action LIKE 'raise:%' THEN "
               "RAISE EXCEPTION 'raised %', NEW.action USING ERRCODE = substr(NEW.action, 7); "
               "END IF; RETURN NEW; END $$; "
               "CREATE TRIGGER raise_on_action BEFORE INSERT ON audit_events "
               "FOR EACH ROW EXECUTE FUNCTION raise_on_action()");
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "trigger: %s", PQresultErrorMessage(r));
    PQclear(r);
}

START_TEST(server_errors_map_to_statuses)
{
    char *url = migrated_database();
    struct db_pool *pool = db_pool_create(url, 1, 1000);
    PGconn *admin = db_test_connect(url);
    struct db_conn *c = NULL;

    install_error_trigger(admin);
    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);

    ck_assert_int_eq(audit_insert(c, "a", "first", "rid-dup", NULL, NULL), DB_OK);
    ck_assert_int_eq(audit_insert(c, "a", "second", "rid-dup", NULL, NULL), DB_CONFLICT);
    ck_assert_ptr_nonnull(strstr(db_conn_error(c), "duplicate key"));
    ck_assert_int_eq(audit_insert(c, NULL, "no actor", NULL, NULL, NULL), DB_INVALID); /* 23502 */
    ck_assert_int_eq(audit_insert(c, "a", "bad json", NULL, "{\"a\":", NULL), DB_INVALID);
    ck_assert_int_eq(audit_insert(c, "a", "bad utf8", NULL, "{\"a\":\"\xff\xfe\"}", NULL),
                     DB_INVALID); /* 22021 */

    /* clang-format off */
    static const struct {
        const char *action;
        enum db_status want;
    } raised[] = {
        {"raise:40001", DB_RETRY}, {"raise:40P01", DB_RETRY},   {"raise:23503", DB_INVALID},
        {"raise:22012", DB_INVALID}, {"raise:42501", DB_FORBIDDEN}, {"raise:P0001", DB_ERROR},
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof raised / sizeof raised[0]; i++) {
        enum db_status got = audit_insert(c, "a", raised[i].action, NULL, NULL, NULL);
        ck_assert_msg(got == raised[i].want, "'%s' → %s", raised[i].action, db_status_name(got));
    }
    /* none of those broke the connection */
    int pid = db_conn_backend_pid(c);
    assert_ping(c);
    ck_assert_int_eq(db_test_count(admin, "SELECT count(*) FROM audit_events"), 1);

    /* 57P01 means "the server is going away": the connection is given up. */
    ck_assert_int_eq(audit_insert(c, "a", "raise:57P01", NULL, NULL, NULL), DB_UNAVAILABLE);
    ck_assert_int_eq(db_exec(c, STMT_PING, NULL, NULL), DB_UNAVAILABLE);
    db_release(pool, c);
    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    ck_assert_int_ne(db_conn_backend_pid(c), pid);
    assert_ping(c);
    db_release(pool, c);

    PQfinish(admin);
    db_pool_free(pool);
    free(url);
}
END_TEST

START_TEST(hostile_parameters_are_data)
{
    char *url = migrated_database();
    struct db_pool *pool = db_pool_create(url, 1, 1000);
    PGconn *admin = db_test_connect(url);
    struct db_conn *c = NULL;
    const char *actor = "x'); DROP TABLE audit_events; --";
    size_t big_len = 1 << 20;
    char *big = xmalloc(big_len + 16);

    snprintf(big, 16, "{\"blob\":\"");
    memset(big + 9, 'a', big_len);
    memcpy(big + 9 + big_len, "\"}", 3);

    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    ck_assert_int_eq(audit_insert(c, actor, "$1 $2 \\ \" ' 결제", NULL, big, NULL), DB_OK);
    ck_assert_int_eq(audit_insert(c, "", "", "", "{}", NULL), DB_OK);
    db_release(pool, c);

    char *got = db_test_query(admin, "SELECT action FROM audit_events WHERE actor = $1", actor);
    ck_assert_str_eq(got, "$1 $2 \\ \" ' 결제");
    free(got);
    ck_assert_int_eq(db_test_count(admin, "SELECT length(detail->>'blob') FROM audit_events "
                                          "WHERE detail ? 'blob'"),
                     (long)big_len);
    ck_assert_int_eq(db_test_count(admin, "SELECT count(*) FROM audit_events"), 2);
    free(big);
    PQfinish(admin);
    db_pool_free(pool);
    free(url);
}
END_TEST

START_TEST(caller_mistakes_are_reported)
{
    char *url = migrated_database();
    struct db_pool *pool = db_pool_create(url, 1, 200);
    struct db_conn *c = NULL, *again = NULL;
    PGresult *res = (PGresult *)&c;

    ck_assert_int_eq(db_acquire(NULL, &c), DB_ERROR);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(db_acquire(pool, NULL), DB_ERROR);
    ck_assert_int_eq(db_exec(NULL, STMT_PING, NULL, &res), DB_ERROR);
    ck_assert_ptr_null(res);
    ck_assert_int_eq(db_begin(NULL), DB_ERROR);
    ck_assert_int_eq(db_commit(NULL), DB_ERROR);
    ck_assert_int_eq(db_rollback(NULL), DB_ERROR);
    ck_assert_str_eq(db_conn_error(NULL), "");
    ck_assert_int_eq(db_conn_backend_pid(NULL), 0);
    ck_assert_int_eq(db_pool_open_count(NULL), 0);
    db_release(pool, NULL);
    db_release(NULL, NULL);
    db_pool_free(NULL);

    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    ck_assert_int_eq(db_exec(c, STMT_COUNT, NULL, NULL), DB_ERROR);
    ck_assert_ptr_nonnull(strstr(db_conn_error(c), "unknown statement"));
    ck_assert_int_eq(db_exec(c, (enum db_stmt) - 5, NULL, NULL), DB_ERROR);
    ck_assert_int_eq(db_exec(c, STMT_AUDIT_INSERT, NULL, NULL), DB_ERROR);
    ck_assert_ptr_nonnull(strstr(db_conn_error(c), "'audit_insert' needs 5 parameters"));
    assert_ping(c); /* none of that touched the connection */

    /* released twice: the second is ignored, the slot is not handed out twice */
    db_release(pool, c);
    db_release(pool, c);
    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    ck_assert_int_eq(db_acquire(pool, &again), DB_UNAVAILABLE);

    /* released to a pool it does not belong to: ignored */
    struct db_pool *other = db_pool_create(url, 1, 200);
    db_release(other, c);
    ck_assert_int_eq(db_acquire(pool, &again), DB_UNAVAILABLE);
    db_pool_free(other);
    db_release(pool, c);
    db_pool_free(pool);
    free(url);
}
END_TEST

/* ---- when the database is not there ------------------------------------------------------ */

START_TEST(create_rejects_bad_arguments)
{
    const char *ok = "postgresql:///billkey?host=/nonexistent";
    ck_assert_ptr_null(db_pool_create(NULL, 1, 100));
    ck_assert_ptr_null(db_pool_create(ok, 0, 100));
    ck_assert_ptr_null(db_pool_create(ok, -1, 100));
    ck_assert_ptr_null(db_pool_create(ok, 1001, 100));
    ck_assert_ptr_null(db_pool_create(ok, 1, -1));
    ck_assert_ptr_null(db_pool_create("host='unterminated", 1, 100));
    ck_assert_ptr_null(db_pool_create("no_such_option=1", 1, 100));
    ck_assert_ptr_null(db_pool_create("postgresql://[::1/x", 1, 100));
    ck_assert_ptr_null(db_pool_create("postgresql:///x?bogus=1", 1, 100));
    struct db_pool *p = db_pool_create(ok, 1000, 0);
    ck_assert_ptr_nonnull(p);
    db_pool_free(p);
}
END_TEST

START_TEST(missing_socket_dir_is_unavailable)
{
    char tmpl[] = "/tmp/billkey-nopg.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    char *url = xasprintf("postgresql:///billkey?host=%s/not-there", tmpl);
    struct db_pool *pool = db_pool_create(url, 1, 500);
    struct db_conn *c = (struct db_conn *)&url;
    struct timespec t0;

    ck_assert_ptr_nonnull(pool);  /* creation does not connect */
    for (int i = 0; i < 3; i++) { /* the slot is given back each time */
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ck_assert_int_eq(db_acquire(pool, &c), DB_UNAVAILABLE);
        ck_assert_ptr_null(c);
        ck_assert_int_lt(ms_since(&t0), 1500);
    }
    ck_assert_int_eq(db_pool_open_count(pool), 0);
    db_pool_free(pool);
    free(url);
    rmdir(tmpl);
}
END_TEST

/* A TCP listener that accepts the handshake (the kernel does) but never answers. */
static int silent_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    *port = ntohs(addr.sin_port);
    return fd;
}

START_TEST(silent_server_is_bounded_by_connect_timeout)
{
    int port = 0;
    int fd = silent_listener(&port);
    char *url = xasprintf("postgresql://nobody@127.0.0.1:%d/billkey", port);
    struct db_pool *pool = db_pool_create(url, 1, 100);
    struct db_conn *c = NULL;
    struct timespec t0;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(db_acquire(pool, &c), DB_UNAVAILABLE);
    long waited = ms_since(&t0);
    ck_assert_ptr_null(c);
    ck_assert_msg(waited >= 2500 && waited < 6000, "connect gave up after %ld ms, want ~3 s",
                  waited);
    db_pool_free(pool);
    free(url);
    close(fd);
}
END_TEST

/* ---- concurrency ------------------------------------------------------------------------- */

struct worker {
    struct db_pool *pool;
    int failures;
};

static void *insert_many(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 25; i++) {
        struct db_conn *c = NULL;
        const char *params[5] = {"worker", "insert", NULL, NULL, NULL};
        if (db_acquire(w->pool, &c) != DB_OK) {
            w->failures++;
            continue;
        }
        if (db_exec(c, STMT_AUDIT_INSERT, params, NULL) != DB_OK)
            w->failures++;
        db_release(w->pool, c);
    }
    return NULL;
}

START_TEST(many_threads_share_a_small_pool)
{
    char *url = migrated_database();
    struct db_pool *pool = db_pool_create(url, 3, 10000);
    struct worker workers[8];
    pthread_t threads[8];

    for (int i = 0; i < 8; i++) {
        workers[i] = (struct worker){pool, 0};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, insert_many, &workers[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_int_eq(workers[i].failures, 0);
    }
    ck_assert_int_le(db_pool_open_count(pool), 3);
    ck_assert_int_ge(db_pool_open_count(pool), 1);
    PGconn *admin = db_test_connect(url);
    ck_assert_int_eq(db_test_count(admin, "SELECT count(*) FROM audit_events"), 200);
    PQfinish(admin);
    db_pool_free(pool);
    free(url);
}
END_TEST

static Suite *suite_db_pool(void)
{
    Suite *s = suite_create("db_pool");
    TCase *pure = tcase_create("pure");
    tcase_add_test(pure, sqlstate_mapping_table);
    tcase_add_test(pure, status_names_are_distinct);
    tcase_add_test(pure, placeholder_scanner_counts);
    tcase_add_test(pure, statements_are_consistent);
    tcase_add_test(pure, create_rejects_bad_arguments);
    suite_add_tcase(s, pure);

    TCase *pg = tcase_create("postgresql");
    tcase_set_timeout(pg, 60);
    tcase_add_test(pg, statements_prepare_on_migrated_database);
    tcase_add_test(pg, statements_prepare_lazily_before_migrations);
    tcase_add_test(pg, acquire_exec_release);
    tcase_add_test(pg, pool_is_bounded);
    tcase_add_test(pg, zero_timeout_fails_at_once);
    tcase_add_test(pg, terminated_while_checked_out);
    tcase_add_test(pg, terminated_while_idle_is_replaced_on_acquire);
    tcase_add_test(pg, open_idle_connection_is_preferred);
    tcase_add_test(pg, released_inside_aborted_transaction_comes_back_usable);
    tcase_add_test(pg, discarded_connection_is_closed);
    tcase_add_test(pg, transaction_commands);
    tcase_add_test(pg, server_errors_map_to_statuses);
    tcase_add_test(pg, hostile_parameters_are_data);
    tcase_add_test(pg, caller_mistakes_are_reported);
    tcase_add_test(pg, missing_socket_dir_is_unavailable);
    tcase_add_test(pg, silent_server_is_bounded_by_connect_timeout);
    tcase_add_test(pg, many_threads_share_a_small_pool);
    suite_add_tcase(s, pg);
    return s;
}

TESTLIB_MAIN(suite_db_pool)
