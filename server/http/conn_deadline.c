/* Open connections and the deadline for receiving each request: a watchdog cuts connections that take longer. */
#include "server/http/conn_deadline.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "server/core/log.h"
#include "server/core/xalloc.h"

struct conn_entry {
    struct conn_entry *prev, *next;
    int fd;
    int64_t since_ms; /* start of the current wait; -1 while paused */
    int over_limit;
    int cut;
    char peer[64];
};

struct conn_deadline {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    int stopping;
    int deadline_ms;
    size_t served;
    size_t open;
    struct conn_entry *head; /* owned list */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Shuts down every connection past its deadline; called with the lock held, so no entry is
 * removed (and no fd closed) meanwhile. */
static void cut_late(struct conn_deadline *cd, int64_t now)
{
    for (struct conn_entry *e = cd->head; e; e = e->next) {
        if (e->cut || e->since_ms < 0 || now - e->since_ms < cd->deadline_ms)
            continue;
        e->cut = 1;
        shutdown(e->fd, SHUT_RDWR);
        log_msg(LOG_WARN, NULL,
                "closing the connection from '%s': no complete request within %d ms "
                "(REQUEST_DEADLINE_MS)",
                e->peer, cd->deadline_ms);
    }
}

static void *watchdog(void *arg)
{
    struct conn_deadline *cd = arg;
    /* a tenth of the deadline (20..500 ms) between rounds: a connection is cut at most that
     * late */
    int64_t step = cd->deadline_ms / 10;
    step = step < 20 ? 20 : step > 500 ? 500 : step;
    pthread_mutex_lock(&cd->lock);
    while (!cd->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)(step % 1000) * 1000000L;
        until.tv_sec += (time_t)(step / 1000) + until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        int rc = pthread_cond_timedwait(&cd->wake, &cd->lock, &until);
        if (rc != 0 && rc != ETIMEDOUT)
            break;
        cut_late(cd, mono_ms());
    }
    pthread_mutex_unlock(&cd->lock);
    return NULL;
}

struct conn_deadline *conn_deadline_new(int deadline_ms, size_t served, char **err)
{
    struct conn_deadline *cd = xcalloc(1, sizeof *cd);
    pthread_mutex_init(&cd->lock, NULL);
    pthread_cond_init(&cd->wake, NULL);
    cd->deadline_ms = deadline_ms;
    cd->served = served;
    int rc = pthread_create(&cd->thread, NULL, watchdog, cd);
    if (rc != 0) {
        *err = xasprintf("cannot start the request deadline thread: %s", strerror(rc));
        pthread_cond_destroy(&cd->wake);
        pthread_mutex_destroy(&cd->lock);
        free(cd);
        return NULL;
    }
    return cd;
}

void conn_deadline_free(struct conn_deadline *cd)
{
    if (!cd)
        return;
    pthread_mutex_lock(&cd->lock);
    cd->stopping = 1;
    pthread_cond_signal(&cd->wake);
    pthread_mutex_unlock(&cd->lock);
    pthread_join(cd->thread, NULL);
    while (cd->head) {
        struct conn_entry *e = cd->head;
        cd->head = e->next;
        free(e);
    }
    pthread_cond_destroy(&cd->wake);
    pthread_mutex_destroy(&cd->lock);
    free(cd);
}

struct conn_entry *conn_deadline_add(struct conn_deadline *cd, int fd, const char *peer)
{
    struct conn_entry *e = xcalloc(1, sizeof *e);
    e->fd = fd;
    e->since_ms = mono_ms();
    snprintf(e->peer, sizeof e->peer, "%s", peer ? peer : "-");
    pthread_mutex_lock(&cd->lock);
    e->over_limit = cd->open >= cd->served;
    cd->open++;
    e->next = cd->head;
    if (cd->head)
        cd->head->prev = e;
    cd->head = e;
    pthread_mutex_unlock(&cd->lock);
    return e;
}

void conn_deadline_remove(struct conn_deadline *cd, struct conn_entry *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&cd->lock);
    if (e->prev)
        e->prev->next = e->next;
    else
        cd->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    cd->open--;
    pthread_mutex_unlock(&cd->lock);
    free(e);
}

void conn_deadline_pause(struct conn_deadline *cd, struct conn_entry *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&cd->lock);
    e->since_ms = -1;
    pthread_mutex_unlock(&cd->lock);
}

void conn_deadline_next(struct conn_deadline *cd, struct conn_entry *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&cd->lock);
    e->since_ms = mono_ms();
    pthread_mutex_unlock(&cd->lock);
}

int conn_deadline_over_limit(const struct conn_entry *e)
{
    return e && e->over_limit;
}
