/* A fixed set of threads running jobs from a bounded queue: where the handlers that block run. */
#include "server/http/worker_pool.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/core/xalloc.h"

struct worker_job {
    void (*fn)(void *arg);
    void *arg;
};

/* One thread. While idle it sleeps on its own semaphore, and a submit hands it the job
 * directly: one wake-up per job, no shared condition variable for every thread to contend on. */
struct worker {
    struct worker_pool *wp;
    pthread_t thread;
    sem_t wake;
    struct worker_job job; /* set by the submitter before the post; fn NULL: stop */
    struct worker *next_idle;
};

struct worker_pool {
    pthread_mutex_t lock;
    struct worker *workers; /* owned; thread_count of them started */
    unsigned thread_count;
    struct worker *idle;     /* stack of sleeping threads: the last to sleep wakes first */
    struct worker_job *ring; /* owned; jobs waiting while every thread is busy */
    size_t queue_limit, head, queued;
    int stopping;
    int joined;
};

/* Takes the next waiting job into w->job, or (none) puts w on the idle stack; lock held.
 * Returns 1 when w has a job to run now. */
static int next_job_locked(struct worker_pool *wp, struct worker *w)
{
    if (wp->queued > 0) {
        w->job = wp->ring[wp->head];
        wp->head = (wp->head + 1) % wp->queue_limit;
        wp->queued--;
        return 1;
    }
    w->next_idle = wp->idle;
    wp->idle = w;
    return 0;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct worker_pool *wp = w->wp;
    for (;;) {
        while (sem_wait(&w->wake) != 0)
            ; /* EINTR */
        if (!w->job.fn)
            break;
        int more;
        do {
            w->job.fn(w->job.arg);
            pthread_mutex_lock(&wp->lock);
            more = next_job_locked(wp, w);
            pthread_mutex_unlock(&wp->lock);
        } while (more);
    }
    return NULL;
}

struct worker_pool *worker_pool_new(unsigned threads, size_t queue_limit, char **err)
{
    struct worker_pool *wp = xcalloc(1, sizeof *wp);
    pthread_mutex_init(&wp->lock, NULL);
    wp->queue_limit = queue_limit;
    wp->ring = xcalloc(queue_limit ? queue_limit : 1, sizeof *wp->ring);
    wp->workers = xcalloc(threads ? threads : 1, sizeof *wp->workers);
    if (threads == 0) {
        *err = xasprintf("a worker pool needs at least one thread");
        goto fail;
    }
    for (; wp->thread_count < threads; wp->thread_count++) {
        struct worker *w = &wp->workers[wp->thread_count];
        w->wp = wp;
        sem_init(&w->wake, 0, 0);
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        if (rc != 0) {
            sem_destroy(&w->wake);
            *err = xasprintf("cannot start worker thread %u of %u: %s", wp->thread_count + 1,
                             threads, strerror(rc));
            goto fail;
        }
        w->next_idle = wp->idle;
        wp->idle = w;
    }
    return wp;
fail:
    worker_pool_free(wp);
    return NULL;
}

int worker_pool_submit(struct worker_pool *wp, void (*fn)(void *arg), void *arg)
{
    struct worker *w = NULL;
    pthread_mutex_lock(&wp->lock);
    if (wp->stopping) {
        pthread_mutex_unlock(&wp->lock);
        return -1;
    }
    if (wp->idle) {
        w = wp->idle;
        wp->idle = w->next_idle;
        w->job = (struct worker_job){fn, arg};
    } else if (wp->queued < wp->queue_limit) {
        wp->ring[(wp->head + wp->queued) % wp->queue_limit] = (struct worker_job){fn, arg};
        wp->queued++;
    } else {
        pthread_mutex_unlock(&wp->lock);
        return -1;
    }
    pthread_mutex_unlock(&wp->lock);
    if (w)
        sem_post(&w->wake); /* posted after the unlock: the woken thread never waits for it */
    return 0;
}

void worker_pool_stop(struct worker_pool *wp)
{
    pthread_mutex_lock(&wp->lock);
    wp->stopping = 1;
    int join = !wp->joined;
    wp->joined = 1;
    pthread_mutex_unlock(&wp->lock);
    if (!join)
        return;
    /* A busy thread runs the queue down before it goes idle; each thread is told to stop once
     * it is idle, so every accepted job runs. */
    for (unsigned stopped = 0; stopped < wp->thread_count;) {
        pthread_mutex_lock(&wp->lock);
        struct worker *w = wp->idle;
        if (w)
            wp->idle = w->next_idle;
        pthread_mutex_unlock(&wp->lock);
        if (!w) {
            struct timespec ts = {.tv_sec = 0, .tv_nsec = 5 * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        w->job.fn = NULL;
        sem_post(&w->wake);
        pthread_join(w->thread, NULL);
        stopped++;
    }
}

void worker_pool_free(struct worker_pool *wp)
{
    if (!wp)
        return;
    worker_pool_stop(wp);
    for (unsigned i = 0; i < wp->thread_count; i++)
        sem_destroy(&wp->workers[i].wake);
    pthread_mutex_destroy(&wp->lock);
    free(wp->ring);
    free(wp->workers);
    free(wp);
}
