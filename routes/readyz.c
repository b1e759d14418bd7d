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
    /* its own connection (route_env.readyz_db): never waits for a slot of the busy main pool */
    struct db_pool *pool = env->readyz_db ? env->readyz_db : env->billing.db;
    struct db_conn *conn = NULL;
    cJSON *body = NULL;
    enum db_status st = db_acquire(pool, &conn);
    if (st == DB_OK)
        st = db_schema_version_on(conn, &have);
    if (st != DB_OK) {
        reply_error(rep, req, 503, "not_ready", NULL, "database %s (%s)",
                    st == DB_UNAVAILABLE ? "unreachable" : "query failed", db_status_name(st));
        goto out;
    }
    if (have < want) {
        reply_error(rep, req, 503, "not_ready", NULL, "database schema is at version %d, need %d",
                    have, want);
        goto out;
    }
    body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "status", "ready");
    cJSON_AddNumberToObject(body, "schema_version", have);
    /* The reconciler's items past their grace, on the same connection; readiness does not
     * depend on them. */
    struct reconcile_backlog backlog;
    if (env->reconcile && reconciler_backlog_on(conn, env->reconcile, &backlog) == DB_OK)
        cJSON_AddItemToObject(body, "backlog", reconciler_backlog_json(&backlog));
    reply_json(rep, 200, body);
out:
    if (conn)
        db_release(pool, conn);
}
