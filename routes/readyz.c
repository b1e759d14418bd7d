/* GET /readyz: PostgreSQL is reachable and migrated to this build's schema version (else 503). */
#include "routes/routes.h"

#include "db/migrate.h"
#include "routes/route_env.h"

void route_readyz(struct request *req, struct reply *rep)
{
    const struct route_env *env = route_env(req);
    int want = db_migrations_latest();
    int have = 0;

    if (!env->db_migrated || !atomic_load(env->db_migrated)) {
        reply_error(rep, req, 503, "not_ready", NULL,
                    "database migrations are not applied yet (is PostgreSQL reachable?)");
        return;
    }
    /* its own connection (route_env.readyz_db): never waits for a slot of the busy main pool */
    enum db_status st = db_schema_version(env->readyz_db ? env->readyz_db : env->billing.db, &have);
    if (st != DB_OK) {
        reply_error(rep, req, 503, "not_ready", NULL, "database %s (%s)",
                    st == DB_UNAVAILABLE ? "unreachable" : "query failed", db_status_name(st));
        return;
    }
    if (have < want) {
        reply_error(rep, req, 503, "not_ready", NULL, "database schema is at version %d, need %d",
                    have, want);
        return;
    }
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "status", "ready");
    cJSON_AddNumberToObject(body, "schema_version", have);
    reply_json(rep, 200, body);
}
