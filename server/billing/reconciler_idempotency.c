/* The reconciler's Idempotency-Key expiry: stored answers older than IDEMPOTENCY_KEEP_HOURS are deleted in batches. */
#include "server/billing/reconciler_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "server/billing/billing_env.h"
#include "server/core/log.h"

#define PURGE_BATCH 500

int reconcile_one_idempotency_batch(const struct billing_env *env,
                                    const struct reconcile_settings *s)
{
    if (s->idempotency_keep_s <= 0)
        return 0;
    char keep[24], batch[24];
    snprintf(keep, sizeof keep, "%" PRId64, s->idempotency_keep_s);
    snprintf(batch, sizeof batch, "%d", PURGE_BATCH);
    const char *params[] = {keep, batch};
    struct db_conn *conn = NULL;
    PGresult *res = NULL;
    long deleted = 0;

    enum db_status st = db_acquire(env->db, &conn);
    if (st == DB_OK)
        st = db_exec(conn, STMT_RECONCILE_IDEMPOTENCY_PURGE, params, &res);
    if (st == DB_OK)
        deleted = strtol(PQcmdTuples(res), NULL, 10);
    else
        log_msg(LOG_WARN, NULL, "reconciler: deleting expired Idempotency-Key answers failed (%s)",
                db_status_name(st));
    if (res)
        PQclear(res);
    if (conn)
        db_release(env->db, conn);
    if (deleted > 0)
        log_msg(LOG_INFO, NULL,
                "reconciler: deleted %ld Idempotency-Key answer%s older than %" PRId64 " h",
                deleted, deleted == 1 ? "" : "s", s->idempotency_keep_s / 3600);
    return deleted == PURGE_BATCH;
}
