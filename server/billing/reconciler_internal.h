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
    char *value[4];      /* owned */
    char request_id[64]; /* "reconcile-<first column>", for logs and audit rows */
};

void reconcile_row_release(struct reconcile_row *row);

/* Runs claim statement stmt ($1 grace in s, $2 lease in ms, $3 stale after in ms, as many as it
 * takes) in one short transaction (short_tx_run). Returns 1 with *row filled (up to 4 columns),
 * or 0 when there was nothing to claim or the claim failed (logged, naming `what`). */
int reconcile_claim(struct db_pool *pool, enum db_stmt stmt, int64_t grace_s,
                    const struct reconcile_settings *s, const char *what,
                    struct reconcile_row *row);

/* The settings' lease, stale and webhook retry times with their defaults applied. */
int64_t reconcile_lease_ms(const struct reconcile_settings *s);
int64_t reconcile_stale_ms(const struct reconcile_settings *s);
int64_t reconcile_retry_ms(const struct reconcile_settings *s);
/* The shortest wait before a failed refund is tried again: a tenth of reconcile_retry_ms(),
 * which main sets to ten passes, so the next pass. */
int64_t reconcile_refund_first_ms(const struct reconcile_settings *s);

/* Ends a claim whose fix did not settle the item: retry statement stmt ($1 merchant_uid,
 * $2 delay in ms = reconcile_retry_ms(), and for those that take it $3 the shortest delay in ms =
 * reconcile_refund_first_ms()) makes it due again then instead of after the whole lease.
 * Failures are logged (the lease ends anyway). */
void reconcile_retry_later(struct db_pool *pool, enum db_stmt stmt, const char *merchant_uid,
                           const struct reconcile_settings *s);

/* Each claims and settles one item of its kind. Returns 1 when an item was claimed (whatever its
 * fix came to), 0 when there was none or the database could not be asked. */
int reconcile_one_registration(const struct billing_env *env, const struct reconcile_settings *s);
/* A pending registration that owes a refund (its cancel failed): due at once, not after the
 * registration grace; tried again after the refund's age, from one pass up to retry_ms. */
int reconcile_one_refund(const struct billing_env *env, const struct reconcile_settings *s);
int reconcile_one_charge(const struct billing_env *env, const struct reconcile_settings *s);
int reconcile_one_schedule(const struct billing_env *env, const struct reconcile_settings *s);
int reconcile_one_webhook(const struct billing_env *env, const struct reconcile_settings *s);
/* Deletes one batch of expired Idempotency-Key answers; 1 when a full batch went (more may be
 * left), else 0. */
int reconcile_one_idempotency_batch(const struct billing_env *env,
                                    const struct reconcile_settings *s);

#endif
