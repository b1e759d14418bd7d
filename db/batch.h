/* Group commit: concurrent calls of one statement run as one statement with array parameters. */
#ifndef BILLKEY_DB_BATCH_H
#define BILLKEY_DB_BATCH_H

#include <stdint.h>

#include <libpq-fe.h>

#include "db/pool.h"
#include "server/core/metrics.h"

/* A batcher keeps one queue per statement that has an array twin in db/statements.c
 * (STMT_REGISTRATION_GET → STMT_REGISTRATION_GET_BATCH, STMT_REGISTRATION_ACTIVATE →
 * STMT_REGISTRATION_ACTIVATE_BATCH). Leader-based, with no added wait: a caller that finds no
 * batch of its statement running leads one; it takes a pooled connection and then everything
 * queued meanwhile (up to max_items, itself first), runs the twin once (a batch of one runs the
 * single-row statement itself) and hands every caller its own rows. Callers that arrive while a
 * batch runs queue for the next one, which the first of them leads. */
struct db_batcher;

/* A batcher over pool (borrowed; it must outlive the batcher) with batches of at most max_items
 * (2..1000). NULL on bad arguments. Caller frees with db_batcher_free(). */
struct db_batcher *db_batcher_new(struct db_pool *pool, int max_items);
/* Refuses new calls (they get DB_UNAVAILABLE at once), waits for the batches running and
 * queued to finish, logs what each queue did (statements, calls, the calls per statement) and
 * frees b. NULL is a no-op. */
void db_batcher_free(struct db_batcher *b);

/* Runs stmt with params as db_exec() would, on a connection of pool: through b's queue when b
 * is not NULL and stmt has an array twin, else on a connection acquired and released for this
 * call alone. Same contract as db_exec(): on DB_OK *res (when res is not NULL; caller PQclear()s)
 * holds this call's rows with stmt's own columns, as if stmt had run alone; else *res is NULL.
 * A batch that fails with anything but a lost connection is run again item by item with stmt,
 * so each caller gets what it would have got alone; a lost or unobtainable connection gives
 * every caller of the batch DB_UNAVAILABLE. b, when not NULL, must be a batcher over pool. */
enum db_status db_batch_exec(struct db_pool *pool, struct db_batcher *b, enum db_stmt stmt,
                             const char *const *params, PGresult **res);

/* billkey_db_batches_total{statement} (statements run for a queue, batches of one included),
 * billkey_db_batch_items_total{statement} (calls they served) and
 * billkey_db_batch_fallbacks_total{statement} (batches run again item by item), statement being
 * the single-row statement's name. Static storage; never freed. */
extern struct metrics_family db_batch_metrics_batches;
extern struct metrics_family db_batch_metrics_items;
extern struct metrics_family db_batch_metrics_fallbacks;

/* What one queue did since the batcher was created, for tests: statements run for it (batches
 * of one included), calls served, batches run again item by item, and the callers waiting for
 * their result now (queued, or in the batch that runs). */
struct db_batch_stats {
    uint64_t batches;
    uint64_t items;
    uint64_t fallbacks;
    int waiting;
};
/* Fills *out for stmt's queue (zeroes when b is NULL or stmt has no twin). */
void db_batcher_stats(struct db_batcher *b, enum db_stmt stmt, struct db_batch_stats *out);
/* Callers waiting for their result now (queued or in a running batch), over every queue of b
 * (0 when b is NULL). */
int db_batcher_waiting(struct db_batcher *b);

#endif
