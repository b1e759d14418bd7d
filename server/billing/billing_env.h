/* What the billing domain works with: the pool, the iamport client, the PG settings and a clock. */
#ifndef BILLKEY_BILLING_ENV_H
#define BILLKEY_BILLING_ENV_H

#include <stdint.h>

#include "server/billing/pg_profile.h"

struct clock;
struct db_batcher;
struct db_pool;
struct iamport_client;

/* Handed by the caller (main builds one, tests build their own) to every domain entry point.
 * Everything is borrowed and must outlive the calls that use it. */
struct billing_env {
    struct db_pool *db;
    struct iamport_client *iamport; /* NULL: iamport calls answer "unavailable" */
    struct pg_settings pg;          /* per-PG ids and the checkout's landing URL */
    const struct clock *clock;      /* NULL: the system clock */
    int64_t charge_amount_max;      /* CHARGE_AMOUNT_MAX: the merchant API's ceiling, won */
    /* A 'requested' ledger row older than this is a crashed attempt (re-checked at iamport
     * before it is charged again); longer than any iamport exchange. 0: 10 minutes. */
    int64_t charge_stale_ms;
    /* Group commit (DB_BATCH_MAX): concurrent verifications' registration reads and plain
     * accepts run as one statement each (db/batch.h). NULL: one statement per call. */
    struct db_batcher *batch;
};

#endif
