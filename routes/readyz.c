/* GET /readyz: PostgreSQL is reachable and migrated to this build's schema version (else 503). */
#include "routes/routes.h"

#include <libpq-fe.h>
#include <stdlib.h>

#include "db/migrate.h"
#include "db/pool.h"
#include "routes/route_env.h"

void route_readyz(struct request *req, struct reply *rep)
{
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    int want = db_migrations_latest();

    const struct route_env *env = route_env(req);
    if (!env->db_migrated || !atomic_load(env->db_migrated)) {
        reply_error(rep, req, 503, "not_ready", NULL,
                    "database migrations are not applied yet (is PostgreSQL reachable?)");
        goto out;
    }
    enum db_status st = db_acquire(env->billing.db, &conn);
    if (st != DB_OK) {
        reply_error(rep, req, 503, "not_ready", NULL, "database unreachable (%s)",
                    db_status_name(st));
        goto out;
    }
    st = db_exec(conn, STMT_SCHEMA_VERSION, NULL, &res);
    if (st != DB_OK) {
        reply_error(rep, req, 503, "not_ready", NULL, "database query failed (%s)",
                    db_status_name(st));
        goto out;
    }
    int have = atoi(PQgetvalue(res, 0, 0));
    if (have < want) {
        reply_error(rep, req, 503, "not_ready", NULL, "database schema is at version %d, need %d",
                    have, want);
        goto out;
    }
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "status", "ready");
    cJSON_AddNumberToObject(body, "schema_version", have);
    reply_json(rep, 200, body);
out:
    if (res)
        PQclear(res);
    if (conn)
        db_release(env->billing.db, conn);
}
