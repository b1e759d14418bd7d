/* The single list of SQL statements the service runs: name, fixed SQL text, parameter count. */
#include "db/statements.h"

#include <stddef.h>

static const struct db_statement statements[STMT_COUNT] = {
    [STMT_PING] = {"ping", "SELECT 1", 0},
    [STMT_SCHEMA_VERSION] = {"schema_version",
                             "SELECT coalesce(max(version), 0) FROM schema_migrations", 0},
    [STMT_AUDIT_INSERT] = {"audit_insert",
                           "INSERT INTO audit_events (actor, action, subject, request_id, detail) "
                           "VALUES ($1, $2, $3, $4, coalesce($5::jsonb, '{}'::jsonb)) RETURNING id",
                           5},
};

const struct db_statement *db_statement(enum db_stmt id)
{
    if ((int)id < 0 || id >= STMT_COUNT)
        return NULL;
    return &statements[id];
}
