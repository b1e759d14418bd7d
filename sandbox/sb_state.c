/* All sandbox state in memory (payments, keys, schedules, tokens, faults, logs), one lock. */
#include "sandbox/sb_state.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/core/xalloc.h"

static struct sb_state state;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void sb_settings_copy(struct sb_settings *dst, const struct sb_settings *src)
{
    dst->imp_key = dup_or_null(src->imp_key);
    dst->imp_secret = dup_or_null(src->imp_secret);
    dst->customer_not_found_200 = src->customer_not_found_200;
    dst->webhook_url = dup_or_null(src->webhook_url);
    dst->webhook_format = src->webhook_format;
    dst->issue_status =
        src->issue_status ? cJSON_Duplicate(src->issue_status, 1) : cJSON_CreateObject();
    dst->token_ttl_seconds = src->token_ttl_seconds;
    dst->issue_webhook_delay_ms = src->issue_webhook_delay_ms;
    dst->issue_webhook_before_result = src->issue_webhook_before_result;
    dst->issue_ready_without_key = src->issue_ready_without_key;
}

void sb_settings_release(struct sb_settings *s)
{
    free(s->imp_key);
    free(s->imp_secret);
    free(s->webhook_url);
    cJSON_Delete(s->issue_status);
    memset(s, 0, sizeof *s);
}

static void payment_free(struct sb_payment *p)
{
    cJSON_Delete(p->json);
    free(p->notice_url);
    free(p);
}

static void schedule_free(struct sb_schedule *s)
{
    cJSON_Delete(s->json);
    free(s->notice_url);
    free(s);
}

void sb_customer_free(struct sb_customer *c)
{
    if (!c)
        return;
    cJSON_Delete(c->json);
    free(c);
}

static void prepare_free(struct sb_prepare *p)
{
    free(p->merchant_uid);
    free(p->currency);
    free(p);
}

static void decline_free(struct sb_decline *d)
{
    free(d->customer_uid);
    free(d->reason);
    free(d);
}

static void fault_free(struct sb_fault *f)
{
    free(f->method);
    free(f->path);
    free(f);
}

#define FREE_VEC(vec, fn)                                                                          \
    do {                                                                                           \
        for (size_t i_ = 0; i_ < (vec).len; i_++)                                                  \
            fn((vec).items[i_]);                                                                   \
        sb_vec_release(&(vec));                                                                    \
    } while (0)

/* Frees the mutable part (everything but `startup`). */
static void state_release_mutable(struct sb_state *st)
{
    sb_settings_release(&st->cfg);
    FREE_VEC(st->tokens, free);
    FREE_VEC(st->payments, payment_free);
    FREE_VEC(st->schedules, schedule_free);
    FREE_VEC(st->customers, sb_customer_free);
    FREE_VEC(st->prepares, prepare_free);
    FREE_VEC(st->declines, decline_free);
    FREE_VEC(st->faults, fault_free);
    cJSON_Delete(st->requests);
    cJSON_Delete(st->ledger);
    st->requests = NULL;
    st->ledger = NULL;
    st->token_calls = 0;
    st->total_paid = 0;
    st->clock_offset = 0;
}

static void state_fill_fresh(struct sb_state *st)
{
    sb_settings_copy(&st->cfg, &st->startup);
    st->requests = cJSON_CreateArray();
    st->ledger = cJSON_CreateObject();
}

void sb_state_init(const struct sb_settings *startup)
{
    pthread_mutex_lock(&state_lock);
    memset(&state, 0, sizeof state);
    sb_settings_copy(&state.startup, startup);
    state_fill_fresh(&state);
    pthread_mutex_unlock(&state_lock);
}

void sb_state_shutdown(void)
{
    pthread_mutex_lock(&state_lock);
    state_release_mutable(&state);
    sb_settings_release(&state.startup);
    pthread_mutex_unlock(&state_lock);
}

struct sb_state *sb_state_lock(void)
{
    pthread_mutex_lock(&state_lock);
    return &state;
}

void sb_state_unlock(void)
{
    pthread_mutex_unlock(&state_lock);
}

void sb_state_reset(struct sb_state *st)
{
    state_release_mutable(st);
    state_fill_fresh(st);
}

int64_t sb_now(const struct sb_state *st)
{
    return (int64_t)time(NULL) + st->clock_offset;
}

struct sb_payment *sb_find_payment(struct sb_state *st, const char *imp_uid)
{
    for (size_t i = 0; i < st->payments.len; i++) {
        struct sb_payment *p = st->payments.items[i];
        const char *id = sb_jstr(p->json, "imp_uid");
        if (id && strcmp(id, imp_uid) == 0)
            return p;
    }
    return NULL;
}

struct sb_payment *sb_find_payment_by_merchant(struct sb_state *st, const char *merchant_uid,
                                               const char *status)
{
    for (size_t i = st->payments.len; i-- > 0;) {
        struct sb_payment *p = st->payments.items[i];
        const char *mid = sb_jstr(p->json, "merchant_uid");
        const char *pst = sb_jstr(p->json, "status");
        if (!mid || strcmp(mid, merchant_uid) != 0)
            continue;
        if (status && (!pst || strcmp(pst, status) != 0))
            continue;
        return p;
    }
    return NULL;
}

struct sb_schedule *sb_find_schedule(struct sb_state *st, const char *merchant_uid)
{
    for (size_t i = 0; i < st->schedules.len; i++) {
        struct sb_schedule *s = st->schedules.items[i];
        const char *mid = sb_jstr(s->json, "merchant_uid");
        if (mid && strcmp(mid, merchant_uid) == 0)
            return s;
    }
    return NULL;
}

struct sb_customer *sb_find_customer(struct sb_state *st, const char *customer_uid)
{
    for (size_t i = 0; i < st->customers.len; i++) {
        struct sb_customer *c = st->customers.items[i];
        const char *uid = sb_jstr(c->json, "customer_uid");
        if (uid && strcmp(uid, customer_uid) == 0)
            return c;
    }
    return NULL;
}

struct sb_prepare *sb_find_prepare(struct sb_state *st, const char *merchant_uid)
{
    for (size_t i = 0; i < st->prepares.len; i++) {
        struct sb_prepare *p = st->prepares.items[i];
        if (strcmp(p->merchant_uid, merchant_uid) == 0)
            return p;
    }
    return NULL;
}

int sb_merchant_uid_used(struct sb_state *st, const char *merchant_uid)
{
    return sb_find_payment_by_merchant(st, merchant_uid, NULL) != NULL ||
           sb_find_schedule(st, merchant_uid) != NULL;
}

struct sb_payment *sb_add_payment(struct sb_state *st, cJSON *json, char *notice_url)
{
    struct sb_payment *p = xcalloc(1, sizeof *p);
    p->json = json;
    p->notice_url = notice_url;
    sb_vec_push(&st->payments, p);
    return p;
}

void sb_new_imp_uid(struct sb_state *st, char out[17])
{
    do {
        memcpy(out, "imp_", 4);
        sb_random_digits(out + 4, 12);
    } while (sb_find_payment(st, out));
}

struct sb_customer *sb_remove_customer(struct sb_state *st, const char *customer_uid)
{
    for (size_t i = 0; i < st->customers.len; i++) {
        struct sb_customer *c = st->customers.items[i];
        const char *uid = sb_jstr(c->json, "customer_uid");
        if (uid && strcmp(uid, customer_uid) == 0)
            return sb_vec_remove(&st->customers, i);
    }
    return NULL;
}

int sb_take_decline(struct sb_state *st, const char *customer_uid, char *reason, size_t reason_len)
{
    for (size_t i = 0; i < st->declines.len; i++) {
        struct sb_decline *d = st->declines.items[i];
        if (strcmp(d->customer_uid, customer_uid) != 0 || d->remaining <= 0)
            continue;
        snprintf(reason, reason_len, "%s", d->reason);
        if (--d->remaining == 0)
            decline_free(sb_vec_remove(&st->declines, i));
        return 1;
    }
    return 0;
}

void sb_ledger_record(struct sb_state *st, const char *merchant_uid, int64_t amount, int paid)
{
    cJSON *entry = cJSON_GetObjectItemCaseSensitive(st->ledger, merchant_uid);
    if (!entry) {
        entry = cJSON_CreateObject();
        sb_jset_int(entry, "count", 0);
        cJSON_AddItemToObject(st->ledger, merchant_uid, entry);
    }
    sb_jset_int(entry, "count", sb_jint(entry, "count") + 1);
    sb_jset_int(entry, "amount", amount);
    sb_jset_str(entry, "status", paid ? "paid" : "failed");
    if (paid)
        st->total_paid += amount;
}

void sb_ledger_cancel(struct sb_state *st, const char *merchant_uid, int64_t amount)
{
    cJSON *entry = merchant_uid ? cJSON_GetObjectItemCaseSensitive(st->ledger, merchant_uid) : NULL;
    if (!entry) /* no charge the ledger counts (a window payment that took no money) */
        return;
    sb_jset_int(entry, "cancels", sb_jint(entry, "cancels") + 1);
    sb_jset_int(entry, "cancelled", sb_jint(entry, "cancelled") + amount);
}

static int fault_matches(const struct sb_fault *f, const char *method, const char *path)
{
    if (f->remaining <= 0)
        return 0;
    if (f->method && strcmp(f->method, method) != 0)
        return 0;
    size_t n = strlen(f->path);
    if (n > 0 && f->path[n - 1] == '*')
        return strncmp(f->path, path, n - 1) == 0;
    return strcmp(f->path, path) == 0;
}

void sb_take_fault(struct sb_state *st, const char *method, const char *path,
                   struct sb_fault_action *action)
{
    memset(action, 0, sizeof *action);
    for (size_t i = 0; i < st->faults.len; i++) {
        struct sb_fault *f = st->faults.items[i];
        if (!fault_matches(f, method, path))
            continue;
        action->active = 1;
        action->kind = f->kind;
        action->delay_ms = f->delay_ms;
        action->after_processing = f->after_processing;
        if (--f->remaining == 0)
            fault_free(sb_vec_remove(&st->faults, i));
        return;
    }
}

void sb_faults_clear(struct sb_state *st)
{
    FREE_VEC(st->faults, fault_free);
}

void sb_log_request(struct sb_state *st, const char *method, const char *path, cJSON *query,
                    const char *auth, int status, cJSON *body)
{
    cJSON *entry = cJSON_CreateObject();
    sb_jset_str(entry, "method", method);
    sb_jset_str(entry, "path", path);
    sb_jset(entry, "query", query ? query : cJSON_CreateObject());
    sb_jset_str(entry, "auth", auth);
    sb_jset_int(entry, "status", status);
    sb_jset(entry, "body", body ? body : cJSON_CreateNull());
    cJSON_AddItemToArray(st->requests, entry);
    if (cJSON_GetArraySize(st->requests) > SB_REQUEST_LOG_MAX)
        cJSON_DeleteItemFromArray(st->requests, 0);
}
