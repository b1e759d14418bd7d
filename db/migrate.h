/* Numbered schema migrations (db/migrations/NNN_name.sql, embedded at build time) and their runner. */
#ifndef BILLKEY_DB_MIGRATE_H
#define BILLKEY_DB_MIGRATE_H

#include <stddef.h>

#include "db/pool.h"

struct db_migration {
    int version;      /* NNN of the file name */
    const char *name; /* the file name between "NNN_" and ".sql" */
    const char *sql;  /* the file's bytes, exactly */
};

/* Generated at build time (build/generated/migrations_embedded.c), sorted by version,
 * versions unique. Static storage. */
extern const struct db_migration db_migrations[];
extern const size_t db_migration_count;

/* Applies pending migrations on one dedicated connection (not a pool) in one transaction under
 * a transaction-level advisory lock, recording each in schema_migrations(version, name,
 * applied_at). Any failure rolls the whole run back. A second process starting at the same
 * time waits for the lock, then finds the versions recorded and applies nothing.
 * Returns DB_OK with *applied = the number applied by this run (0 when up to date), or an error
 * status with *err (caller frees) saying which step or migration failed and why: DB_UNAVAILABLE
 * when the database cannot be reached, DB_ERROR for a NULL or unparsable conninfo, else the
 * status mapped from the failing statement's SQLSTATE. *applied is 0 on error (all was rolled
 * back). applied and err may be NULL (the error is then logged); *err is NULL on DB_OK. */
enum db_status db_migrate(const char *conninfo, int *applied, char **err);

/* The highest embedded version (readyz compares it with db_schema_version()). */
int db_migrations_latest(void);

/* The highest version recorded in schema_migrations (0 when none is), read on a pooled
 * connection. Returns DB_OK with *version, or the db_acquire / db_exec failure with *version 0. */
enum db_status db_schema_version(struct db_pool *pool, int *version);
/* The same on a connection the caller holds (borrowed). */
enum db_status db_schema_version_on(struct db_conn *conn, int *version);

#endif
