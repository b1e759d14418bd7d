/* The process-wide application context handed to every handler, and its background workers. */
#ifndef BILLKEY_APP_H
#define BILLKEY_APP_H

#include <pthread.h>
#include <stdatomic.h>

struct config;
struct db_pool;
struct iamport_client;

/* Owned by main(). Handlers borrow it through req->app and must treat it as read-only except
 * for the atomics. */
struct app {
    const struct config *cfg;     /* borrowed */
    struct db_pool *db;           /* owned by main */
    struct iamport_client *iamport; /* owned by main; NULL until the client exists */
    atomic_int db_migrated;       /* 1 once migrations are applied */
    atomic_int stopping;          /* 1 once shutdown began */
    pthread_t migrator;
    int migrator_started;
};

/* Starts the background thread that applies migrations, retrying with backoff while the
 * database is down, and sets db_migrated when done. Never exits the process. Returns 0, or -1
 * when the thread could not be created. */
int app_start_migrator(struct app *app);
/* Asks the migrator to stop and joins it. Safe to call when it was never started. */
void app_stop_migrator(struct app *app);

#endif
