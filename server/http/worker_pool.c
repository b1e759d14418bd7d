/* A fixed set of threads running jobs from a bounded queue: where the handlers that block run. */
#include "server/http/worker_pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"

struct worker_job {
    void (*fn)(void *arg);
    void *arg;
};

struct worker_pool {
    pthread_mutex_t lock;
    pthread_cond_t work;     /* a job was queued, or the pool stops */
    pthread_t *threads;      /* owned */
    unsigned thread_count;   /* started */
    struct worker_job *ring; /* owned; `capacity` slots */
    size_t capacity;         /* threads + queue_limit */
    size_t head, queued;     /* the oldest waiting job, how many wait */
    size_t running;          /* jobs a thread is running */
    unsigned idle;           /* threads waiting on `work` */
    int stopping;
    int joined;
};

static void *worker_main(void *arg)
{
    struct worker_pool *wp = arg;
    pthread_mutex_lock(&wp->lock);
    for (;;) {
        while (wp->queued == 0 && !wp->stopping) {
            wp->idle++;
            pthread_cond_wait(&wp->work, &wp->lock);
            wp->idle--;
        }
        if (wp->queued == 0)
            break; /* stopping, and nothing left to run */
        struct worker_job job = wp->ring[wp->head];
        wp->head = (wp->head + 1) % wp->capacity;
        wp->queued--;
        wp->running++;
        pthread_mutex_unlock(&wp->lock);
        job.fn(job.arg);
        pthread_mutex_lock(&wp->lock);
        wp->running--;
    }
    pthread_mutex_unlock(&wp->lock);
    return NULL;
}

struct worker_pool *worker_pool_new(unsigned threads, size_t queue_limit, char **err)
{
    struct worker_pool *wp = xcalloc(1, sizeof *wp);
    pthread_mutex_init(&wp->lock, NULL);
    pthread_cond_init(&wp->work, NULL);
    wp->capacity = (size_t)threads + queue_limit;
    wp->ring = xcalloc(wp->capacity ? wp->capacity : 1, sizeof *wp->ring);
    wp->threads = xcalloc(threads ? threads : 1, sizeof *wp->threads);
    if (threads == 0) {
        *err = xasprintf("a worker pool needs at least one thread");
        goto fail;
    }
    for (; wp->thread_count < threads; wp->thread_count++) {
        int rc = pthread_create(&wp->threads[wp->thread_count], NULL, worker_main, wp);
        if (rc != 0) {
            *err = xasprintf("cannot start worker thread %u of %u: %s", wp->thread_count + 1,
                             threads, strerror(rc));
            goto fail;
        }
    }
    return wp;
fail:
    worker_pool_free(wp);
    return NULL;
}

int worker_pool_submit(struct worker_pool *wp, void (*fn)(void *arg), void *arg)
{
    int rc = -1;
    pthread_mutex_lock(&wp->lock);
    if (wp->stopping || wp->queued + wp->running >= wp->capacity)
        goto out;
    wp->ring[(wp->head + wp->queued) % wp->capacity] = (struct worker_job){fn, arg};
    wp->queued++;
    /* no wake-up when every thread is busy: the next one to finish takes the job */
    if (wp->idle > 0)
        pthread_cond_signal(&wp->work);
    rc = 0;
out:
    pthread_mutex_unlock(&wp->lock);
    return rc;
}

void worker_pool_stop(struct worker_pool *wp)
{
    pthread_mutex_lock(&wp->lock);
    wp->stopping = 1;
    int join = !wp->joined;
    wp->joined = 1;
    pthread_cond_broadcast(&wp->work);
    pthread_mutex_unlock(&wp->lock);
    if (!join)
        return;
    for (unsigned i = 0; i < wp->thread_count; i++)
        pthread_join(wp->threads[i], NULL);
}

void worker_pool_free(struct worker_pool *wp)
{
    if (!wp)
        return;
    worker_pool_stop(wp);
    pthread_cond_destroy(&wp->work);
    pthread_mutex_destroy(&wp->lock);
    free(wp->ring);
    free(wp->threads);
    free(wp);
}
