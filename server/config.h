/* Service configuration: every environment variable, parsed and validated from one table. */
#ifndef BILLKEY_CONFIG_H
#define BILLKEY_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "server/core/log.h"
#include "server/http/merchant_keys.h"

/* The effective configuration. Filled by config_load(); every pointer in it is owned by the
 * struct and freed by config_release(). Other modules borrow it read-only. */
struct config {
    int port;                 /* PORT, 0 = any free port */
    char *listen_addr;        /* LISTEN_ADDR, an IPv4 or IPv6 literal */
    char *database_url;       /* DATABASE_URL (secret) */
    char *iamport_base_url;   /* IAMPORT_BASE_URL, no trailing '/' */
    char *iamport_api_key;    /* IAMPORT_API_KEY (secret) */
    char *iamport_api_secret; /* IAMPORT_API_SECRET (secret) */
    /* BILLKEY_API_KEYS (secret), NULL when none; the strings are owned by the config */
    struct merchant_key *api_keys;
    size_t api_key_count;
    char *public_base_url;              /* PUBLIC_BASE_URL, no trailing '/' */
    enum log_level log_level;           /* LOG_LEVEL */
    size_t max_body_bytes;              /* MAX_BODY_BYTES */
    int http_timeout_seconds;           /* HTTP_TIMEOUT_SECONDS */
    int shutdown_timeout_seconds;       /* SHUTDOWN_TIMEOUT_SECONDS */
    int http_max_connections;           /* HTTP_MAX_CONNECTIONS */
    int db_pool_size;                   /* DB_POOL_SIZE */
    int db_acquire_timeout_ms;          /* DB_ACQUIRE_TIMEOUT_MS */
    char *static_dir;                   /* STATIC_DIR */
    int iamport_connect_timeout_ms;     /* IAMPORT_CONNECT_TIMEOUT_MS */
    int iamport_timeout_ms;             /* IAMPORT_TIMEOUT_MS */
    char *imp_code;                     /* IMP_CODE, "" when unset */
    char *iamport_sdk_url;              /* IAMPORT_SDK_URL */
    int sandbox_mode;                   /* SANDBOX_MODE, 0 or 1 */
    char *pg_kakaopay_cid;              /* PG_KAKAOPAY_CID, "" when unset */
    char *pg_kicc_mid;                  /* PG_KICC_MID, "" when unset */
    char *pg_chai_public_key;           /* PG_CHAI_PUBLIC_KEY, "" when unset */
    char *naverpay_product_code;        /* NAVERPAY_PRODUCT_CODE */
    char *naverpay_chain_id;            /* NAVERPAY_CHAIN_ID, "" when unset */
    int charge_amount_max;              /* CHARGE_AMOUNT_MAX, won */
    char *webhook_allowed_cidrs;        /* WEBHOOK_ALLOWED_CIDRS, "" when unset (any sender) */
    char *metrics_token;                /* METRICS_TOKEN (secret), "" when unset (no /metrics) */
    int request_deadline_ms;            /* REQUEST_DEADLINE_MS */
    int per_ip_connection_limit;        /* PER_IP_CONNECTION_LIMIT, 0 = none */
    char *trusted_proxies;              /* TRUSTED_PROXIES, "" when unset (nobody) */
    int verify_rate_per_minute;         /* VERIFY_RATE_PER_MINUTE, 0 = no limit */
    int verify_rate_burst;              /* VERIFY_RATE_BURST */
    int unknown_imp_uid_ttl_seconds;    /* UNKNOWN_IMP_UID_TTL_SECONDS, 0 = off */
    int naverpay_use_cfm;               /* NAVERPAY_USE_CFM, 0 or 1 */
    int iamport_max_concurrent;         /* IAMPORT_MAX_CONCURRENT */
    int reconcile_interval_ms;          /* RECONCILE_INTERVAL_MS, 0: no reconciler */
    int reconcile_registration_grace_s; /* RECONCILE_REGISTRATION_GRACE_S */
    int reconcile_charge_grace_s;       /* RECONCILE_CHARGE_GRACE_S */
    int reconcile_schedule_grace_s;     /* RECONCILE_SCHEDULE_GRACE_S */
    int webhook_poll_ms;                /* WEBHOOK_POLL_MS */
    int idempotency_keep_hours;         /* IDEMPOTENCY_KEEP_HOURS, 0 = for ever */
    int db_batch_max;                   /* DB_BATCH_MAX, 0 or 1 = no group commit */
    int http_workers;                   /* HTTP_WORKERS */
    int http_queue_limit;               /* HTTP_QUEUE_LIMIT, 0 = no queue */
};

/* Environment lookup, so tests need not touch the real environment. Returns a borrowed string
 * or NULL when unset. main passes NULL to config_load() for the process environment (getenv
 * itself returns char *, which does not convert to this type without a warning). */
typedef const char *(*config_getenv_fn)(const char *name);

/* Fills *cfg from the environment through getenv_fn (NULL: the process environment). Empty
 * values count as unset and take the default. Returns 0 with *errors set to NULL, or the
 * number of problems found; *errors (caller frees with free()) then holds every problem, one
 * per line, each ending in '\n', e.g. "PORT: '80x' is not an integer". A secret variable's
 * value is never echoed; other values are echoed at most 64 bytes long with control and
 * non-ASCII bytes as \xNN. On errors *cfg is released (nothing to free). `errors` may be NULL
 * when the caller only wants the count. */
int config_load(struct config *cfg, config_getenv_fn getenv_fn, char **errors);

/* Frees everything *cfg owns and zeroes it. Safe on a zeroed struct and twice in a row. */
void config_release(struct config *cfg);

/* Writes every variable to `out`: name, default, required/secret flags and description. */
void config_print_help(FILE *out);

/* Registers every secret value with log_register_secret(): DATABASE_URL (and the password
 * inside it), IAMPORT_API_KEY, IAMPORT_API_SECRET and each merchant API key. */
void config_register_secrets(const struct config *cfg);

/* Read-only view of one row of the variable table (for --help, docs checks and tests). The
 * strings are static. default_value is NULL when the variable has no default. */
struct config_var_info {
    const char *name;
    const char *default_value;
    int required;
    int secret;
    const char *description;
};

size_t config_var_count(void);
/* Fills *out for row i (0 <= i < config_var_count()); zeroes *out when i is out of range. */
void config_var_info(size_t i, struct config_var_info *out);

/* Logs the effective configuration as one info line whose fields are the variable names;
 * secret values show as "[set]" or "[unset]". */
void config_log_effective(const struct config *cfg);

#endif
