/* The schedule calls billkey passes through to iamport: unschedule, one schedule, a customer's schedules. */
#include "server/billing/schedule.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/billing/billing_env.h"
#include "server/billing/schedule_ledger.h"
#include "server/core/json_util.h"
#include "server/core/xalloc.h"

/* Most merchant_uids in one unschedule (iamport client's own limit). */
#define REVOKE_MAX 1000
/* iamport's window on schedule_at for a customer's list: at most 3 months. */
#define LIST_MAX_WINDOW_S (92 * 86400)
#define LIST_TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* merchant_uid as a string or an array of strings into uids (borrowed); -1 refused. */
static int read_merchant_uids(const cJSON *body, const char ***uids, size_t *n,
                              struct merchant_answer *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "merchant_uid");
    *n = 0;
    if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !v->valuestring[0]))
        return 0;
    if (cJSON_IsString(v)) {
        *uids = xcalloc(1, sizeof **uids);
        (*uids)[(*n)++] = v->valuestring;
        return 0;
    }
    int count = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : -1;
    if (count > REVOKE_MAX) {
        merchant_answer_refuse(out, 200, 1, "merchant_uid: 한 번에 %d건까지 취소할 수 있습니다.",
                               REVOKE_MAX);
        return -1;
    }
    if (count > 0)
        *uids = xcalloc((size_t)count, sizeof **uids);
    const cJSON *e, *array = count > 0 ? v : NULL;
    cJSON_ArrayForEach (e, array) {
        if (!cJSON_IsString(e) || !e->valuestring[0])
            break;
        (*uids)[(*n)++] = e->valuestring;
    }
    if (count >= 0 && (size_t)count == *n)
        return 0;
    merchant_answer_refuse(out, 200, 1, "merchant_uid 는 문자열 또는 문자열 배열이어야 합니다.");
    return -1;
}

void schedule_revoke(const struct billing_env *env, const cJSON *body, const char *actor,
                     const char *request_id, struct merchant_answer *out)
{
    const char *customer_uid = NULL;
    const char **uids = NULL;
    size_t n = 0;
    struct iamport_schedule_list list = {0};
    struct iamport_error err;

    memset(out, 0, sizeof *out);
    if (merchant_answer_customer_uid(body, JSON_OPTIONAL, &customer_uid, out) != 0)
        goto out;
    if (customer_uid && !customer_uid[0])
        customer_uid = NULL;
    if (read_merchant_uids(body, &uids, &n, out) != 0)
        goto out;
    if (!customer_uid && n == 0) {
        merchant_answer_refuse(out, 200, 1, "파라미터 누락: customer_uid");
        goto out;
    }
    if (merchant_answer_no_iamport(env, out))
        goto out;
    enum iamport_status st = iamport_unschedule(env->iamport, customer_uid, uids, n, &list, &err);
    if (st == IAMPORT_E_TIMEOUT_UNKNOWN ||
        (st != IAMPORT_OK && iamport_outcome_unknown(st, &err))) {
        merchant_answer_retry(out,
                              "예약 취소 결과를 알 수 없습니다 (iamport 응답 없음). 같은 요청을 "
                              "다시 보내도 안전합니다: outcome unknown, safe to retry.");
        goto out;
    }
    if (st != IAMPORT_OK) {
        merchant_answer_upstream(out, st, &err, "예약결제 취소");
        goto out;
    }
    cJSON *detail = cJSON_CreateObject();
    json_add_str_or_null(detail, "customer_uid", customer_uid);
    schedule_ledger_save(env, actor, request_id, &list, "schedule.revoked", customer_uid, 1,
                         detail);
    merchant_answer_ok(out, schedule_list_json(&list));
out:
    iamport_schedule_list_release(&list);
    free(uids);
}

void schedule_lookup(const struct billing_env *env, const char *merchant_uid, const char *actor,
                     const char *request_id, struct merchant_answer *out)
{
    struct iamport_schedule_list list = {0};
    struct iamport_error err;

    memset(out, 0, sizeof *out);
    if (merchant_answer_no_iamport(env, out))
        return;
    list.items = xcalloc(1, sizeof *list.items);
    enum iamport_status st = iamport_get_schedule(env->iamport, merchant_uid, list.items, &err);
    if (st != IAMPORT_OK) {
        merchant_answer_upstream(out, st, &err, "예약결제 조회");
        goto out;
    }
    list.count = 1;
    schedule_ledger_save(env, actor, request_id, &list, "schedule.refreshed", merchant_uid, 0,
                         NULL);
    merchant_answer_ok(out, schedule_json(list.items));
out:
    iamport_schedule_list_release(&list);
}

/* A query integer in [min, max]; absent → `required` decides. 0 or -1 (answer set). */
static int query_int(const char *name, const char *v, int required, int64_t min, int64_t max,
                     int64_t *out_value, struct merchant_answer *out)
{
    if (!v || !v[0]) {
        if (!required)
            return 0;
        merchant_answer_refuse(out, 400, -1, "파라미터 누락: %s", name);
        return -1;
    }
    char *end = NULL;
    errno = 0;
    long long n = v[0] >= '0' && v[0] <= '9' ? strtoll(v, &end, 10) : -1;
    if (!end || errno || *end || n < min || n > max) {
        merchant_answer_refuse(out, 400, -1, "%s 는 %lld 이상 %lld 이하의 정수여야 합니다.", name,
                               (long long)min, (long long)max);
        return -1;
    }
    *out_value = n;
    return 0;
}

void schedule_list(const struct billing_env *env, const char *customer_uid,
                   const struct schedule_list_query *q, struct merchant_answer *out)
{
    int64_t from = 0, to = 0, page = 1;
    struct iamport_schedule_list list = {0};
    struct iamport_error err;

    memset(out, 0, sizeof *out);
    if (query_int("from", q->from, 1, 0, LIST_TIME_MAX, &from, out) != 0 ||
        query_int("to", q->to, 1, 0, LIST_TIME_MAX, &to, out) != 0 ||
        query_int("page", q->page, 0, 1, 1000000, &page, out) != 0)
        return;
    if (to <= from || to - from > LIST_MAX_WINDOW_S) {
        merchant_answer_refuse(
            out, 400, -1,
            "조회 기간이 올바르지 않습니다: from < to 이고 최대 3개월(%d초)이어야 "
            "합니다.",
            LIST_MAX_WINDOW_S);
        return;
    }
    const char *status = q->schedule_status && q->schedule_status[0] ? q->schedule_status : NULL;
    if (status && iamport_schedule_status_parse(status) == IAMPORT_SCHEDULE_UNKNOWN) {
        merchant_answer_refuse(out, 400, -1, "지원되지 않는 상태값입니다.");
        return;
    }
    if (merchant_answer_no_iamport(env, out))
        return;
    struct iamport_schedule_query query = {from, to, (int)page, status};
    enum iamport_status st =
        iamport_list_customer_schedules(env->iamport, customer_uid, &query, &list, &err);
    if (st != IAMPORT_OK) {
        merchant_answer_upstream(out, st, &err, "예약결제 목록 조회");
        goto out;
    }
    cJSON *page_json = cJSON_CreateObject();
    cJSON_AddNumberToObject(page_json, "total", (double)list.total);
    cJSON_AddNumberToObject(page_json, "previous", (double)list.previous);
    cJSON_AddNumberToObject(page_json, "next", (double)list.next);
    cJSON_AddItemToObject(page_json, "list", schedule_list_json(&list));
    merchant_answer_ok(out, page_json);
out:
    iamport_schedule_list_release(&list);
}
