/* What every handler works with (req->ctx): the billing domain's environment and the page settings. */
#ifndef BILLKEY_ROUTE_ENV_H
#define BILLKEY_ROUTE_ENV_H

#include <stdatomic.h>

#include "server/billing/billing_env.h"
#include "server/http/http.h"

struct cidr_list;
struct rate_limit;
struct verify_guard;
struct reconcile_settings;
struct webhook_worker;

/* Built by main (or a test) and handed to the HTTP server as http_site.ctx. Everything is
 * borrowed and outlives the server; handlers only read it. */
struct route_env {
    struct billing_env billing;    /* pool, iamport client, PG settings, clock */
    const char *static_dir;        /* STATIC_DIR */
    const char *imp_code;          /* IMP_CODE, "" when unset */
    const char *iamport_sdk_url;   /* IAMPORT_SDK_URL */
    int sandbox_mode;              /* SANDBOX_MODE */
    const atomic_int *db_migrated; /* 1 once migrations are applied (NULL: never) */
    /* BILLKEY_API_KEYS, for POST /users/getToken (dispatch gets them through http_site); the
     * tokens' `now`/`expired_at` come from billing.clock */
    const struct merchant_key *merchant_keys;
    size_t merchant_key_count;
    struct webhook_worker *webhooks;         /* woken when a webhook is recorded (NULL: none) */
    const struct cidr_list *webhook_senders; /* WEBHOOK_ALLOWED_CIDRS (NULL or empty: any) */
    const char *metrics_token;               /* METRICS_TOKEN (NULL or "": /metrics is 404) */
    /* Verifications started by public routes (POST /payments/complete, the mobile landing) */
    struct rate_limit *verify_limit;         /* per client address (NULL: no limit) */
    struct verify_guard *verify_guard;       /* unknown imp_uids (NULL: none remembered) */
    const struct cidr_list *trusted_proxies; /* TRUSTED_PROXIES (NULL or empty: nobody) */
    /* A pool of one connection that only /readyz uses (validated and reconnected on checkout),
     * so readiness never waits for a slot of billing.db; NULL: billing.db */
    struct db_pool *readyz_db;
    const struct reconcile_settings *reconcile; /* the grace periods /readyz counts the
                                                   reconciler's backlog with (NULL: no backlog) */
};

/* The environment of the request being handled. */
static inline const struct route_env *route_env(const struct request *req)
{
    return req->ctx;
}

#endif
