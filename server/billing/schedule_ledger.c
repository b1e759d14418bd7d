/* The schedules ledger: billkey's rows for iamport schedules and iamport's Schedule JSON. */
#include "server/billing/schedule_ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "server/billing/audit.h"
#include "server/billing/billing_env.h"
#include "server/core/json_util.h"
#include "server/core/log.h"

/* clang-format off */
static const struct { const char *name; size_t offset; } schedule_strings[] = {
#define S(f) {#f, offsetof(struct iamport_schedule, f)}
    S(customer_uid), S(merchant_uid), S(imp_uid), S(pg_provider), S(pg_id), S(customer_id),
    S(currency), S(name), S(buyer_name), S(buyer_email), S(buyer_tel), S(buyer_addr),
    S(buyer_postcode), S(custom_data), S(schedule_status_text), S(payment_status),
    S(fail_reason), S(promotion_id),
#undef S
};
/* clang-format on */

cJSON *schedule_json(const struct iamport_schedule *s)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; i < sizeof schedule_strings / sizeof schedule_strings[0]; i++) {
        const char *v = *(char *const *)((const char *)s + schedule_strings[i].offset);
        const char *name = schedule_strings[i].name;
        json_add_str_or_null(
            o, strcmp(name, "schedule_status_text") == 0 ? "schedule_status" : name, v);
    }
    cJSON_AddNumberToObject(o, "schedule_at", (double)s->schedule_at);
    cJSON_AddNumberToObject(o, "executed_at", (double)s->executed_at);
    cJSON_AddNumberToObject(o, "revoked_at", (double)s->revoked_at);
    cJSON_AddNumberToObject(o, "amount", (double)s->amount);
    return o;
}

cJSON *schedule_list_json(const struct iamport_schedule_list *list)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < list->count; i++)
        cJSON_AddItemToArray(a, schedule_json(&list->items[i]));
    return a;
}

/* payments.status for what iamport says of the schedule. */
static const char *payment_status_of(const struct iamport_schedule *s)
{
    switch (s->schedule_status) {
    case IAMPORT_SCHEDULE_SCHEDULED:
        return "scheduled";
    case IAMPORT_SCHEDULE_REVOKED:
        return "revoked";
    case IAMPORT_SCHEDULE_EXECUTED:
        if (s->payment_status &&
            (strcmp(s->payment_status, "paid") == 0 || strcmp(s->payment_status, "failed") == 0 ||
             strcmp(s->payment_status, "cancelled") == 0))
            return s->payment_status;
        return "unknown";
    case IAMPORT_SCHEDULE_UNKNOWN:
        break;
    }
    return "unknown";
}

/* schedules.schedule_status and payment_status as the table allows them. */
static const char *schedule_status_of(const struct iamport_schedule *s)
{
    static const char *const names[] = {
        [IAMPORT_SCHEDULE_SCHEDULED] = "scheduled",
        [IAMPORT_SCHEDULE_EXECUTED] = "executed",
        [IAMPORT_SCHEDULE_REVOKED] = "revoked",
        [IAMPORT_SCHEDULE_UNKNOWN] = "unknown",
    };
    return names[s->schedule_status];
}

static enum db_status record(struct db_conn *conn, const char *const params[9], int *changed)
{
    PGresult *res = NULL;
    enum db_status st = db_exec(conn, STMT_SCHEDULE_RECORD, params, &res);
    if (changed)
        *changed = st == DB_OK && PQntuples(res) > 0;
    if (res)
        PQclear(res);
    return st;
}

enum db_status schedule_ledger_apply(struct db_conn *conn, const struct iamport_schedule *s,
                                     int *changed)
{
    char executed_at[24], revoked_at[24];
    const char *ps = s->payment_status;
    if (ps && strcmp(ps, "paid") != 0 && strcmp(ps, "failed") != 0 && strcmp(ps, "cancelled") != 0)
        ps = NULL;
    snprintf(executed_at, sizeof executed_at, "%" PRId64, s->executed_at);
    snprintf(revoked_at, sizeof revoked_at, "%" PRId64, s->revoked_at);
    cJSON *json = schedule_json(s);
    char *raw = json_print(json);
    cJSON_Delete(json);
    const char *params[] = {s->merchant_uid, schedule_status_of(s), ps,
                            s->imp_uid,      s->fail_reason,        executed_at,
                            revoked_at,      payment_status_of(s),  raw};
    enum db_status st = record(conn, params, changed);
    cJSON_free(raw);
    return st;
}

enum db_status schedule_ledger_mark(struct db_conn *conn, const char *merchant_uid,
                                    const char *schedule_status, const char *payment_status)
{
    const char *params[] = {merchant_uid, schedule_status, NULL, NULL, NULL, "0",
                            "0",          payment_status,  NULL};
    return record(conn, params, NULL);
}

enum db_status schedule_ledger_save(const struct billing_env *env, const char *actor,
                                    const char *request_id,
                                    const struct iamport_schedule_list *list, const char *action,
                                    const char *subject, int always, cJSON *detail)
{
    struct db_conn *conn = NULL;
    cJSON *changed_uids = cJSON_CreateArray();
    enum db_status st = db_acquire(env->db, &conn);
    if (st == DB_OK)
        st = db_begin(conn);
    for (size_t i = 0; st == DB_OK && i < list->count; i++) {
        int changed = 0;
        st = schedule_ledger_apply(conn, &list->items[i], &changed);
        if (st == DB_OK && changed)
            cJSON_AddItemToArray(changed_uids, cJSON_CreateString(list->items[i].merchant_uid));
    }
    if (st == DB_OK && (always || cJSON_GetArraySize(changed_uids) > 0)) {
        if (!detail)
            detail = cJSON_CreateObject();
        cJSON_AddItemToObject(detail, "merchant_uids", changed_uids);
        changed_uids = NULL;
        st = audit_record(conn, actor, action, subject, request_id, detail);
        detail = NULL;
    }
    if (conn && st == DB_OK)
        st = db_commit(conn);
    else if (conn)
        db_rollback(conn);
    if (st != DB_OK)
        log_msg(LOG_ERROR, request_id, "recording '%s' in the schedules ledger failed (%s)", action,
                db_status_name(st));
    if (conn)
        db_release(env->db, conn);
    cJSON_Delete(changed_uids);
    cJSON_Delete(detail);
    return st;
}
