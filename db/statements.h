/* The single list of SQL statements the service runs, each prepared on every pooled connection. */
#ifndef BILLKEY_DB_STATEMENTS_H
#define BILLKEY_DB_STATEMENTS_H

/* One id per statement; db_exec() takes these, never SQL text. Add a row here and in
 * db/statements.c together. */
enum db_stmt {
    STMT_PING,            /* SELECT 1 */
    STMT_SCHEMA_VERSION,  /* → version (int, 0 when nothing is applied) */
    STMT_AUDIT_INSERT,    /* $1 actor, $2 action, $3 subject|NULL, $4 request_id|NULL,
                             $5 detail JSON text|NULL (= {}) → id */
    STMT_COUNT
};

struct db_statement {
    const char *name;  /* the prepared statement's name on the server */
    const char *sql;   /* fixed text with $1..$nparams placeholders */
    int nparams;
};

/* Returns the statement with that id (static storage, never freed), or NULL when the id is
 * out of range. */
const struct db_statement *db_statement(enum db_stmt id);

#endif
