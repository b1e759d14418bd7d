/* Background migration worker: applies migrations at start-up and keeps trying while PostgreSQL is down. */
#include "server/app.h"

#include <stdlib.h>
#include <time.h>

#include "db/migrate.h"
#include "server/config.h"
#include "server/log.h"

static void sleep_ms_unless_stopping(struct app *app, long ms)
{
    while (ms > 0 && !atomic_load(&app->stopping)) {
        long step = ms < 100 ? ms : 100;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = step * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

static void *migrator_main(void *arg)
{
    struct app *app = arg;
    long backoff_ms = 250;
    int failures = 0;

    while (!atomic_load(&app->stopping)) {
        int applied = 0;
        char *err = NULL;
        enum db_status st = db_migrate(app->cfg->database_url, &applied, &err);
        if (st == DB_OK) {
            cJSON *f = cJSON_CreateObject();
            cJSON_AddNumberToObject(f, "applied", applied);
            cJSON_AddNumberToObject(f, "schema_version", db_migrations_latest());
            log_json(LOG_INFO, NULL, "migrations applied", f);
            atomic_store(&app->db_migrated, 1);
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
        sleep_ms_unless_stopping(app, backoff_ms);
        if (backoff_ms < 5000)
            backoff_ms *= 2;
    }
    return NULL;
}

int app_start_migrator(struct app *app)
{
    if (pthread_create(&app->migrator, NULL, migrator_main, app) != 0)
        return -1;
    app->migrator_started = 1;
    return 0;
}

void app_stop_migrator(struct app *app)
{
    atomic_store(&app->stopping, 1);
    if (app->migrator_started) {
        pthread_join(app->migrator, NULL);
        app->migrator_started = 0;
    }
}
