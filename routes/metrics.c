/* GET /metrics: counters, histograms and the database's backlog in the Prometheus text format. */
#include "routes/routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/batch.h"
#include "db/pool.h"
#include "routes/route_env.h"
#include "server/billing/billing_metrics.h"
#include "server/billing/reconciler_backlog.h"
#include "server/core/metrics.h"
#include "server/http/http_metrics.h"
#include "server/http/merchant_keys.h"
#include "server/iamport/iamport_metrics.h"

#define BEARER "Bearer "

/* Every family the scrape shows, in this order. */
/* clang-format off */
static const struct metrics_family *const families[] = {
    &http_metrics_requests,    &http_metrics_duration,           &iamport_metrics_calls,
    &iamport_metrics_duration, &iamport_metrics_token_refreshes, &billing_metrics_charges,
    &billing_metrics_won,
    &db_batch_metrics_batches, &db_batch_metrics_items, &db_batch_metrics_fallbacks,
};
/* clang-format on */

/* 1 when the request carries "Authorization: Bearer <METRICS_TOKEN>" (compared in constant
 * time). */
static int authorized(const struct request *req, const char *token)
{
    const char *auth = request_header(req, "Authorization");
    if (!auth || strncmp(auth, BEARER, strlen(BEARER)) != 0)
        return 0;
    const struct merchant_key expected = {.name = (char *)"metrics", .key = (char *)token};
    return merchant_key_name(&expected, 1, auth + strlen(BEARER)) != NULL;
}

/* The backlog gauges from STMT_BACKLOG (the statement /readyz runs) with the reconciler's graces
 * (NULL: 0); 0 on success, -1 (nothing written) when the database cannot answer. */
static int render_backlog(FILE *out, struct db_pool *db, const struct reconcile_settings *s)
{
    struct db_conn *conn = NULL;
    struct reconcile_backlog b;
    if (db_acquire(db, &conn) != DB_OK)
        return -1;
    enum db_status st = reconciler_backlog_on(conn, s, &b);
    db_release(db, conn);
    if (st != DB_OK)
        return -1;
    const char *kinds[RECONCILE_KINDS];
    double pending[RECONCILE_KINDS], overdue[RECONCILE_KINDS];
    for (int k = 0; k < RECONCILE_KINDS; k++) {
        kinds[k] = reconcile_kind_name(k);
        pending[k] = (double)b.pending[k];
        overdue[k] = (double)b.overdue[k];
    }
    metrics_render_gauges(out, "billkey_backlog_pending",
                          "Items waiting for an outcome, whatever their age, by kind of the "
                          "reconciler's work.",
                          "kind", kinds, pending, RECONCILE_KINDS);
    metrics_render_gauges(out, "billkey_backlog_overdue",
                          "Items past the reconciler's grace period (what it settles now; refunds "
                          "have none, webhooks: failed events), by kind.",
                          "kind", kinds, overdue, RECONCILE_KINDS);
    metrics_render_gauge(out, "billkey_webhook_lag_seconds",
                         "Age of the oldest webhook event not processed yet (0 when none is "
                         "waiting).",
                         b.webhook_lag_s);
    return 0;
}

void route_metrics(struct request *req, struct reply *rep)
{
    const struct route_env *env = route_env(req);
    char *text = NULL;
    size_t len = 0;

    if (!env->metrics_token || !env->metrics_token[0]) {
        reply_error(rep, req, 404, "not_found", NULL, "no route for '%s'", req->path);
        return;
    }
    if (!authorized(req, env->metrics_token)) {
        reply_set_header(rep, "WWW-Authenticate", "Bearer realm=\"billkey-metrics\"");
        reply_error(rep, req, 401, "unauthorized", NULL,
                    "send 'Authorization: Bearer <METRICS_TOKEN>' to read the metrics");
        return;
    }
    /* the pool's gauges first, before this scrape takes a connection itself */
    struct db_pool_usage usage;
    db_pool_usage(env->billing.db, &usage);

    FILE *out = open_memstream(&text, &len);
    if (!out) {
        reply_error(rep, req, 500, "internal", NULL, "cannot allocate the metrics text");
        return;
    }
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++)
        metrics_render(out, families[i]);
    metrics_render_gauge(out, "billkey_db_pool_connections", "PostgreSQL connections in the pool.",
                         usage.size);
    metrics_render_gauge(out, "billkey_db_pool_connections_in_use",
                         "PostgreSQL connections checked out of the pool.", usage.in_use);
    metrics_render_gauge(out, "billkey_db_pool_waiting",
                         "Callers waiting for a free PostgreSQL connection.", usage.waiting);
    metrics_render_gauge(out, "billkey_db_batch_waiting",
                         "Calls waiting for their group-commit batch (queued or running).",
                         db_batcher_waiting(env->billing.batch));
    int backlog_ok = render_backlog(out, env->billing.db, env->reconcile) == 0;
    metrics_render_gauge(out, "billkey_backlog_up",
                         "1 when the backlog gauges could be read from PostgreSQL, else 0.",
                         backlog_ok);
    fclose(out);
    reply_bytes(rep, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
}
