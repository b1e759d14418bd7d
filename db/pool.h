/* A bounded pool of libpq connections with checkout validation and prepared statements. */
#ifndef BILLKEY_DB_POOL_H
#define BILLKEY_DB_POOL_H

#include <libpq-fe.h>

#include "db/statements.h"

/* What a database call came to. Callers map these to HTTP statuses (CONFLICT → 409, ...). */
enum db_status {
    DB_OK = 0,
    DB_NOT_FOUND,   /* 0 rows where 1 was expected; never set by this module, only by callers */
    DB_CONFLICT,    /* 23505 unique_violation */
    DB_INVALID,     /* other 23xxx integrity violations, 22xxx data exceptions */
    DB_RETRY,       /* 40001 serialization_failure, 40P01 deadlock_detected */
    DB_UNAVAILABLE, /* cannot connect, connection lost (08xxx, 57P01..57P03), pool wait timed out */
    DB_FORBIDDEN,   /* 42501 insufficient_privilege: the role may not do this (a missing grant, or
                       the append-only trigger of audit_events refusing UPDATE/DELETE/TRUNCATE) */
    DB_ERROR        /* anything else, including caller mistakes (bad statement id, NULL params) */
};

/* "ok", "not_found", "conflict", "invalid", "retry", "unavailable", "forbidden", "error";
 * "unknown" for a value outside the enum. Static storage. */
const char *db_status_name(enum db_status st);
/* Maps a 5-character SQLSTATE. NULL (libpq reports no SQLSTATE when the connection itself
 * failed) → DB_UNAVAILABLE; anything that is not 5 characters of [0-9A-Z] → DB_ERROR. */
enum db_status db_status_from_sqlstate(const char *sqlstate);

struct db_pool;
struct db_conn;

/* Creates a pool of at most `size` (1..1000) connections to conninfo (a postgresql:// URL or a
 * key=value string; copied). Connects lazily: creation never fails because the database is
 * down. acquire_timeout_ms (>= 0) bounds the wait for a free connection. Returns NULL only on
 * bad arguments (NULL or unparsable conninfo, size or timeout out of range). Caller frees with
 * db_pool_free(). */
struct db_pool *db_pool_create(const char *conninfo, int size, int acquire_timeout_ms);
/* Closes every connection and frees the pool. Every connection must have been released first
 * (a connection still checked out is logged as a bug and closed anyway). NULL is a no-op. */
void db_pool_free(struct db_pool *pool);

/* Checks out a connection: waits up to acquire_timeout_ms for a free one, then validates it
 * (a broken connection, or one the server closed while idle, is closed and a new one opened; a
 * transaction left open is rolled back) and prepares every statement of db/statements.c on a
 * fresh connection (a statement whose tables do not exist yet, before migrations, is prepared
 * again on first use by db_exec). Returns DB_OK and *out (borrowed until db_release), or
 * DB_UNAVAILABLE with *out NULL when the database is down or the wait timed out. */
enum db_status db_acquire(struct db_pool *pool, struct db_conn **out);
/* Marks a checked-out connection so db_release() closes it instead of pooling it: for a
 * connection that may still hold session state (an advisory lock that could not be released).
 * Closing the session is what releases such state on the server. */
void db_conn_discard(struct db_conn *conn);

/* Returns the connection to the pool: one left inside a transaction is rolled back, a broken
 * one is closed. conn must not be used afterwards. NULL is a no-op. */
void db_release(struct db_pool *pool, struct db_conn *conn);

/* Executes a prepared statement with text parameters (db_statement(stmt)->nparams of them; a
 * NULL entry is SQL NULL; params may be NULL when there are none). On DB_OK, when res is not
 * NULL, *res gets the PGresult, which the caller frees with PQclear(); on any error *res is
 * NULL. Maps failures via SQLSTATE; connection loss gives DB_UNAVAILABLE and marks the
 * connection broken (db_release closes it). Never builds SQL. */
enum db_status db_exec(struct db_conn *conn, enum db_stmt stmt, const char *const *params,
                       PGresult **res);
/* BEGIN / COMMIT / ROLLBACK. db_commit of a transaction that already failed rolls it back and
 * returns DB_ERROR (PostgreSQL answers such a COMMIT with ROLLBACK, not with an error). */
enum db_status db_begin(struct db_conn *conn);
enum db_status db_commit(struct db_conn *conn);
enum db_status db_rollback(struct db_conn *conn);

/* The connection's last error text (trimmed), "" when there was none, for logs. Borrowed:
 * valid until the next call on this connection. */
const char *db_conn_error(const struct db_conn *conn);

/* For tests: the number of open connections, and the backend pid of a checked-out connection
 * (0 when it has none). */
int db_pool_open_count(struct db_pool *pool);
int db_conn_backend_pid(const struct db_conn *conn);

/* A snapshot of the pool for metrics: its size, the connections checked out, and the callers
 * waiting in db_acquire() for one. */
struct db_pool_usage {
    int size;
    int in_use;
    int waiting;
};
/* Fills *out (zeroes when pool is NULL). */
void db_pool_usage(struct db_pool *pool, struct db_pool_usage *out);

/* Opens one connection outside any pool (for migrations and tools) with connect_timeout=3
 * unless conninfo sets one, server notices sent to the log. Returns the connection (caller
 * PQfinish()es it), or NULL with *err (caller frees) saying why. */
PGconn *db_connect(const char *conninfo, char **err);

#endif
