/* The webhook worker: a thread that settles recorded iamport webhooks, woken on receipt and polling. */
#ifndef BILLKEY_WEBHOOK_WORKER_H
#define BILLKEY_WEBHOOK_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

struct billing_env;

/* Attempts before an event is left 'failed' (the reconciler gives it one more, slowly). */
#define WEBHOOK_ATTEMPTS_MAX 40

/* Owned by main (or a test). Zero it, set env (borrowed; must outlive the worker), db_ready,
 * poll_ms and lease_ms, then webhook_worker_start(). Several instances on one database may run
 * workers at once: events are claimed with FOR UPDATE SKIP LOCKED and a lease, no leader. */
struct webhook_worker {
    const struct billing_env *env;
    const atomic_int *db_ready; /* borrowed; waits while it is 0 (migrations); NULL: ready */
    int poll_ms;                /* how often it looks for work unwoken; 0: 2000 */
    int64_t lease_ms;           /* how long a claim lasts (longer than any iamport exchange);
                                   0: 5 minutes */
    /* private */
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int wakeups;
    atomic_int stopping;
    pthread_t thread;
    int started;
};

/* Starts the thread. Returns 0, or -1 when it could not be started. */
int webhook_worker_start(struct webhook_worker *w);
/* Wakes the thread to look for work now (a webhook was recorded). NULL or not started: no-op. */
void webhook_worker_wake(struct webhook_worker *w);
/* Asks the thread to stop after the event in hand and joins it. Safe when never started. */
void webhook_worker_stop(struct webhook_worker *w);

#endif
