/* Webhook delivery: a queue served by background threads posting {imp_uid, ...}. */
#include "sandbox/sb_webhook.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/core/log.h"
#include "server/core/xalloc.h"
#include "sandbox/sb_util.h"

#define WORKERS 4

struct job {
    char *url;
    char *body;
    enum sb_webhook_format format;
    int64_t due_ms; /* CLOCK_MONOTONIC milliseconds */
    struct job *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;
static struct job *queue;
static cJSON *delivery_log;
static int stopping;
static pthread_t workers[WORKERS];
static int started_workers;
static int in_flight; /* taken off the queue, not yet logged */

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void job_free(struct job *j)
{
    free(j->url);
    free(j->body);
    free(j);
}

int sb_url_is_loopback(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int ok = 0;
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        goto out;
    if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)
        goto out;
    if (strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0) {
        ok = 1;
        goto out;
    }
    unsigned a, b, c, d;
    char extra;
    if (sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) == 4 && a == 127 && b < 256 &&
        c < 256 && d < 256)
        ok = 1;
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

static char *build_body(enum sb_webhook_format format, const char *imp_uid,
                        const char *merchant_uid, const char *status, const char *cancellation_id)
{
    const char *names[] = {"imp_uid", "merchant_uid", "status", "cancellation_id"};
    const char *values[] = {imp_uid, merchant_uid, status, cancellation_id};
    size_t n = cancellation_id ? 4 : 3;

    if (format == SB_WEBHOOK_JSON) {
        cJSON *o = cJSON_CreateObject();
        for (size_t i = 0; i < n; i++)
            sb_jset_str(o, names[i], values[i]);
        char *text = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        char *copy = xstrdup(text ? text : "{}");
        cJSON_free(text);
        return copy;
    }
    char *body = xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char *esc = curl_easy_escape(NULL, values[i] ? values[i] : "", 0);
        char *next = xasprintf("%s%s%s=%s", body, i ? "&" : "", names[i], esc ? esc : "");
        curl_free(esc);
        free(body);
        body = next;
    }
    return body;
}

void sb_webhook_queue(const char *url, enum sb_webhook_format format, const char *imp_uid,
                      const char *merchant_uid, const char *status, const char *cancellation_id,
                      int64_t delay_ms)
{
    struct job *j = xcalloc(1, sizeof *j);
    j->url = xstrdup(url);
    j->format = format;
    j->body = build_body(format, imp_uid, merchant_uid, status, cancellation_id);
    j->due_ms = monotonic_ms() + (delay_ms > 0 ? delay_ms : 0);

    pthread_mutex_lock(&lock);
    struct job **tail = &queue;
    while (*tail)
        tail = &(*tail)->next;
    *tail = j;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
}

void sb_webhook_for_payment(struct sb_state *st, const struct sb_payment *p,
                            const char *url_override, const char *cancellation_id, int64_t delay_ms)
{
    const char *url = url_override    ? url_override
                      : p->notice_url ? p->notice_url
                                      : st->cfg.webhook_url;
    if (!url)
        return;
    sb_webhook_queue(url, st->cfg.webhook_format, sb_jstr(p->json, "imp_uid"),
                     sb_jstr(p->json, "merchant_uid"), sb_jstr(p->json, "status"), cancellation_id,
                     delay_ms);
}

static size_t discard_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    (void)data;
    (void)userdata;
    return size * nmemb;
}

static int abort_when_stopping(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                               curl_off_t ultotal, curl_off_t ulnow)
{
    (void)clientp;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return __atomic_load_n(&stopping, __ATOMIC_RELAXED) ? 1 : 0;
}

/* Performs one delivery and returns its log entry (new object). */
static cJSON *deliver(const struct job *j)
{
    cJSON *entry = cJSON_CreateObject();
    sb_jset_str(entry, "url", j->url);
    sb_jset_str(entry, "format", j->format == SB_WEBHOOK_JSON ? "json" : "form");
    sb_jset_str(entry, "body", j->body);
    sb_jset_int(entry, "http_status", 0);
    sb_jset_str(entry, "error", NULL);

    if (!sb_url_is_loopback(j->url)) {
        sb_jset_str(entry, "error", "refused: webhook url is not a loopback http(s) url");
        log_msg(LOG_WARN, NULL, "webhook to non-loopback url refused");
        return entry;
    }
    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL;
    if (!curl) {
        sb_jset_str(entry, "error", "curl_easy_init failed");
        return entry;
    }
    headers = curl_slist_append(headers, j->format == SB_WEBHOOK_JSON
                                             ? "Content-Type: application/json"
                                             : "Content-Type: application/x-www-form-urlencoded");
    curl_easy_setopt(curl, CURLOPT_URL, j->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, j->body);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)SB_WEBHOOK_CONNECT_TIMEOUT_S);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT,
                     (long)(SB_WEBHOOK_CONNECT_TIMEOUT_S + SB_WEBHOOK_READ_TIMEOUT_S));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, abort_when_stopping);
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    sb_jset_int(entry, "http_status", status);
    if (rc != CURLE_OK)
        sb_jset_str(entry, "error", curl_easy_strerror(rc));
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return entry;
}

/* Takes the earliest due job off the queue, waiting as needed. NULL when stopping. Lock held. */
static struct job *take_due_job(void)
{
    while (!stopping) {
        struct job **best = NULL;
        for (struct job **jp = &queue; *jp; jp = &(*jp)->next)
            if (!best || (*jp)->due_ms < (*best)->due_ms)
                best = jp;
        if (!best) {
            pthread_cond_wait(&wake, &lock);
            continue;
        }
        int64_t wait_ms = (*best)->due_ms - monotonic_ms();
        if (wait_ms <= 0) {
            struct job *j = *best;
            *best = j->next;
            return j;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += wait_ms / 1000;
        until.tv_nsec += (wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&wake, &lock, &until);
    }
    return NULL;
}

static void *worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        struct job *j = take_due_job();
        if (!j)
            break;
        in_flight++;
        pthread_mutex_unlock(&lock);
        cJSON *entry = deliver(j);
        job_free(j);
        pthread_mutex_lock(&lock);
        in_flight--;
        if (delivery_log)
            cJSON_AddItemToArray(delivery_log, entry);
        else
            cJSON_Delete(entry);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int sb_webhook_start(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&wake, &attr);
    pthread_condattr_destroy(&attr);
    delivery_log = cJSON_CreateArray();
    stopping = 0;
    for (started_workers = 0; started_workers < WORKERS; started_workers++) {
        int rc = pthread_create(&workers[started_workers], NULL, worker_main, NULL);
        if (rc != 0) {
            log_msg(LOG_ERROR, NULL, "cannot start webhook thread: %s", strerror(rc));
            return -1;
        }
    }
    return 0;
}

static void drop_queue(void)
{
    while (queue) {
        struct job *j = queue;
        queue = j->next;
        job_free(j);
    }
}

void sb_webhook_stop(void)
{
    pthread_mutex_lock(&lock);
    __atomic_store_n(&stopping, 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < started_workers; i++)
        pthread_join(workers[i], NULL);
    started_workers = 0;
    pthread_mutex_lock(&lock);
    drop_queue();
    cJSON_Delete(delivery_log);
    delivery_log = NULL;
    pthread_mutex_unlock(&lock);
    pthread_cond_destroy(&wake);
}

cJSON *sb_webhook_log_json(void)
{
    cJSON *root = cJSON_CreateObject();
    pthread_mutex_lock(&lock);
    cJSON *copy = delivery_log ? cJSON_Duplicate(delivery_log, 1) : cJSON_CreateArray();
    int pending = in_flight;
    for (struct job *j = queue; j; j = j->next)
        pending++;
    pthread_mutex_unlock(&lock);
    cJSON_AddItemToObject(root, "webhooks", copy ? copy : cJSON_CreateArray());
    cJSON_AddNumberToObject(root, "pending", pending);
    return root;
}

void sb_webhook_reset(void)
{
    pthread_mutex_lock(&lock);
    drop_queue();
    cJSON_Delete(delivery_log);
    delivery_log = cJSON_CreateArray();
    pthread_mutex_unlock(&lock);
}

int sb_webhook_wait_idle(int64_t timeout_ms)
{
    int64_t deadline = monotonic_ms() + timeout_ms;
    for (;;) {
        pthread_mutex_lock(&lock);
        int busy = in_flight > 0 || queue != NULL;
        pthread_mutex_unlock(&lock);
        if (!busy)
            return 0;
        if (monotonic_ms() >= deadline)
            return -1;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}
