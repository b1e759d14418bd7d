/* The reconciler's thread: a pass over every kind of work each RECONCILE_INTERVAL_MS, until stopped. */
#include "server/billing/reconciler.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "server/billing/reconciler_internal.h"
#include "server/core/log.h"

#define RECONCILE_PASS_ITEMS_MAX 100 /* per kind and pass: the others get their turn */

typedef int (*reconcile_one_fn)(const struct billing_env *env, const struct reconcile_settings *s);

int reconciler_pass(const struct billing_env *env, const struct reconcile_settings *s,
                    const atomic_int *stopping)
{
    /* money owed to a customer first */
    static const reconcile_one_fn kinds[] = {
        reconcile_one_refund,   reconcile_one_registration, reconcile_one_charge,
        reconcile_one_schedule, reconcile_one_webhook,      reconcile_one_idempotency_batch,
    };
    int handled = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (int i = 0; i < RECONCILE_PASS_ITEMS_MAX; i++) {
            if (stopping && atomic_load(stopping))
                return handled;
            if (!kinds[k](env, s))
                break;
            handled++;
        }
    }
    return handled;
}

/* Waits interval_ms or until stopping. */
static void wait_interval(struct reconciler *r)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += r->interval_ms / 1000;
    until.tv_nsec += (long)(r->interval_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->mutex);
    while (!atomic_load(&r->stopping)) {
        if (pthread_cond_timedwait(&r->cond, &r->mutex, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&r->mutex);
}

static void *reconciler_main(void *arg)
{
    struct reconciler *r = arg;
    while (!atomic_load(&r->stopping)) {
        if (!r->db_ready || atomic_load(r->db_ready)) {
            int n = reconciler_pass(r->env, &r->settings, &r->stopping);
            if (n)
                log_msg(LOG_INFO, NULL, "reconciler pass settled %d item%s", n, n == 1 ? "" : "s");
        }
        wait_interval(r);
    }
    return NULL;
}

int reconciler_start(struct reconciler *r)
{
    if (r->interval_ms <= 0)
        return 0;
    pthread_mutex_init(&r->mutex, NULL);
    pthread_cond_init(&r->cond, NULL);
    if (pthread_create(&r->thread, NULL, reconciler_main, r) != 0) {
        pthread_cond_destroy(&r->cond);
        pthread_mutex_destroy(&r->mutex);
        return -1;
    }
    r->started = 1;
    return 0;
}

void reconciler_stop(struct reconciler *r)
{
    if (!r->started)
        return;
    pthread_mutex_lock(&r->mutex);
    atomic_store(&r->stopping, 1);
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->mutex);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->mutex);
    r->started = 0;
}
