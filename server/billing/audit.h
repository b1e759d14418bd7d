/* The audit trail writer: one audit_events row per state change, inside the caller's transaction. */
#ifndef BILLKEY_AUDIT_H
#define BILLKEY_AUDIT_H

#include <cjson/cJSON.h>

#include "db/pool.h"

/* Inserts {actor, action, subject, request_id, detail} on conn (inside whatever transaction the
 * caller has open). detail is taken (deleted here, NULL = {}); it must hold no secrets, tokens or
 * full card numbers. subject and request_id may be NULL. Returns db_exec's status. */
enum db_status audit_record(struct db_conn *conn, const char *actor, const char *action,
                            const char *subject, const char *request_id, cJSON *detail);

#endif
