/* The background migrator: applies the schema at start-up and keeps trying while PostgreSQL is down. */
#ifndef BILLKEY_MIGRATOR_H
#define BILLKEY_MIGRATOR_H

#include <pthread.h>
#include <stdatomic.h>

/* Owned by main. Zero it, set database_url, then migrator_start(). */
struct migrator {
    const char *database_url; /* borrowed from the config */
    atomic_int migrated;      /* 1 once migrations are applied (read by /readyz) */
    atomic_int stopping;      /* 1 once migrator_stop() was called */
    pthread_t thread;
    int started;
};

/* Starts the thread that applies migrations, retrying with backoff while the database is down,
 * and sets `migrated` when done. Never exits the process. Returns 0, or -1 when the thread could
 * not be created. */
int migrator_start(struct migrator *m);
/* Asks the migrator to stop and joins it. Safe to call when it was never started. */
void migrator_stop(struct migrator *m);

#endif
