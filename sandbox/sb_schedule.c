/* Schedules: schedule, unschedule, GET schedule/{merchant_uid}, GET schedule/customers/{uid}. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "sandbox/sb_fields.h"
#include "sandbox/sb_handlers.h"
#include "sandbox/sb_models.h"
#include "sandbox/sb_reply.h"
#include "sandbox/sb_state.h"

#define MSG_NO_CUSTOMER "등록된 고객정보가 없습니다."
#define MSG_NOTHING_TO_UNSCHEDULE "취소할 예약결제 기록이 존재하지 않습니다."
#define MSG_SCHEDULE_NOT_FOUND "존재하지 않는 예약결제 정보입니다."
#define MSG_DUPLICATE_ORDER                                                                        \
    "이미 주문이 이루어진 건입니다. (동일한 merchant_uid로 결제 또는 취소된 기록이 있습니다)"
#define SCHEDULES_MAX 1000
#define LIST_PAGE_SIZE 20
#define LIST_MAX_WINDOW_S (92 * 86400) /* "max 3 months" */

/* Validates schedules[index] and builds its Schedule (new object) or returns NULL with msg. */
static cJSON *build_schedule(struct sb_state *st, const struct sb_customer *c, const cJSON *item,
                             int index, char **notice_url, char *msg)
{
    char label[64];
    const char *merchant_uid, *name, *currency, *url, *buyer;
    int64_t schedule_at = 0, amount = 0;

    *notice_url = NULL;
    if (!cJSON_IsObject(item)) {
        snprintf(msg, SB_MSG_LEN, "schedules[%d] 는 객체여야 합니다.", index);
        return NULL;
    }
#define LABEL(field) (snprintf(label, sizeof label, "schedules[%d][%s]", index, field), label)
    if (sb_field_str(item, "merchant_uid", LABEL("merchant_uid"), 1, 40, &merchant_uid, msg) != 0 ||
        sb_field_int(item, "schedule_at", LABEL("schedule_at"), 1, 0, INT64_C(253402300799),
                     &schedule_at, NULL, msg) != 0 ||
        sb_field_int(item, "amount", LABEL("amount"), 1, 1, SB_MAX_AMOUNT, &amount, NULL, msg) !=
            0 ||
        sb_field_str(item, "name", LABEL("name"), 0, 40, &name, msg) != 0 ||
        sb_field_str(item, "currency", LABEL("currency"), 0, 3, &currency, msg) != 0 ||
        sb_field_str(item, "notice_url", LABEL("notice_url"), 0, 0, &url, msg) != 0)
        return NULL;
    for (size_t i = 0; sb_buyer_fields[i]; i++)
        if (sb_field_str(item, sb_buyer_fields[i], LABEL(sb_buyer_fields[i]), 0, 0, &buyer, msg) !=
            0)
            return NULL;
#undef LABEL
    if (schedule_at <= sb_now(st)) {
        snprintf(msg, SB_MSG_LEN, "schedules[%d][schedule_at] 은 현재 시각(%lld) 이후여야 합니다.",
                 index, (long long)sb_now(st));
        return NULL;
    }
    if (sb_merchant_uid_used(st, merchant_uid)) {
        snprintf(msg, SB_MSG_LEN, "%s", MSG_DUPLICATE_ORDER);
        return NULL;
    }

    cJSON *s = sb_schedule_json_new(sb_jstr(c->json, "customer_uid"), merchant_uid, schedule_at);
    sb_jset_str(s, "pg_provider", sb_jstr(c->json, "pg_provider"));
    sb_jset_str(s, "pg_id", sb_jstr(c->json, "pg_id"));
    sb_jset_str(s, "customer_id", sb_jstr(c->json, "customer_id"));
    sb_jset_int(s, "amount", amount);
    sb_jset_str(s, "currency", currency ? currency : "KRW");
    sb_jset_str(s, "name", name);
    for (size_t i = 0; sb_buyer_fields[i]; i++) {
        const char *v = sb_jstr(item, sb_buyer_fields[i]);
        if (!v || !*v)
            v = sb_jstr(c->json, sb_customer_buyer_fields[i]);
        sb_jset_str(s, sb_buyer_fields[i], v);
    }
    char *custom_data = sb_field_custom_data(item, "custom_data");
    sb_jset_str(s, "custom_data", custom_data);
    free(custom_data);
    *notice_url = url ? xstrdup(url) : NULL;
    return s;
}

/* 1 when merchant_uid appears in schedules[0..before-1]. */
static int duplicate_within(const cJSON *schedules, int before, const char *merchant_uid)
{
    for (int i = 0; i < before; i++) {
        const char *mid = sb_jstr(cJSON_GetArrayItem(schedules, i), "merchant_uid");
        if (mid && strcmp(mid, merchant_uid) == 0)
            return 1;
    }
    return 0;
}

void sb_schedule_create(struct request *req, struct reply *rep)
{
    char msg[SB_MSG_LEN];
    const char *customer_uid;
    struct sb_vec built = {0};
    cJSON *out = NULL;

    if (sb_require_token(req, rep) != 0)
        return;
    if (sb_field_str(req->body, "customer_uid", NULL, 1, 80, &customer_uid, msg) != 0) {
        sb_fail(rep, 200, 1, "%s", msg);
        return;
    }
    const cJSON *schedules = cJSON_GetObjectItemCaseSensitive(req->body, "schedules");
    if (!cJSON_IsArray(schedules) || cJSON_GetArraySize(schedules) == 0) {
        sb_fail(rep, 200, 1, "파라미터 누락: schedules");
        return;
    }
    int count = cJSON_GetArraySize(schedules);
    if (count > SCHEDULES_MAX) {
        sb_fail(rep, 200, 1, "schedules 는 한 번에 최대 %d건까지 등록할 수 있습니다.",
                SCHEDULES_MAX);
        return;
    }

    struct sb_state *st = sb_state_lock();
    struct sb_customer *c = sb_find_customer(st, customer_uid);
    if (!c) {
        sb_fail(rep, 200, 1, MSG_NO_CUSTOMER);
        goto out;
    }
    for (int i = 0; i < count; i++) {
        const cJSON *item = cJSON_GetArrayItem(schedules, i);
        struct sb_schedule *s = xcalloc(1, sizeof *s);
        s->json = build_schedule(st, c, item, i, &s->notice_url, msg);
        if (s->json && duplicate_within(schedules, i, sb_jstr(item, "merchant_uid"))) {
            snprintf(msg, SB_MSG_LEN, "%s", MSG_DUPLICATE_ORDER);
            cJSON_Delete(s->json);
            s->json = NULL;
        }
        if (!s->json) {
            free(s->notice_url);
            free(s);
            sb_fail(rep, 200, 1, "%s", msg);
            goto out;
        }
        sb_vec_push(&built, s);
    }
    /* All valid: commit them together. */
    out = cJSON_CreateArray();
    for (size_t i = 0; i < built.len; i++) {
        struct sb_schedule *s = built.items[i];
        cJSON_AddItemToArray(out, cJSON_Duplicate(s->json, 1));
        sb_vec_push(&st->schedules, s);
    }
    built.len = 0;
    sb_ok(rep, out);
out:
    for (size_t i = 0; i < built.len; i++) {
        struct sb_schedule *s = built.items[i];
        cJSON_Delete(s->json);
        free(s->notice_url);
        free(s);
    }
    sb_vec_release(&built);
    sb_state_unlock();
}

/* 1 when merchant_uid is listed in `wanted` (a string or an array of strings). */
static int merchant_uid_wanted(const cJSON *wanted, const char *merchant_uid)
{
    if (cJSON_IsString(wanted))
        return strcmp(wanted->valuestring, merchant_uid) == 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, wanted) {
        if (cJSON_IsString(item) && strcmp(item->valuestring, merchant_uid) == 0)
            return 1;
    }
    return 0;
}

void sb_unschedule(struct request *req, struct reply *rep)
{
    char msg[SB_MSG_LEN];
    const char *customer_uid;

    if (sb_require_token(req, rep) != 0)
        return;
    const cJSON *wanted = cJSON_GetObjectItemCaseSensitive(req->body, "merchant_uid");
    if (cJSON_IsNull(wanted) || (cJSON_IsString(wanted) && !*wanted->valuestring) ||
        (cJSON_IsArray(wanted) && cJSON_GetArraySize(wanted) == 0))
        wanted = NULL;
    if (wanted && !cJSON_IsString(wanted) && !cJSON_IsArray(wanted)) {
        sb_fail(rep, 200, 1, "merchant_uid 는 문자열 또는 문자열 배열이어야 합니다.");
        return;
    }
    if (sb_field_str(req->body, "customer_uid", NULL, !wanted, 80, &customer_uid, msg) != 0) {
        sb_fail(rep, 200, 1, "%s", msg);
        return;
    }

    struct sb_state *st = sb_state_lock();
    int64_t now = sb_now(st);
    cJSON *revoked = cJSON_CreateArray();
    for (size_t i = 0; i < st->schedules.len; i++) {
        struct sb_schedule *s = st->schedules.items[i];
        if (strcmp(sb_jstr(s->json, "schedule_status"), "scheduled") != 0)
            continue;
        if (customer_uid && strcmp(sb_jstr(s->json, "customer_uid"), customer_uid) != 0)
            continue;
        if (wanted && !merchant_uid_wanted(wanted, sb_jstr(s->json, "merchant_uid")))
            continue;
        sb_jset_str(s->json, "schedule_status", "revoked");
        sb_jset_int(s->json, "revoked_at", now);
        cJSON_AddItemToArray(revoked, cJSON_Duplicate(s->json, 1));
    }
    sb_state_unlock();
    if (cJSON_GetArraySize(revoked) == 0) {
        cJSON_Delete(revoked);
        sb_fail(rep, 200, 1, MSG_NOTHING_TO_UNSCHEDULE);
        return;
    }
    sb_ok(rep, revoked);
}

void sb_schedule_get(struct request *req, struct reply *rep)
{
    if (sb_require_token(req, rep) != 0)
        return;
    struct sb_state *st = sb_state_lock();
    struct sb_schedule *s = sb_find_schedule(st, request_param(req, "merchant_uid"));
    cJSON *copy = s ? cJSON_Duplicate(s->json, 1) : NULL;
    sb_state_unlock();
    if (!copy)
        sb_fail(rep, 404, -1, MSG_SCHEDULE_NOT_FOUND);
    else
        sb_ok(rep, copy);
}

/* Parses a query integer; returns 0 or -1 with a 400 envelope. */
static int query_int(struct request *req, struct reply *rep, const char *name, int required,
                     int64_t min, int64_t max, int64_t *out)
{
    const char *v = request_query(req, name);
    if (!v || !*v) {
        if (!required)
            return 0;
        sb_fail(rep, 400, -1, "파라미터 누락: %s", name);
        return -1;
    }
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || end == v || v[0] == ' ' || v[0] == '+' || n < min || n > max) {
        sb_fail(rep, 400, -1, "%s 는 %lld 이상 %lld 이하의 정수여야 합니다.", name, (long long)min,
                (long long)max);
        return -1;
    }
    *out = n;
    return 0;
}

static int by_schedule_at_desc(const void *a, const void *b)
{
    const struct sb_schedule *x = *(const struct sb_schedule *const *)a;
    const struct sb_schedule *y = *(const struct sb_schedule *const *)b;
    int64_t ta = sb_jint(x->json, "schedule_at"), tb = sb_jint(y->json, "schedule_at");
    return ta < tb ? 1 : ta > tb ? -1 : 0;
}

void sb_schedule_list_customer(struct request *req, struct reply *rep)
{
    int64_t from = 0, to = 0, page = 1;
    const char *customer_uid = request_param(req, "customer_uid");
    const char *status = request_query(req, "schedule-status");

    if (sb_require_token(req, rep) != 0)
        return;
    if (query_int(req, rep, "from", 1, 0, INT64_C(253402300799), &from) != 0 ||
        query_int(req, rep, "to", 1, 0, INT64_C(253402300799), &to) != 0 ||
        query_int(req, rep, "page", 0, 1, 1000000, &page) != 0)
        return;
    if (to <= from || to - from > LIST_MAX_WINDOW_S) {
        sb_fail(rep, 400, -1,
                "조회 기간이 올바르지 않습니다: from < to 이고 최대 3개월(%d초)이어야 합니다.",
                LIST_MAX_WINDOW_S);
        return;
    }
    if (status && *status && strcmp(status, "scheduled") != 0 && strcmp(status, "executed") != 0 &&
        strcmp(status, "revoked") != 0) {
        sb_fail(rep, 400, -1, "지원되지 않는 상태값입니다.");
        return;
    }

    struct sb_state *st = sb_state_lock();
    struct sb_vec hits = {0};
    for (size_t i = 0; i < st->schedules.len; i++) {
        struct sb_schedule *s = st->schedules.items[i];
        int64_t at = sb_jint(s->json, "schedule_at");
        if (strcmp(sb_jstr(s->json, "customer_uid"), customer_uid) != 0 || at < from || at >= to)
            continue;
        if (status && *status && strcmp(sb_jstr(s->json, "schedule_status"), status) != 0)
            continue;
        sb_vec_push(&hits, s);
    }
    if (hits.len > 1)
        qsort(hits.items, hits.len, sizeof *hits.items, by_schedule_at_desc);
    cJSON *list = cJSON_CreateArray();
    size_t first = (size_t)(page - 1) * LIST_PAGE_SIZE;
    for (size_t i = first; i < hits.len && i < first + LIST_PAGE_SIZE; i++)
        cJSON_AddItemToArray(list, cJSON_Duplicate(((struct sb_schedule *)hits.items[i])->json, 1));
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "total", (double)hits.len);
    cJSON_AddNumberToObject(out, "previous", page > 1 ? (double)(page - 1) : 0);
    cJSON_AddNumberToObject(out, "next",
                            first + LIST_PAGE_SIZE < hits.len ? (double)(page + 1) : 0);
    cJSON_AddItemToObject(out, "list", list);
    sb_vec_release(&hits);
    sb_state_unlock();
    sb_ok(rep, out);
}
