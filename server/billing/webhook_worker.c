/* The webhook worker: claims recorded iamport webhooks, settles them with iamport, marks them done. */
#include "server/billing/webhook_worker.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/billing/billing_env.h"
#include "server/billing/webhook_apply.h"
#include "server/billing/webhook_events.h"
#include "server/core/log.h"

#define WEBHOOK_POLL_MS_DEFAULT 2000
#define WEBHOOK_LEASE_MS_DEFAULT (5 * 60 * 1000)
#define WEBHOOK_RETRY_MS_MAX (5 * 60 * 1000)

/* When a failed attempt may run again: 1 s, 2 s, 4 s … up to 5 minutes. */
static int64_t retry_after_ms(int attempts)
{
    int64_t ms = 1000;
    for (int i = 1; i < attempts && ms < WEBHOOK_RETRY_MS_MAX; i++)
        ms *= 2;
    return ms < WEBHOOK_RETRY_MS_MAX ? ms : WEBHOOK_RETRY_MS_MAX;
}

/* Claims and settles one event. Returns 1 when one was handled, 0 when there was none (or the
 * database could not be asked). */
static int handle_one(struct webhook_worker *w)
{
    const struct billing_env *env = w->env;
    struct webhook_event ev;
    int64_t lease = w->lease_ms > 0 ? w->lease_ms : WEBHOOK_LEASE_MS_DEFAULT;
    enum db_status st = webhook_event_claim(env->db, lease, &ev);
    if (st == DB_NOT_FOUND)
        return 0;
    if (st != DB_OK) {
        log_msg(LOG_DEBUG, NULL, "claiming a webhook event failed (%s)", db_status_name(st));
        return 0;
    }
    char request_id[32], result[600];
    snprintf(request_id, sizeof request_id, "webhook-%lld", ev.id);
    enum webhook_outcome o =
        webhook_apply(env, ev.imp_uid, ev.merchant_uid, request_id, result, sizeof result);
    const char *state = o == WEBHOOK_DONE ? "done" : o == WEBHOOK_IGNORED ? "ignored" : "received";
    int64_t retry = 0;
    if (o == WEBHOOK_RETRY) {
        if (ev.attempts >= WEBHOOK_ATTEMPTS_MAX)
            state = "failed";
        else
            retry = retry_after_ms(ev.attempts);
    }
    st = webhook_event_finish(env->db, &ev, state, result, retry);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "event", (double)ev.id);
    cJSON_AddStringToObject(f, "imp_uid", ev.imp_uid);
    cJSON_AddStringToObject(f, "state", state);
    cJSON_AddNumberToObject(f, "attempts", ev.attempts);
    cJSON_AddStringToObject(f, "result", result);
    if (st != DB_OK)
        cJSON_AddStringToObject(f, "finish", db_status_name(st));
    log_json(o == WEBHOOK_RETRY || st != DB_OK ? LOG_WARN : LOG_INFO, request_id,
             "webhook event settled", f);
    webhook_event_release(&ev);
    return 1;
}

/* Waits until woken, stopping, or poll_ms passed. */
static void wait_for_work(struct webhook_worker *w)
{
    int poll = w->poll_ms > 0 ? w->poll_ms : WEBHOOK_POLL_MS_DEFAULT;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += poll / 1000;
    until.tv_nsec += (long)(poll % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->mutex);
    while (!w->wakeups && !atomic_load(&w->stopping)) {
        if (pthread_cond_timedwait(&w->cond, &w->mutex, &until) == ETIMEDOUT)
            break;
    }
    w->wakeups = 0;
    pthread_mutex_unlock(&w->mutex);
}

static void *worker_main(void *arg)
{
    struct webhook_worker *w = arg;
    while (!atomic_load(&w->stopping)) {
        if (!w->db_ready || atomic_load(w->db_ready)) {
            while (!atomic_load(&w->stopping) && handle_one(w))
                ;
        }
        wait_for_work(w);
    }
    return NULL;
}

int webhook_worker_start(struct webhook_worker *w)
{
    pthread_mutex_init(&w->mutex, NULL);
    pthread_cond_init(&w->cond, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->mutex);
        return -1;
    }
    w->started = 1;
    return 0;
}

void webhook_worker_wake(struct webhook_worker *w)
{
    if (!w || !w->started)
        return;
    pthread_mutex_lock(&w->mutex);
    w->wakeups = 1;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mutex);
}

void webhook_worker_stop(struct webhook_worker *w)
{
    if (!w->started)
        return;
    pthread_mutex_lock(&w->mutex);
    atomic_store(&w->stopping, 1);
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->mutex);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->mutex);
    w->started = 0;
}
