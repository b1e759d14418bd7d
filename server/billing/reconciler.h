/* The reconciler: a thread that settles what nothing else will look at again (registrations, charges, schedules, webhooks). */
#ifndef BILLKEY_RECONCILER_H
#define BILLKEY_RECONCILER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

struct billing_env;

/* When an item is due. Owned by whoever fills it (main, a test); read only. */
struct reconcile_settings {
    int64_t registration_grace_s; /* RECONCILE_REGISTRATION_GRACE_S: a registration still
                                     pending this long after its checkout */
    int64_t charge_grace_s;       /* RECONCILE_CHARGE_GRACE_S: a charge requested/unknown this
                                     long after its last change */
    int64_t schedule_grace_s;     /* RECONCILE_SCHEDULE_GRACE_S: a schedule without a result
                                     this long after its schedule_at */
    int64_t lease_ms;             /* how long a claim lasts (longer than any iamport exchange of
                                     one item); also when a failed fix is tried again. 0: 5 min */
    int64_t stale_ms;             /* a row untouched this long is no longer in flight anywhere
                                     (billing_env.charge_stale_ms): only then may "iamport has no
                                     such payment" settle it. 0: 10 min */
    int64_t retry_ms;             /* an item whose fix did not settle it (iamport down, a
                                     schedule not run yet) is looked at again this much later; a
                                     webhook event 'failed' this long gets one more attempt.
                                     0: 10 minutes */
    int64_t idempotency_keep_s;   /* IDEMPOTENCY_KEEP_HOURS in s: stored Idempotency-Key answers
                                     older than this are deleted; 0: kept for ever */
};

/* Owned by main (or a test). Zero it, set env (borrowed; must outlive the thread), db_ready,
 * interval_ms and settings, then reconciler_start(). Any number of instances on one database may
 * run it: each item is claimed with FOR UPDATE SKIP LOCKED and a lease, there is no leader, and
 * no connection is held across an iamport call. */
struct reconciler {
    const struct billing_env *env;
    const atomic_int *db_ready; /* borrowed; waits while it is 0 (migrations); NULL: ready */
    int interval_ms;            /* RECONCILE_INTERVAL_MS: between passes; 0: never started */
    struct reconcile_settings settings;
    /* private */
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    atomic_int stopping;
    pthread_t thread;
    int started;
};

/* Starts the thread (interval_ms 0: does nothing and returns 0). Returns 0, or -1 when it could
 * not be started. */
int reconciler_start(struct reconciler *r);
/* Asks the thread to stop after the item in hand and joins it. Safe when never started. */
void reconciler_stop(struct reconciler *r);

/* One pass over every kind of work (what the thread runs each interval; stopping, may be NULL,
 * ends it early): returns how many items were claimed. */
int reconciler_pass(const struct billing_env *env, const struct reconcile_settings *s,
                    const atomic_int *stopping);

#endif
