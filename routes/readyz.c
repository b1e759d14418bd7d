/* GET /readyz: PostgreSQL is reachable and migrated to this build's schema version (else 503), with the reconciler's backlog. */
#include "routes/routes.h"

#include "db/migrate.h"
#include "routes/route_env.h"
#include "server/billing/reconciler_backlog.h"

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
    enum db_status st = db_schema_version(env->billing.db, &have);
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
    /* The reconciler's items past their grace; readiness does not depend on them. */
    struct reconcile_backlog backlog;
    if (env->reconcile && reconciler_backlog(&env->billing, env->reconcile, &backlog) == DB_OK)
        cJSON_AddItemToObject(body, "backlog", reconciler_backlog_json(&backlog));
    reply_json(rep, 200, body);
}
