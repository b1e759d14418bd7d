/* Background migration worker: applies migrations at start-up and keeps trying while PostgreSQL is down. */
#include "server/migrator.h"

#include <stdlib.h>
#include <time.h>

#include "db/migrate.h"
#include "server/core/log.h"

static void sleep_ms_unless_stopping(struct migrator *m, long ms)
{
    while (ms > 0 && !atomic_load(&m->stopping)) {
        long step = ms < 100 ? ms : 100;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

static void *migrator_main(void *arg)
{
    struct migrator *m = arg;
    long backoff_ms = 250;
    int failures = 0;

    while (!atomic_load(&m->stopping)) {
        int applied = 0;
        char *err = NULL;
        enum db_status st = db_migrate(m->database_url, &applied, &err);
        if (st == DB_OK) {
            cJSON *f = cJSON_CreateObject();
            cJSON_AddNumberToObject(f, "applied", applied);
            cJSON_AddNumberToObject(f, "schema_version", db_migrations_latest());
            log_json(LOG_INFO, NULL, "migrations applied", f);
            atomic_store(&m->migrated, 1);
            free(err);
            break;
        }
        /* Log the first failure and then every 20th, so a long outage does not flood the log. */
        if (failures++ % 20 == 0) {
            cJSON *f = cJSON_CreateObject();
            cJSON_AddStringToObject(f, "status", db_status_name(st));
            cJSON_AddStringToObject(f, "error", err ? err : "");
            cJSON_AddNumberToObject(f, "attempt", failures);
            log_json(LOG_WARN, NULL, "migrations not applied, retrying", f);
        }
        free(err);
        sleep_ms_unless_stopping(m, backoff_ms);
        if (backoff_ms < 5000)
            backoff_ms *= 2;
    }
    return NULL;
}

int migrator_start(struct migrator *m)
{
    if (pthread_create(&m->thread, NULL, migrator_main, m) != 0)
        return -1;
    m->started = 1;
    return 0;
}

void migrator_stop(struct migrator *m)
{
    atomic_store(&m->stopping, 1);
    if (m->started) {
        pthread_join(m->thread, NULL);
        m->started = 0;
    }
}
