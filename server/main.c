/* billkeyd entry point: configuration, start-up order, signal handling and graceful shutdown. */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/batch.h"
#include "db/pool.h"
#include "routes/idempotency_wrap.h"
#include "routes/route_env.h"
#include "routes/routes.h"
#include "server/billing/verify_guard.h"
#include "server/billing/reconciler.h"
#include "server/billing/webhook_worker.h"
#include "server/config.h"
#include "server/core/cidr.h"
#include "server/core/clock.h"
#include "server/http/http_server.h"
#include "server/iamport/iamport.h"
#include "server/core/log.h"
#include "server/core/rate_limit.h"
#include "server/core/xalloc.h"
#include "server/migrator.h"

static void usage(FILE *out)
{
    fputs("usage: billkeyd [--help | --check-config]\n"
          "\n"
          "billkey serves iamport billing-key checkouts, verification and the merchant API.\n"
          "It is configured only through environment variables:\n\n",
          out);
    config_print_help(out);
}

/* Seconds the rest of the shutdown (closing connections, joining the migrator, freeing) may
 * take after the grace period before the watchdog ends the process. The watchdog may end a money
 * call midway (one is up to 10 x (connect + total timeout) with its lookup): its ledger row was
 * written 'requested' before the call, and the reconciler settles it from iamport (README,
 * "Shutdown and crashes"). */
#define SHUTDOWN_WATCHDOG_MARGIN_SECONDS 10

static int watchdog_seconds;

/* Client addresses the verification limit remembers, and unknown imp_uids the guard does:
 * fixed sizes, so a flood cannot grow memory (about 5 MB and 0.5 MB). */
#define VERIFY_LIMIT_CLIENTS 65536
#define VERIFY_UNKNOWN_IMP_UIDS 4096

/* Ends the process when shutdown hangs: a handler stuck on a database lock or a dead peer keeps
 * MHD_stop_daemon joining its thread forever, and the migrator can wait on the migration lock
 * forever; neither can be interrupted, and freeing what they use would be a use-after-free. */
static void *shutdown_watchdog(void *arg)
{
    (void)arg;
    struct timespec left = {.tv_sec = watchdog_seconds, .tv_nsec = 0};
    while (nanosleep(&left, &left) != 0 && errno == EINTR)
        ;
    log_msg(LOG_ERROR, NULL,
            "shutdown did not finish within %d s (a request or the migrator is stuck); exiting",
            watchdog_seconds);
    _exit(1);
    return NULL;
}

static void start_shutdown_watchdog(int grace_seconds)
{
    pthread_t thread;
    watchdog_seconds = grace_seconds + SHUTDOWN_WATCHDOG_MARGIN_SECONDS;
    if (pthread_create(&thread, NULL, shutdown_watchdog, NULL) == 0)
        pthread_detach(thread);
    else
        log_msg(LOG_WARN, NULL, "cannot start the shutdown watchdog; shutdown may hang");
}

static const char *env_lookup(const char *name)
{
    return getenv(name);
}

int main(int argc, char **argv)
{
    int check_only = 0;
    xalloc_init_cjson();
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--check-config") == 0) {
            check_only = 1;
        } else {
            fprintf(stderr, "billkeyd: unknown argument '%s'\n\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    struct config cfg;
    char *errors = NULL;
    int problems = config_load(&cfg, env_lookup, &errors);
    if (problems) {
        fprintf(stderr, "billkeyd: invalid configuration (%d problem%s):\n%s", problems,
                problems == 1 ? "" : "s", errors ? errors : "");
        if (errors && errors[0] && errors[strlen(errors) - 1] != '\n')
            fputc('\n', stderr);
        free(errors);
        return 2;
    }
    free(errors);
    if (check_only) {
        printf("configuration ok\n");
        config_release(&cfg);
        return 0;
    }

    log_set_level(cfg.log_level);
    config_register_secrets(&cfg);
    config_log_effective(&cfg);

    /* Signals are taken synchronously by this thread; every thread created later inherits
     * the mask, so none of them is interrupted. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = 1;
    struct http_server *srv = NULL;
    struct db_pool *db = NULL;
    struct db_pool *readyz_db = NULL; /* /readyz's own connection: never waits for the pool */
    struct db_batcher *batch = NULL;  /* group commit (DB_BATCH_MAX > 1) */
    struct iamport_client *iamport = NULL;
    struct migrator migrator;
    memset(&migrator, 0, sizeof migrator);
    migrator.database_url = cfg.database_url;
    struct webhook_worker webhooks;
    memset(&webhooks, 0, sizeof webhooks);
    struct cidr_list webhook_senders;
    memset(&webhook_senders, 0, sizeof webhook_senders);
    struct cidr_list trusted_proxies;
    memset(&trusted_proxies, 0, sizeof trusted_proxies);
    struct rate_limit *verify_limit = NULL;
    struct verify_guard *verify_guard = NULL;
    struct reconciler reconciler;
    memset(&reconciler, 0, sizeof reconciler);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_msg(LOG_ERROR, NULL, "curl_global_init failed");
        goto out;
    }
    db = db_pool_create(cfg.database_url, cfg.db_pool_size, cfg.db_acquire_timeout_ms);
    readyz_db = db_pool_create(cfg.database_url, 1, cfg.db_acquire_timeout_ms);
    if (!db || !readyz_db) {
        log_msg(LOG_ERROR, NULL, "cannot create the database pool (bad DATABASE_URL?)");
        goto out;
    }
    if (cfg.db_batch_max > 1)
        batch = db_batcher_new(db, cfg.db_batch_max);
    struct iamport_client_options iopts = {
        .base_url = cfg.iamport_base_url,
        .api_key = cfg.iamport_api_key,
        .api_secret = cfg.iamport_api_secret,
        .connect_timeout_ms = cfg.iamport_connect_timeout_ms,
        .timeout_ms = cfg.iamport_timeout_ms,
        .clock = &clock_system,
        .max_concurrent = cfg.iamport_max_concurrent,
    };
    iamport = iamport_client_new(&iopts);
    if (!iamport) {
        log_msg(LOG_ERROR, NULL, "cannot create the iamport client (see the previous line)");
        goto out;
    }
    if (migrator_start(&migrator) != 0) {
        log_msg(LOG_ERROR, NULL, "cannot start the migration thread");
        goto out;
    }

    struct route_env env = {
        .billing =
            {
                .db = db,
                .iamport = iamport,
                .pg =
                    {
                        .kakaopay_cid = cfg.pg_kakaopay_cid,
                        .kicc_mid = cfg.pg_kicc_mid,
                        .chai_public_key = cfg.pg_chai_public_key,
                        .naverpay_product_code = cfg.naverpay_product_code,
                        .naverpay_chain_id = cfg.naverpay_chain_id,
                        .public_base_url = cfg.public_base_url,
                        .naverpay_use_cfm = cfg.naverpay_use_cfm,
                    },
                .clock = &clock_system,
                .charge_amount_max = cfg.charge_amount_max,
                /* token + again + lookup (retried twice), each up to connect + total */
                .charge_stale_ms = 10LL * (cfg.iamport_connect_timeout_ms + cfg.iamport_timeout_ms),
                .batch = batch,
            },
        .static_dir = cfg.static_dir,
        .imp_code = cfg.imp_code,
        .iamport_sdk_url = cfg.iamport_sdk_url,
        .sandbox_mode = cfg.sandbox_mode,
        .db_migrated = &migrator.migrated,
        .merchant_keys = cfg.api_keys,
        .merchant_key_count = cfg.api_key_count,
        .webhooks = &webhooks,
        .webhook_senders = &webhook_senders,
        .metrics_token = cfg.metrics_token,
        .trusted_proxies = &trusted_proxies,
        .readyz_db = readyz_db,
        .reconcile = &reconciler.settings,
    };
    /* config_load checked the list already */
    if (cidr_list_parse(cfg.trusted_proxies, &trusted_proxies, NULL) != 0) {
        log_msg(LOG_ERROR, NULL, "cannot read TRUSTED_PROXIES");
        goto out;
    }
    verify_limit = rate_limit_new(cfg.verify_rate_per_minute, cfg.verify_rate_burst,
                                  VERIFY_LIMIT_CLIENTS, &clock_system);
    verify_guard = verify_guard_new(cfg.unknown_imp_uid_ttl_seconds * 1000, VERIFY_UNKNOWN_IMP_UIDS,
                                    &clock_system);
    env.verify_limit = verify_limit;
    env.verify_guard = verify_guard;
    /* config_load checked the list already */
    if (cidr_list_parse(cfg.webhook_allowed_cidrs, &webhook_senders, NULL) != 0) {
        log_msg(LOG_ERROR, NULL, "cannot read WEBHOOK_ALLOWED_CIDRS");
        goto out;
    }
    webhooks.env = &env.billing;
    webhooks.db_ready = &migrator.migrated;
    webhooks.lease_ms = env.billing.charge_stale_ms;
    webhooks.poll_ms = cfg.webhook_poll_ms;
    if (webhook_worker_start(&webhooks) != 0) {
        log_msg(LOG_ERROR, NULL, "cannot start the webhook worker thread");
        goto out;
    }
    reconciler.env = &env.billing;
    reconciler.db_ready = &migrator.migrated;
    reconciler.interval_ms = cfg.reconcile_interval_ms;
    reconciler.settings = (struct reconcile_settings){
        .registration_grace_s = cfg.reconcile_registration_grace_s,
        .charge_grace_s = cfg.reconcile_charge_grace_s,
        .schedule_grace_s = cfg.reconcile_schedule_grace_s,
        /* one item's exchange: the same bound as a crashed charge */
        .lease_ms = env.billing.charge_stale_ms,
        .stale_ms = env.billing.charge_stale_ms,
        /* an unsettled item, a failed webhook event: again after 10 passes */
        .retry_ms = 10LL * (cfg.reconcile_interval_ms > 0 ? cfg.reconcile_interval_ms : 30000),
        .idempotency_keep_s = 3600LL * cfg.idempotency_keep_hours,
    };
    if (cfg.reconcile_interval_ms == 0)
        log_msg(LOG_WARN, NULL,
                "RECONCILE_INTERVAL_MS=0: this instance does not reconcile; charges, "
                "registrations and schedules left unsettled need another instance that does");
    if (reconciler_start(&reconciler) != 0) {
        log_msg(LOG_ERROR, NULL, "cannot start the reconciler thread");
        goto out;
    }
    struct http_middleware idempotency = route_idempotency_middleware(&env.billing);
    struct http_site site = {
        .routes = billkey_routes,
        .route_count = billkey_route_count,
        .max_body = cfg.max_body_bytes,
        .merchant_keys = cfg.api_keys,
        .merchant_key_count = cfg.api_key_count,
        .clock = &clock_system,
        .middleware = &idempotency,
        .ctx = &env,
    };
    struct http_server_options hopts = {
        .listen_addr = cfg.listen_addr,
        .port = cfg.port,
        .timeout_seconds = cfg.http_timeout_seconds,
        .max_connections = (unsigned)cfg.http_max_connections,
        .site = &site,
        .request_deadline_ms = cfg.request_deadline_ms,
        .per_ip_connection_limit = (unsigned)cfg.per_ip_connection_limit,
        .workers = (unsigned)cfg.http_workers,
        .queue_limit = (size_t)cfg.http_queue_limit,
    };
    char *err = NULL;
    srv = http_server_start(&hopts, &err);
    if (!srv) {
        log_msg(LOG_ERROR, NULL, "%s", err);
        free(err);
        goto out;
    }
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "address", cfg.listen_addr);
    cJSON_AddNumberToObject(f, "port", http_server_port(srv));
    log_json(LOG_INFO, NULL, "listening", f);

    int sig = 0;
    sigwait(&sigs, &sig);
    log_msg(LOG_INFO, NULL, "received %s, shutting down (grace %ds)",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", cfg.shutdown_timeout_seconds);
    rc = 0;

out:
    start_shutdown_watchdog(cfg.shutdown_timeout_seconds);
    http_server_stop(srv, cfg.shutdown_timeout_seconds);
    reconciler_stop(&reconciler);
    webhook_worker_stop(&webhooks);
    migrator_stop(&migrator);
    cidr_list_release(&webhook_senders);
    cidr_list_release(&trusted_proxies);
    rate_limit_free(verify_limit);
    verify_guard_free(verify_guard);
    db_batcher_free(batch);
    if (db)
        db_pool_free(db);
    db_pool_free(readyz_db);
    iamport_client_free(iamport);
    curl_global_cleanup();
    log_msg(LOG_INFO, NULL, "stopped");
    config_release(&cfg);
    log_shutdown();
    return rc;
}
