/* A bounded pool of libpq connections: checkout with a timed wait, validation, prepared statements. */
#include "db/pool.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/core/log.h"
#include "server/core/xalloc.h"

#define DB_POOL_MAX_SIZE 1000
#define DB_CONNECT_TIMEOUT "3"

struct db_conn {
    struct db_pool *pool;
    PGconn *pg;                         /* NULL when closed; written under pool->mutex */
    int in_use;                         /* under pool->mutex */
    int broken;                         /* the holder saw the connection fail */
    unsigned char prepared[STMT_COUNT]; /* 1 once that statement is prepared on pg */
    char error[1024];                   /* last error, trimmed; "" when none */
};

struct db_pool {
    char *conninfo;
    int size;
    int acquire_timeout_ms;
    pthread_mutex_t mutex;
    pthread_cond_t released; /* signalled when a connection goes back to the pool */
    int waiting;             /* threads waiting in db_acquire for a free slot; under mutex */
    struct db_conn *conns;   /* `size` slots */
};

/* clang-format off */
static const char *const status_names[] = {
    [DB_OK] = "ok",           [DB_NOT_FOUND] = "not_found",     [DB_CONFLICT] = "conflict",
    [DB_INVALID] = "invalid", [DB_RETRY] = "retry",             [DB_UNAVAILABLE] = "unavailable",
    [DB_FORBIDDEN] = "forbidden", [DB_ERROR] = "error",
};
/* clang-format on */

const char *db_status_name(enum db_status st)
{
    if ((int)st < 0 || (size_t)st >= sizeof status_names / sizeof status_names[0])
        return "unknown";
    return status_names[st];
}

enum db_status db_status_from_sqlstate(const char *sqlstate)
{
    if (!sqlstate)
        return DB_UNAVAILABLE;
    for (size_t i = 0; i < 5; i++) {
        char c = sqlstate[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')))
            return DB_ERROR;
    }
    if (sqlstate[5] != '\0')
        return DB_ERROR;
    if (strcmp(sqlstate, "23505") == 0)
        return DB_CONFLICT;
    if (strncmp(sqlstate, "23", 2) == 0 || strncmp(sqlstate, "22", 2) == 0)
        return DB_INVALID;
    if (strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0)
        return DB_RETRY;
    if (strncmp(sqlstate, "08", 2) == 0 || strcmp(sqlstate, "57P01") == 0 ||
        strcmp(sqlstate, "57P02") == 0 || strcmp(sqlstate, "57P03") == 0)
        return DB_UNAVAILABLE;
    if (strcmp(sqlstate, "42501") == 0)
        return DB_FORBIDDEN;
    return DB_ERROR;
}

/* Copies src into dst (size dst_len), collapsing runs of newlines/tabs into one space and
 * dropping trailing whitespace: libpq messages end with "\n" and indent hints with "\t". */
static void copy_trimmed(char *dst, size_t dst_len, const char *src)
{
    size_t n = 0;
    for (const char *p = src ? src : ""; *p && n + 1 < dst_len; p++) {
        if (*p == '\n' || *p == '\t' || *p == '\r') {
            if (n > 0 && dst[n - 1] != ' ')
                dst[n++] = ' ';
            continue;
        }
        dst[n++] = *p;
    }
    while (n > 0 && dst[n - 1] == ' ')
        n--;
    dst[n] = '\0';
}

static void conn_set_error(struct db_conn *conn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void conn_set_error(struct db_conn *conn, const char *fmt, ...)
{
    char raw[sizeof conn->error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    copy_trimmed(conn->error, sizeof conn->error, raw);
}

/* Server notices (and the FATAL a terminated backend sends) go to our log, not to stderr. */
static void log_notice(void *arg, const char *message)
{
    char text[1024];
    (void)arg;
    copy_trimmed(text, sizeof text, message);
    int serious = strncmp(text, "WARNING", 7) == 0 || strncmp(text, "ERROR", 5) == 0 ||
                  strncmp(text, "FATAL", 5) == 0 || strncmp(text, "PANIC", 5) == 0;
    cJSON *fields = cJSON_CreateObject();
    if (fields)
        cJSON_AddStringToObject(fields, "notice", text);
    log_json(serious ? LOG_WARN : LOG_DEBUG, NULL, "database notice", fields);
}

PGconn *db_connect(const char *conninfo, char **err)
{
    char *parse_error = NULL;
    const char **keywords = NULL, **values = NULL;
    PGconn *pg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", &parse_error);

    *err = NULL;
    if (!opts) {
        char msg[512];
        copy_trimmed(msg, sizeof msg, parse_error ? parse_error : "out of memory");
        *err = xasprintf("cannot parse the database conninfo: %s", msg);
        goto out;
    }
    size_t count = 0, n = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        count++;
    keywords = xcalloc(count + 3, sizeof *keywords);
    values = xcalloc(count + 3, sizeof *values);
    int has_timeout = 0;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val)
            continue;
        has_timeout |= strcmp(o->keyword, "connect_timeout") == 0;
        keywords[n] = o->keyword;
        values[n++] = o->val;
    }
    if (!has_timeout) {
        keywords[n] = "connect_timeout";
        values[n++] = DB_CONNECT_TIMEOUT;
    }
    keywords[n] = "fallback_application_name";
    values[n++] = "billkeyd";
    keywords[n] = NULL;
    values[n] = NULL;

    pg = PQconnectdbParams(keywords, values, 0);
    if (!pg) {
        *err = xstrdup("cannot connect to the database: out of memory");
        goto out;
    }
    if (PQstatus(pg) != CONNECTION_OK) {
        char msg[1024];
        copy_trimmed(msg, sizeof msg, PQerrorMessage(pg));
        *err = xasprintf("cannot connect to the database: %s", msg);
        PQfinish(pg);
        pg = NULL;
        goto out;
    }
    PQsetNoticeProcessor(pg, log_notice, NULL);

out:
    PQfreemem(parse_error);
    if (opts)
        PQconninfoFree(opts);
    free(keywords);
    free(values);
    return pg;
}

struct db_pool *db_pool_create(const char *conninfo, int size, int acquire_timeout_ms)
{
    char *parse_error = NULL;
    if (!conninfo || size < 1 || size > DB_POOL_MAX_SIZE || acquire_timeout_ms < 0)
        return NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &parse_error);
    PQfreemem(parse_error);
    if (!opts)
        return NULL;
    PQconninfoFree(opts);

    struct db_pool *pool = xcalloc(1, sizeof *pool);
    pool->conninfo = xstrdup(conninfo);
    pool->size = size;
    pool->acquire_timeout_ms = acquire_timeout_ms;
    pool->conns = xcalloc((size_t)size, sizeof *pool->conns);
    for (int i = 0; i < size; i++)
        pool->conns[i].pool = pool;

    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&pool->released, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&pool->mutex, NULL);
    return pool;
}

/* Closes the connection of a slot (the holder's, or any at pool teardown). */
static void conn_close(struct db_conn *conn)
{
    pthread_mutex_lock(&conn->pool->mutex);
    PGconn *pg = conn->pg;
    conn->pg = NULL;
    pthread_mutex_unlock(&conn->pool->mutex);
    if (pg)
        PQfinish(pg);
    memset(conn->prepared, 0, sizeof conn->prepared);
    conn->broken = 0;
}

void db_pool_free(struct db_pool *pool)
{
    if (!pool)
        return;
    for (int i = 0; i < pool->size; i++) {
        if (pool->conns[i].in_use)
            log_msg(LOG_ERROR, NULL, "database pool freed while connection %d is checked out", i);
        conn_close(&pool->conns[i]);
    }
    pthread_cond_destroy(&pool->released);
    pthread_mutex_destroy(&pool->mutex);
    free(pool->conns);
    free(pool->conninfo);
    free(pool);
}

/* Takes ownership of r. Returns DB_OK and hands r back through *keep (or frees it when keep is
 * NULL); on failure frees r, records the error, and marks the connection broken when it was
 * lost. */
static enum db_status conn_result(struct db_conn *conn, PGresult *r, PGresult **keep)
{
    enum db_status st;

    if (keep)
        *keep = NULL;
    if (!r) {
        conn_set_error(conn, "%s", PQerrorMessage(conn->pg));
        st = PQstatus(conn->pg) == CONNECTION_OK ? DB_ERROR : DB_UNAVAILABLE;
        goto out;
    }
    switch (PQresultStatus(r)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
        if (keep)
            *keep = r;
        else
            PQclear(r);
        return DB_OK;
    case PGRES_FATAL_ERROR:
    case PGRES_NONFATAL_ERROR:
    case PGRES_BAD_RESPONSE:
        st = db_status_from_sqlstate(PQresultErrorField(r, PG_DIAG_SQLSTATE));
        conn_set_error(conn, "%s", PQresultErrorMessage(r));
        break;
    default:
        /* COPY or pipeline states: none of our statements can get here; the connection is in a
         * state we cannot recover from. */
        st = DB_UNAVAILABLE;
        conn_set_error(conn, "unexpected result status '%s'", PQresStatus(PQresultStatus(r)));
        break;
    }
    PQclear(r);
    if (PQstatus(conn->pg) != CONNECTION_OK)
        st = DB_UNAVAILABLE;
out:
    if (st == DB_UNAVAILABLE)
        conn->broken = 1;
    return st;
}

static enum db_status conn_prepare(struct db_conn *conn, enum db_stmt id)
{
    const struct db_statement *s = db_statement(id);
    PGresult *r = PQprepare(conn->pg, s->name, s->sql, s->nparams, NULL);
    enum db_status st = conn_result(conn, r, NULL);
    if (st == DB_OK)
        conn->prepared[id] = 1;
    return st;
}

/* Prepares every statement on a fresh connection. A statement the server rejects (its tables
 * may not exist before migrations) stays unprepared for db_exec to retry; only losing the
 * connection fails. */
static enum db_status conn_prepare_all(struct db_conn *conn)
{
    for (int id = 0; id < STMT_COUNT; id++) {
        enum db_status st = conn_prepare(conn, (enum db_stmt)id);
        if (st == DB_UNAVAILABLE)
            return st;
        if (st != DB_OK)
            log_msg(LOG_DEBUG, NULL, "statement '%s' not prepared yet: %s",
                    db_statement((enum db_stmt)id)->name, conn->error);
    }
    conn->error[0] = '\0';
    return DB_OK;
}

static enum db_status conn_open(struct db_conn *conn)
{
    char *err = NULL;
    PGconn *pg = db_connect(conn->pool->conninfo, &err);
    if (!pg) {
        conn_set_error(conn, "%s", err);
        log_msg(LOG_WARN, NULL, "%s", conn->error);
        free(err);
        return DB_UNAVAILABLE;
    }
    pthread_mutex_lock(&conn->pool->mutex);
    conn->pg = pg;
    pthread_mutex_unlock(&conn->pool->mutex);
    memset(conn->prepared, 0, sizeof conn->prepared);
    conn->broken = 0;

    enum db_status st = conn_prepare_all(conn);
    if (st != DB_OK) {
        log_msg(LOG_WARN, NULL, "cannot prepare statements on a new database connection: %s",
                conn->error);
        conn_close(conn);
    }
    return st;
}

/* Returns 1 when an open connection can be handed out (or kept): the server has not closed it
 * while idle, and no transaction is left open (one is rolled back). 0 means: close it. */
static int conn_make_idle(struct db_conn *conn)
{
    PGconn *pg = conn->pg;

    if (conn->broken || PQstatus(pg) != CONNECTION_OK)
        return 0;
    /* An idle connection has nothing to read; anything readable is a notice, the FATAL of a
     * terminated backend, or EOF. */
    struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
    if (pfd.fd < 0)
        return 0;
    int ready = poll(&pfd, 1, 0);
    if (ready < 0 && errno != EINTR)
        return 0;
    if (ready > 0) {
        if (!PQconsumeInput(pg) || PQstatus(pg) != CONNECTION_OK)
            return 0;
        if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
            return 0;
        PGnotify *note;
        while ((note = PQnotifies(pg)) != NULL)
            PQfreemem(note);
    }

    switch (PQtransactionStatus(pg)) {
    case PQTRANS_IDLE:
        return 1;
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR: {
        PGresult *r = PQexec(pg, "ROLLBACK");
        int ok =
            r && PQresultStatus(r) == PGRES_COMMAND_OK && PQtransactionStatus(pg) == PQTRANS_IDLE;
        PQclear(r);
        return ok;
    }
    default:
        return 0;
    }
}

static void timespec_add_ms(struct timespec *t, int ms)
{
    t->tv_sec += ms / 1000;
    t->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

/* A free slot, preferring one with an open connection. Called with the mutex held. */
static struct db_conn *pick_free(struct db_pool *pool)
{
    struct db_conn *closed = NULL;
    for (int i = 0; i < pool->size; i++) {
        struct db_conn *c = &pool->conns[i];
        if (c->in_use)
            continue;
        if (c->pg)
            return c;
        if (!closed)
            closed = c;
    }
    return closed;
}

static void slot_give_back(struct db_conn *conn)
{
    pthread_mutex_lock(&conn->pool->mutex);
    conn->in_use = 0;
    pthread_cond_signal(&conn->pool->released);
    pthread_mutex_unlock(&conn->pool->mutex);
}

enum db_status db_acquire(struct db_pool *pool, struct db_conn **out)
{
    struct db_conn *conn = NULL;
    struct timespec deadline;

    if (out)
        *out = NULL;
    if (!pool || !out)
        return DB_ERROR;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    timespec_add_ms(&deadline, pool->acquire_timeout_ms);
    pthread_mutex_lock(&pool->mutex);
    while (!(conn = pick_free(pool))) {
        pool->waiting++;
        int rc = pthread_cond_timedwait(&pool->released, &pool->mutex, &deadline);
        pool->waiting--;
        if (rc == ETIMEDOUT && !(conn = pick_free(pool)))
            break;
    }
    if (conn)
        conn->in_use = 1;
    pthread_mutex_unlock(&pool->mutex);
    if (!conn) {
        log_msg(LOG_WARN, NULL, "no free database connection after %d ms (pool size %d)",
                pool->acquire_timeout_ms, pool->size);
        return DB_UNAVAILABLE;
    }

    if (conn->pg && !conn_make_idle(conn))
        conn_close(conn);
    if (!conn->pg) {
        enum db_status st = conn_open(conn);
        if (st != DB_OK) {
            slot_give_back(conn);
            return st;
        }
    }
    conn->broken = 0;
    conn->error[0] = '\0';
    *out = conn;
    return DB_OK;
}

void db_release(struct db_pool *pool, struct db_conn *conn)
{
    if (!pool || !conn)
        return;
    if (conn->pool != pool) {
        log_msg(LOG_ERROR, NULL, "database connection released to a pool it does not belong to");
        return;
    }
    pthread_mutex_lock(&pool->mutex);
    int in_use = conn->in_use;
    pthread_mutex_unlock(&pool->mutex);
    if (!in_use) {
        log_msg(LOG_ERROR, NULL, "database connection released twice");
        return;
    }
    if (conn->pg && !conn_make_idle(conn))
        conn_close(conn);
    slot_give_back(conn);
}

/* Checks that conn can run a command; sets the error and returns the status when it cannot. */
static enum db_status conn_usable(struct db_conn *conn)
{
    if (!conn->pg || conn->broken) {
        /* Keep the error that broke it: it says more than "broken". */
        if (!conn->error[0])
            conn_set_error(conn, "the database connection is broken");
        return DB_UNAVAILABLE;
    }
    return DB_OK;
}

enum db_status db_exec(struct db_conn *conn, enum db_stmt stmt, const char *const *params,
                       PGresult **res)
{
    const struct db_statement *s = db_statement(stmt);
    enum db_status st;

    if (res)
        *res = NULL;
    if (!conn)
        return DB_ERROR;
    if (!s) {
        conn_set_error(conn, "unknown statement id %d", (int)stmt);
        return DB_ERROR;
    }
    if (s->nparams > 0 && !params) {
        conn_set_error(conn, "statement '%s' needs %d parameters, got none", s->name, s->nparams);
        return DB_ERROR;
    }
    if ((st = conn_usable(conn)) != DB_OK)
        return st;
    if (!conn->prepared[stmt] && (st = conn_prepare(conn, stmt)) != DB_OK)
        return st;
    PGresult *r = PQexecPrepared(conn->pg, s->name, s->nparams, params, NULL, NULL, 0);
    return conn_result(conn, r, res);
}

/* Runs one of the fixed transaction-control commands. */
static enum db_status conn_exec_fixed(struct db_conn *conn, const char *sql, PGresult **keep)
{
    enum db_status st = conn_usable(conn);
    if (st != DB_OK)
        return st;
    return conn_result(conn, PQexec(conn->pg, sql), keep);
}

void db_conn_discard(struct db_conn *conn)
{
    if (conn)
        conn->broken = 1;
}

enum db_status db_begin(struct db_conn *conn)
{
    if (!conn)
        return DB_ERROR;
    if (conn->pg && PQtransactionStatus(conn->pg) != PQTRANS_IDLE && !conn->broken) {
        conn_set_error(conn, "cannot begin: a transaction is already in progress");
        return DB_ERROR;
    }
    return conn_exec_fixed(conn, "BEGIN", NULL);
}

enum db_status db_commit(struct db_conn *conn)
{
    PGresult *r = NULL;
    if (!conn)
        return DB_ERROR;
    if (conn->pg && PQtransactionStatus(conn->pg) == PQTRANS_IDLE && !conn->broken) {
        conn_set_error(conn, "cannot commit: no transaction is in progress");
        return DB_ERROR;
    }
    enum db_status st = conn_exec_fixed(conn, "COMMIT", &r);
    if (st == DB_OK && strcmp(PQcmdStatus(r), "COMMIT") != 0) {
        conn_set_error(conn,
                       "commit failed: the transaction had already failed and was rolled back");
        st = DB_ERROR;
    }
    PQclear(r);
    return st;
}

enum db_status db_rollback(struct db_conn *conn)
{
    if (!conn)
        return DB_ERROR;
    if (conn->pg && PQtransactionStatus(conn->pg) == PQTRANS_IDLE && !conn->broken)
        return DB_OK;
    return conn_exec_fixed(conn, "ROLLBACK", NULL);
}

const char *db_conn_error(const struct db_conn *conn)
{
    return conn ? conn->error : "";
}

int db_pool_open_count(struct db_pool *pool)
{
    int open = 0;
    if (!pool)
        return 0;
    pthread_mutex_lock(&pool->mutex);
    for (int i = 0; i < pool->size; i++)
        open += pool->conns[i].pg != NULL;
    pthread_mutex_unlock(&pool->mutex);
    return open;
}

void db_pool_usage(struct db_pool *pool, struct db_pool_usage *out)
{
    memset(out, 0, sizeof *out);
    if (!pool)
        return;
    pthread_mutex_lock(&pool->mutex);
    out->size = pool->size;
    out->waiting = pool->waiting;
    for (int i = 0; i < pool->size; i++)
        out->in_use += pool->conns[i].in_use != 0;
    pthread_mutex_unlock(&pool->mutex);
}

int db_conn_backend_pid(const struct db_conn *conn)
{
    return conn && conn->pg ? PQbackendPID(conn->pg) : 0;
}
