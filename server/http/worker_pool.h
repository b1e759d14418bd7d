/* A fixed set of threads running jobs from a bounded queue: where the handlers that block run. */
#ifndef BILLKEY_WORKER_POOL_H
#define BILLKEY_WORKER_POOL_H

#include <stddef.h>

struct worker_pool;

/* Starts `threads` threads (>= 1). At most threads + queue_limit jobs are accepted at once:
 * `threads` running and `queue_limit` waiting for a free thread. Returns NULL with *err (caller
 * frees) saying what failed; the caller frees the pool with worker_pool_free(). */
struct worker_pool *worker_pool_new(unsigned threads, size_t queue_limit, char **err);
/* Queues fn(arg) for a worker thread. Returns 0, or -1 (fn is not run, arg untouched) when the
 * pool already holds threads + queue_limit jobs or is stopped. `arg` stays the caller's. */
int worker_pool_submit(struct worker_pool *wp, void (*fn)(void *arg), void *arg);
/* Runs every job already accepted to its end, then ends the threads; later submits fail. Blocks
 * as long as a job runs (a job that never returns keeps it waiting). Idempotent. */
void worker_pool_stop(struct worker_pool *wp);
/* worker_pool_stop(), then frees the pool. NULL is fine. */
void worker_pool_free(struct worker_pool *wp);

#endif
