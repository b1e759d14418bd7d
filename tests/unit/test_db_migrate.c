/* Migration tests against a real PostgreSQL: embedding, first run, re-run, races, rollback. */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/migrate.h"
#include "db/pool.h"
#include "server/core/xalloc.h"
#include "tests/lib/db_test.h"
#include "tests/lib/testlib.h"

/* "1:audit_events,2:..." for the embedded list, to compare with schema_migrations. */
static char *embedded_list(void)
{
    char *list = xstrdup("");
    for (size_t i = 0; i < db_migration_count; i++) {
        char *next = xasprintf("%s%s%d:%s", list, i ? "," : "", db_migrations[i].version,
                               db_migrations[i].name);
        free(list);
        list = next;
    }
    return list;
}

static const char recorded_sql[] =
    "SELECT string_agg(version || ':' || name, ',' ORDER BY version) FROM schema_migrations";

START_TEST(embedded_migrations_match_their_files)
{
    ck_assert_uint_ge(db_migration_count, 1);
    ck_assert_int_eq(db_migrations[0].version, 1);
    ck_assert_str_eq(db_migrations[0].name, "audit_events");
    for (size_t i = 0; i < db_migration_count; i++) {
        const struct db_migration *m = &db_migrations[i];
        if (i > 0)
            ck_assert_int_gt(m->version, db_migrations[i - 1].version);
        char *rel = xasprintf("db/migrations/%03d_%s.sql", m->version, m->name);
        char *path = testlib_source_path(rel);
        size_t len = 0;
        char *bytes = testlib_read_file(path, &len);
        ck_assert_msg(bytes != NULL, "cannot read '%s'", path);
        ck_assert_msg(len == strlen(m->sql) && memcmp(bytes, m->sql, len) == 0,
                      "'%s' is not embedded byte-exactly", rel);
        free(bytes);
        free(path);
        free(rel);
    }
    ck_assert_int_eq(db_migrations_latest(), db_migrations[db_migration_count - 1].version);

    /* Non-ASCII survives (001 carries a Korean comment). */
    ck_assert_ptr_nonnull(strstr(db_migrations[0].sql, "감사 기록"));

    /* Every .sql file in db/migrations is embedded: the build is not stale. */
    char *dir_path = testlib_source_path("db/migrations");
    DIR *dir = opendir(dir_path);
    ck_assert_ptr_nonnull(dir);
    size_t files = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        size_t n = strlen(e->d_name);
        files += n > 4 && strcmp(e->d_name + n - 4, ".sql") == 0;
    }
    closedir(dir);
    free(dir_path);
    ck_assert_uint_eq(files, db_migration_count);
}
END_TEST

START_TEST(fresh_database_gets_every_migration)
{
    char *url = db_test_fresh_database("db_migrate");
    char *err = (char *)"untouched";
    int applied = -1;

    ck_assert_int_eq(db_migrate(url, &applied, &err), DB_OK);
    ck_assert_ptr_null(err);
    ck_assert_int_eq(applied, (int)db_migration_count);

    PGconn *pg = db_test_connect(url);
    char *want = embedded_list();
    db_test_assert_query(pg, recorded_sql, want);
    free(want);
    db_test_assert_query(pg,
                         "SELECT count(*) FROM schema_migrations WHERE applied_at IS NULL "
                         "OR applied_at > now()",
                         "0");
    db_test_assert_query(pg, "SELECT to_regclass('audit_events') IS NOT NULL", "t");
    db_test_assert_query(
        pg, "SELECT indexdef FROM pg_indexes WHERE indexname = 'audit_events_subject_at'",
        "CREATE INDEX audit_events_subject_at ON public.audit_events USING btree "
        "(subject, at)");
    /* the columns' defaults and constraints */
    db_test_assert_query(pg,
                         "INSERT INTO audit_events (actor, action) VALUES ('a', 'b') "
                         "RETURNING detail::text || '|' || (at IS NOT NULL) || '|' || (id > 0)",
                         "{}|true|true");
    PGresult *r = PQexec(pg, "INSERT INTO audit_events (action) VALUES ('b')");
    ck_assert_str_eq(PQresultErrorField(r, PG_DIAG_SQLSTATE), "23502");
    PQclear(r);
    PQfinish(pg);

    /* what readyz compares */
    struct db_pool *pool = db_pool_create(url, 1, 1000);
    struct db_conn *c = NULL;
    PGresult *res = NULL;
    ck_assert_int_eq(db_acquire(pool, &c), DB_OK);
    ck_assert_int_eq(db_exec(c, STMT_SCHEMA_VERSION, NULL, &res), DB_OK);
    ck_assert_int_eq(atoi(PQgetvalue(res, 0, 0)), db_migrations_latest());
    PQclear(res);
    db_release(pool, c);
    db_pool_free(pool);
    free(url);
}
END_TEST

START_TEST(second_run_applies_nothing)
{
    char *url = db_test_fresh_database("db_migrate");
    char *err = NULL;
    int applied = -1;

    ck_assert_int_eq(db_migrate(url, &applied, &err), DB_OK);
    ck_assert_int_eq(applied, (int)db_migration_count);
    PGconn *pg = db_test_connect(url);
    char *before = db_test_query(pg,
                                 "SELECT string_agg(version || '@' || applied_at, ',') "
                                 "FROM schema_migrations",
                                 NULL);

    ck_assert_int_eq(db_migrate(url, &applied, &err), DB_OK);
    ck_assert_int_eq(applied, 0);
    ck_assert_ptr_null(err);
    ck_assert_int_eq(db_migrate(url, NULL, NULL), DB_OK); /* out-parameters are optional */

    char *after = db_test_query(pg,
                                "SELECT string_agg(version || '@' || applied_at, ',') "
                                "FROM schema_migrations",
                                NULL);
    ck_assert_str_eq(after, before);
    free(before);
    free(after);
    PQfinish(pg);
    free(url);
}
END_TEST

/* A schema_migrations table that already exists but is empty (made by an earlier, interrupted
 * tool) is used as is. */
START_TEST(existing_empty_schema_migrations_is_used)
{
    char *url = db_test_fresh_database("db_migrate");
    PGconn *pg = db_test_connect(url);
    char *done = db_test_query(pg,
                               "CREATE TABLE schema_migrations (version int PRIMARY KEY, "
                               "name text NOT NULL, applied_at timestamptz NOT NULL "
                               "DEFAULT now())",
                               NULL);
    free(done);
    int applied = -1;
    ck_assert_int_eq(db_migrate(url, &applied, NULL), DB_OK);
    ck_assert_int_eq(applied, (int)db_migration_count);
    char *want = embedded_list();
    db_test_assert_query(pg, recorded_sql, want);
    free(want);
    PQfinish(pg);
    free(url);
}
END_TEST

struct racer {
    const char *url;
    pthread_barrier_t *start;
    enum db_status status;
    int applied;
    char *err;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    pthread_barrier_wait(r->start);
    r->status = db_migrate(r->url, &r->applied, &r->err);
    return NULL;
}

START_TEST(concurrent_runs_apply_each_version_once)
{
    enum { RACERS = 4 };
    char *url = db_test_fresh_database("db_migrate");
    pthread_barrier_t start;
    pthread_t threads[RACERS];
    struct racer racers[RACERS];
    int total = 0;

    pthread_barrier_init(&start, NULL, RACERS);
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (struct racer){.url = url, .start = &start, .applied = -1};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    for (int i = 0; i < RACERS; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_msg(racers[i].status == DB_OK, "racer %d: %s: %s", i,
                      db_status_name(racers[i].status), racers[i].err ? racers[i].err : "");
        ck_assert_ptr_null(racers[i].err);
        total += racers[i].applied;
        /* all or nothing: a racer either applied everything or found it done */
        ck_assert(racers[i].applied == 0 || racers[i].applied == (int)db_migration_count);
    }
    pthread_barrier_destroy(&start);
    ck_assert_int_eq(total, (int)db_migration_count);

    PGconn *pg = db_test_connect(url);
    char *want = embedded_list();
    db_test_assert_query(pg, recorded_sql, want);
    free(want);
    char *count = xasprintf("%zu", db_migration_count);
    db_test_assert_query(pg, "SELECT count(*) FROM schema_migrations", count);
    free(count);
    PQfinish(pg);
    free(url);
}
END_TEST

struct background_migration {
    const char *url;
    atomic_int done;
    enum db_status status;
    int applied;
};

static void *migrate_in_background(void *arg)
{
    struct background_migration *b = arg;
    b->status = db_migrate(b->url, &b->applied, NULL);
    atomic_store(&b->done, 1);
    return NULL;
}

START_TEST(waits_for_the_advisory_lock)
{
    char *url = db_test_fresh_database("db_migrate");
    PGconn *holder = db_test_connect(url);
    struct background_migration b = {.url = url, .applied = -1};
    pthread_t thread;
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 500 * 1000000L};

    free(db_test_query(holder, "BEGIN", NULL));
    free(db_test_query(holder, "SELECT pg_advisory_xact_lock(7091318301185636641)", NULL));
    ck_assert_int_eq(pthread_create(&thread, NULL, migrate_in_background, &b), 0);
    nanosleep(&pause, NULL);
    ck_assert_int_eq(atomic_load(&b.done), 0); /* blocked on the lock */
    db_test_assert_query(holder, "SELECT to_regclass('schema_migrations') IS NULL", "t");
    free(db_test_query(holder, "COMMIT", NULL));
    pthread_join(thread, NULL);
    ck_assert_int_eq(b.status, DB_OK);
    ck_assert_int_eq(b.applied, (int)db_migration_count);
    PQfinish(holder);
    free(url);
}
END_TEST

START_TEST(failing_migration_rolls_everything_back)
{
    char *url = db_test_fresh_database("db_migrate");
    PGconn *pg = db_test_connect(url);
    char *err = NULL;
    int applied = -1;

    /* an object in the way of migration 001 */
    free(db_test_query(pg, "CREATE TABLE audit_events (x int)", NULL));
    enum db_status st = db_migrate(url, &applied, &err);
    ck_assert_int_eq(st, DB_ERROR); /* 42P07 duplicate_table */
    ck_assert_int_eq(applied, 0);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "migration 001 'audit_events' failed") &&
                      strstr(err, "\"audit_events\" already exists"),
                  "unexpected error: %s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
    free(err);

    /* nothing of the run is left: not even schema_migrations */
    db_test_assert_query(pg, "SELECT to_regclass('schema_migrations') IS NULL", "t");
    db_test_assert_query(pg,
                         "SELECT string_agg(attname, ',') FROM pg_attribute WHERE "
                         "attrelid = 'audit_events'::regclass AND attnum > 0",
                         "x");

    /* once the obstacle is gone, the next run succeeds */
    free(db_test_query(pg, "DROP TABLE audit_events", NULL));
    ck_assert_int_eq(db_migrate(url, &applied, &err), DB_OK);
    ck_assert_int_eq(applied, (int)db_migration_count);
    PQfinish(pg);
    free(url);
}
END_TEST

START_TEST(unreachable_database_is_unavailable)
{
    char *err = NULL;
    int applied = -1;
    struct timespec t0, t1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(
        db_migrate("postgresql:///billkey?host=/nonexistent-billkey-socket-dir", &applied, &err),
        DB_UNAVAILABLE);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 2);
    ck_assert_int_eq(applied, 0);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "cannot connect to the database") &&
                      strstr(err, "/nonexistent-billkey-socket-dir"),
                  "unexpected error: %s", err);
    free(err);

    /* a database that does not exist on a running server */
    const char *good = testlib_env("BILLKEY_TEST_DATABASE_URL");
    const char *query = strchr(good, '?');
    ck_assert_ptr_nonnull(query);
    char *url = xasprintf("postgresql:///no_such_db_%ld%s", (long)time(NULL), query);
    ck_assert_int_eq(db_migrate(url, &applied, &err), DB_UNAVAILABLE);
    ck_assert_ptr_nonnull(strstr(err, "does not exist"));
    free(err);
    free(url);

    ck_assert_int_eq(db_migrate(NULL, &applied, &err), DB_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "no database conninfo"));
    free(err);
    ck_assert_int_eq(db_migrate("host='unterminated", &applied, &err), DB_ERROR);
    ck_assert_ptr_nonnull(strstr(err, "cannot parse the database conninfo"));
    free(err);
    ck_assert_int_eq(db_migrate("postgresql:///x?host=/nonexistent", NULL, NULL), DB_UNAVAILABLE);
}
END_TEST

static Suite *suite_db_migrate(void)
{
    Suite *s = suite_create("db_migrate");
    TCase *tc = tcase_create("db_migrate");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, embedded_migrations_match_their_files);
    tcase_add_test(tc, fresh_database_gets_every_migration);
    tcase_add_test(tc, second_run_applies_nothing);
    tcase_add_test(tc, existing_empty_schema_migrations_is_used);
    tcase_add_test(tc, concurrent_runs_apply_each_version_once);
    tcase_add_test(tc, waits_for_the_advisory_lock);
    tcase_add_test(tc, failing_migration_rolls_everything_back);
    tcase_add_test(tc, unreachable_database_is_unavailable);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_db_migrate)
