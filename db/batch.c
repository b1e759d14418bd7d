/* Group commit: a leader runs the queued calls of one statement as one statement with arrays. */
#include "db/batch.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/statements.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"

#define MAX_ITEMS_LIMIT 1000

/* The statements that have an array twin: the twin takes one text[] per parameter of the
 * single-row statement (element i for call i) and returns the 1-based call number first, then
 * the single-row statement's columns. */
/* clang-format off */
static const struct {
    enum db_stmt single;
    enum db_stmt batched;
} twins[] = {
    {STMT_REGISTRATION_GET, STMT_REGISTRATION_GET_BATCH},
    {STMT_REGISTRATION_ACTIVATE, STMT_REGISTRATION_ACTIVATE_BATCH},
};
/* clang-format on */
#define TWIN_COUNT ((int)(sizeof twins / sizeof twins[0]))

struct metrics_family db_batch_metrics_batches = METRICS_COUNTER(
    "billkey_db_batches_total",
    "Statements run for a group-commit queue (a batch of one runs the single-row statement).", 1,
    "statement");
struct metrics_family db_batch_metrics_items = METRICS_COUNTER(
    "billkey_db_batch_items_total",
    "Calls served by group-commit batches, by single-row statement.", 1, "statement");
struct metrics_family db_batch_metrics_fallbacks = METRICS_COUNTER(
    "billkey_db_batch_fallbacks_total",
    "Group-commit batches that failed and were run again call by call.", 1, "statement");

/* One caller's call, on its stack while it waits. */
struct batch_item {
    const char *const *params; /* borrowed from the caller */
    PGresult *res;             /* this call's rows, handed to the caller */
    enum db_status st;
    int done; /* its batch ran; res and st are final */
    int lead; /* it leads the next batch */
    /* Posted once, after done or lead is set: the caller waits on it without the batcher's
     * lock, so that the callers of a batch wake without queueing for that lock again. */
    sem_t wake;
    struct batch_item *next;
};

struct batch_queue {
    struct batch_item *head, *tail; /* queued, not taken by a leader yet */
    int waiting;                    /* callers without their result: queued or in the batch */
    int running; /* a leader is at work (its successor is the head, once it is done) */
    uint64_t batches, items, fallbacks;
};

struct db_batcher {
    struct db_pool *pool; /* borrowed */
    int max_items;
    pthread_mutex_t mu;
    pthread_cond_t idle; /* callers fell to 0 */
    int closing;
    atomic_int callers; /* inside db_batch_exec on a queue (changed under mu when rising) */
    struct batch_queue queues[TWIN_COUNT];
};

static int twin_of(enum db_stmt stmt)
{
    for (int i = 0; i < TWIN_COUNT; i++)
        if (twins[i].single == stmt)
            return i;
    return -1;
}

struct db_batcher *db_batcher_new(struct db_pool *pool, int max_items)
{
    if (!pool || max_items < 2 || max_items > MAX_ITEMS_LIMIT)
        return NULL;
    struct db_batcher *b = xcalloc(1, sizeof *b);
    b->pool = pool;
    b->max_items = max_items;
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->idle, NULL);
    return b;
}

void db_batcher_free(struct db_batcher *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->closing = 1;
    while (b->callers > 0)
        pthread_cond_wait(&b->idle, &b->mu);
    pthread_mutex_unlock(&b->mu);
    for (int q = 0; q < TWIN_COUNT; q++) {
        const struct batch_queue *queue = &b->queues[q];
        if (queue->batches > 0)
            log_msg(LOG_INFO, NULL,
                    "group commit of '%s': %llu statements for %llu calls (%.2f a statement), "
                    "%llu run again one by one",
                    db_statement(twins[q].single)->name, (unsigned long long)queue->batches,
                    (unsigned long long)queue->items, (double)queue->items / (double)queue->batches,
                    (unsigned long long)queue->fallbacks);
    }
    pthread_cond_destroy(&b->idle);
    pthread_mutex_destroy(&b->mu);
    free(b);
}

/* A growing text buffer for array literals. */
struct text {
    char *s;
    size_t len, cap;
};

static void text_put(struct text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        while (t->len + n + 1 > t->cap)
            t->cap = t->cap ? t->cap * 2 : 256;
        t->s = xrealloc(t->s, t->cap);
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

/* The text[] literal of parameter j over the n items from first: {"a","b\"c",NULL}.
 * Caller frees. */
static char *array_literal(const struct batch_item *first, int n, int j)
{
    struct text t = {0};
    text_put(&t, "{", 1);
    const struct batch_item *it = first;
    for (int i = 0; i < n; i++, it = it->next) {
        const char *v = it->params[j];
        if (i > 0)
            text_put(&t, ",", 1);
        if (!v) {
            text_put(&t, "NULL", 4);
            continue;
        }
        text_put(&t, "\"", 1);
        for (const char *p = v; *p; p++) {
            if (*p == '"' || *p == '\\')
                text_put(&t, "\\", 1);
            text_put(&t, p, 1);
        }
        text_put(&t, "\"", 1);
    }
    text_put(&t, "}", 1);
    return t.s;
}

/* Hands each of the n items (in order) its rows of the twin's result: the rows whose first
 * column is its number, without that column. */
static void split_rows(PGresult *all, struct batch_item *first, int n)
{
    int nf = PQnfields(all) - 1;
    PGresAttDesc *attrs = xcalloc(nf > 0 ? (size_t)nf : 1, sizeof *attrs);
    struct batch_item **by_number = xcalloc((size_t)n, sizeof *by_number);
    struct batch_item *it = first;

    for (int c = 0; c < nf; c++)
        attrs[c] = (PGresAttDesc){.name = PQfname(all, c + 1),
                                  .tableid = PQftable(all, c + 1),
                                  .columnid = PQftablecol(all, c + 1),
                                  .format = PQfformat(all, c + 1),
                                  .typid = PQftype(all, c + 1),
                                  .typlen = PQfsize(all, c + 1),
                                  .atttypmod = PQfmod(all, c + 1)};
    for (int i = 0; i < n; i++, it = it->next) {
        by_number[i] = it;
        it->res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
        it->st = it->res && PQsetResultAttrs(it->res, nf, attrs) ? DB_OK : DB_ERROR;
    }
    for (int r = 0; r < PQntuples(all); r++) {
        long k = strtol(PQgetvalue(all, r, 0), NULL, 10);
        if (k < 1 || k > n) {
            log_msg(LOG_ERROR, NULL, "batch row %d names call %ld of %d: dropped", r, k, n);
            continue;
        }
        struct batch_item *to = by_number[k - 1];
        int row = to->st == DB_OK ? PQntuples(to->res) : 0;
        for (int c = 0; c < nf && to->st == DB_OK; c++) {
            int null = PQgetisnull(all, r, c + 1);
            if (!PQsetvalue(to->res, row, c, null ? NULL : PQgetvalue(all, r, c + 1),
                            null ? -1 : PQgetlength(all, r, c + 1)))
                to->st = DB_ERROR;
        }
    }
    for (int i = 0; i < n; i++)
        if (by_number[i]->st != DB_OK && by_number[i]->res) {
            PQclear(by_number[i]->res);
            by_number[i]->res = NULL;
        }
    free(by_number);
    free(attrs);
}

/* Runs the n items from first on conn: the single-row statement for one, else the twin, and
 * after a failed twin (not a lost connection) the single-row statement item by item. Returns 1
 * when it fell back. */
static int run_batch(int q, struct db_conn *conn, struct batch_item *first, int n)
{
    const struct db_statement *single = db_statement(twins[q].single);
    struct batch_item *it;
    PGresult *all = NULL;

    if (n == 1) {
        first->st = db_exec(conn, twins[q].single, first->params, &first->res);
        return 0;
    }
    char **arrays = xcalloc((size_t)single->nparams, sizeof *arrays);
    for (int j = 0; j < single->nparams; j++)
        arrays[j] = array_literal(first, n, j);
    enum db_status st = db_exec(conn, twins[q].batched, (const char *const *)arrays, &all);
    for (int j = 0; j < single->nparams; j++)
        free(arrays[j]);
    free(arrays);
    if (st == DB_OK) {
        split_rows(all, first, n);
        PQclear(all);
        return 0;
    }
    if (st == DB_UNAVAILABLE) {
        for (it = first; it; it = it->next)
            it->st = DB_UNAVAILABLE;
        return 0;
    }
    log_msg(LOG_WARN, NULL, "a batch of %d '%s' failed (%s): %s; running them one by one", n,
            single->name, db_status_name(st), db_conn_error(conn));
    for (it = first; it; it = it->next)
        it->st = db_exec(conn, twins[q].single, it->params, &it->res);
    return 1;
}

/* The leader's work: a connection, then the head of queue q (itself first, up to max_items),
 * one run, every result handed out, and the lead passed to the next queued caller. */
static void lead(struct db_batcher *b, int q)
{
    struct batch_queue *queue = &b->queues[q];
    struct db_conn *conn = NULL;
    struct batch_item *first, *last, *it, *next;
    int n = 0, fell_back = 0;

    enum db_status st = db_acquire(b->pool, &conn);
    pthread_mutex_lock(&b->mu);
    first = last = queue->head;
    for (n = 1; n < b->max_items && last->next; n++)
        last = last->next;
    queue->head = last->next;
    if (!queue->head)
        queue->tail = NULL;
    last->next = NULL;
    pthread_mutex_unlock(&b->mu);

    if (st == DB_OK) {
        fell_back = run_batch(q, conn, first, n);
    } else {
        log_msg(LOG_ERROR, NULL, "a batch of %d '%s' got no connection (%s)", n,
                db_statement(twins[q].single)->name, db_status_name(st));
        for (it = first; it; it = it->next)
            it->st = st;
    }
    db_release(b->pool, conn);
    if (st == DB_OK) {
        const char *labels[] = {db_statement(twins[q].single)->name};
        metrics_add(&db_batch_metrics_batches, labels, 1);
        metrics_add(&db_batch_metrics_items, labels, (uint64_t)n);
        if (fell_back)
            metrics_add(&db_batch_metrics_fallbacks, labels, 1);
    }

    pthread_mutex_lock(&b->mu);
    if (st == DB_OK) {
        queue->batches++;
        queue->items += (uint64_t)n;
        queue->fallbacks += (uint64_t)fell_back;
    }
    queue->waiting -= n;
    struct batch_item *successor = queue->head;
    if (!successor)
        queue->running = 0;
    pthread_mutex_unlock(&b->mu);
    /* outside the lock: a woken caller need not take it to leave */
    if (successor) {
        successor->lead = 1;
        sem_post(&successor->wake);
    }
    for (it = first; it; it = next) {
        next = it->next; /* read first: a follower's item is gone once it is woken */
        it->done = 1;
        sem_post(&it->wake);
    }
}

/* acquire, exec, release. */
static enum db_status exec_alone(struct db_pool *pool, enum db_stmt stmt, const char *const *params,
                                 PGresult **res)
{
    struct db_conn *conn = NULL;
    enum db_status st = db_acquire(pool, &conn);
    if (st == DB_OK)
        st = db_exec(conn, stmt, params, res);
    if (st != DB_OK && conn)
        log_msg(LOG_WARN, NULL, "statement '%s' failed (%s): %s", db_statement(stmt)->name,
                db_status_name(st), db_conn_error(conn));
    db_release(pool, conn);
    return st;
}

enum db_status db_batch_exec(struct db_pool *pool, struct db_batcher *b, enum db_stmt stmt,
                             const char *const *params, PGresult **res)
{
    int q = b ? twin_of(stmt) : -1;
    if (res)
        *res = NULL;
    if (q < 0)
        return exec_alone(pool, stmt, params, res);
    if (db_statement(stmt)->nparams > 0 && !params)
        return DB_ERROR;

    struct batch_item me = {.params = params, .st = DB_UNAVAILABLE};
    struct batch_queue *queue = &b->queues[q];
    sem_init(&me.wake, 0, 0);
    pthread_mutex_lock(&b->mu);
    if (b->closing) {
        pthread_mutex_unlock(&b->mu);
        sem_destroy(&me.wake);
        return DB_UNAVAILABLE;
    }
    atomic_fetch_add(&b->callers, 1);
    if (queue->tail)
        queue->tail->next = &me;
    else
        queue->head = &me;
    queue->tail = &me;
    queue->waiting++;
    if (!queue->running) {
        queue->running = 1;
        me.lead = 1;
    }
    int leading = me.lead;
    pthread_mutex_unlock(&b->mu);
    if (!leading) {
        while (sem_wait(&me.wake) != 0) /* EINTR */
            ;
        leading = !me.done; /* the lead was passed to it */
    }
    if (leading)
        lead(b, q);

    if (atomic_fetch_sub(&b->callers, 1) == 1) {
        pthread_mutex_lock(&b->mu); /* db_batcher_free waits for this under mu */
        pthread_cond_broadcast(&b->idle);
        pthread_mutex_unlock(&b->mu);
    }
    sem_destroy(&me.wake);
    if (me.st != DB_OK && me.res) {
        PQclear(me.res);
        me.res = NULL;
    }
    if (res)
        *res = me.res;
    else if (me.res)
        PQclear(me.res);
    return me.st;
}

void db_batcher_stats(struct db_batcher *b, enum db_stmt stmt, struct db_batch_stats *out)
{
    int q = b ? twin_of(stmt) : -1;
    memset(out, 0, sizeof *out);
    if (q < 0)
        return;
    pthread_mutex_lock(&b->mu);
    out->batches = b->queues[q].batches;
    out->items = b->queues[q].items;
    out->fallbacks = b->queues[q].fallbacks;
    out->waiting = b->queues[q].waiting;
    pthread_mutex_unlock(&b->mu);
}

int db_batcher_waiting(struct db_batcher *b)
{
    int n = 0;
    if (!b)
        return 0;
    pthread_mutex_lock(&b->mu);
    for (int q = 0; q < TWIN_COUNT; q++)
        n += b->queues[q].waiting;
    pthread_mutex_unlock(&b->mu);
    return n;
}
