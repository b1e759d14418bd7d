/* Shared inside server/billing by the reconciler's files: one item of each kind of work, and claims. */
#ifndef BILLKEY_RECONCILER_INTERNAL_H
#define BILLKEY_RECONCILER_INTERNAL_H

#include <stddef.h>

#include "db/pool.h"
#include "server/billing/reconciler.h"

#define RECONCILE_ACTOR "reconciler"
#define RECONCILE_LEASE_MS_DEFAULT (5 * 60 * 1000)
#define RECONCILE_STALE_MS_DEFAULT (10 * 60 * 1000)
#define RECONCILE_RETRY_MS_DEFAULT (10 * 60 * 1000)

/* The first row a claim statement returned, as owned strings (NULL for SQL NULL). */
struct reconcile_row {
    int columns;
    char *value[4]; /* owned */
};

void reconcile_row_release(struct reconcile_row *row);

/* Runs claim statement stmt with params in one short transaction (short_tx_run). DB_OK with *row
 * filled (up to 4 columns), DB_NOT_FOUND when it returned no row, or the failure. */
enum db_status reconcile_claim(struct db_pool *pool, enum db_stmt stmt, const char *const *params,
                               struct reconcile_row *row);

/* The settings' lease, stale and webhook retry times with their defaults applied. */
int64_t reconcile_lease_ms(const struct reconcile_settings *s);
int64_t reconcile_stale_ms(const struct reconcile_settings *s);
int64_t reconcile_retry_ms(const struct reconcile_settings *s);

/* Ends a claim whose fix did not settle the item: retry statement stmt ($1 merchant_uid,
 * $2 delay in ms) makes it due again after reconcile_retry_ms() instead of the whole lease.
 * Failures are logged (the lease ends anyway). */
void reconcile_retry_later(struct db_pool *pool, enum db_stmt stmt, const char *merchant_uid,
                           const struct reconcile_settings *s);

/* Each claims and settles one item of its kind. Returns 1 when an item was claimed (whatever its
 * fix came to), 0 when there was none or the database could not be asked. */
int reconcile_one_registration(const struct billing_env *env, const struct reconcile_settings *s);
int reconcile_one_charge(const struct billing_env *env, const struct reconcile_settings *s);
int reconcile_one_schedule(const struct billing_env *env, const struct reconcile_settings *s);
int reconcile_one_webhook(const struct billing_env *env, const struct reconcile_settings *s);

#endif
