/* The audit trail writer: one audit_events row per state change, inside the caller's transaction. */
#include "server/billing/audit.h"

#include <stdlib.h>

#include "server/core/json_util.h"

enum db_status audit_record(struct db_conn *conn, const char *actor, const char *action,
                            const char *subject, const char *request_id, cJSON *detail)
{
    char *text = detail ? json_print(detail) : NULL;
    cJSON_Delete(detail);
    const char *params[] = {actor, action, subject, request_id && request_id[0] ? request_id : NULL,
                            text};
    enum db_status st = db_exec(conn, STMT_AUDIT_INSERT, params, NULL);
    cJSON_free(text);
    return st;
}
