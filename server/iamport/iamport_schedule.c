/* iamport client: the Schedule object and schedule lists (parse from JSON, release). */
#include <stdlib.h>
#include <string.h>

#include "server/iamport/iamport_readers.h"
#include "server/iamport/iamport_errors.h"
#include "server/iamport/iamport_json.h"
#include "server/core/xalloc.h"

/* clang-format off */
static const char *const schedule_status_names[] = {
    [IAMPORT_SCHEDULE_SCHEDULED] = "scheduled",
    [IAMPORT_SCHEDULE_EXECUTED] = "executed",
    [IAMPORT_SCHEDULE_REVOKED] = "revoked",
};
/* clang-format on */

enum iamport_schedule_status iamport_schedule_status_parse(const char *text)
{
    for (int i = IAMPORT_SCHEDULE_SCHEDULED; text && i < IAMPORT_SCHEDULE_UNKNOWN; i++) {
        if (strcmp(text, schedule_status_names[i]) == 0)
            return (enum iamport_schedule_status)i;
    }
    return IAMPORT_SCHEDULE_UNKNOWN;
}

/* clang-format off */
#define SCHEDULE_STRINGS(X)                                                                        \
    X(imp_uid) X(currency) X(name) X(buyer_name) X(buyer_email) X(buyer_tel) X(buyer_addr)         \
    X(buyer_postcode) X(payment_status) X(fail_reason) X(pg_provider) X(pg_id) X(customer_id)    \
    X(promotion_id)

#define SCHEDULE_TIMES(X) X(executed_at) X(revoked_at)
/* clang-format on */

#define SCHEDULE_FIELD(f) IAMPORT_JSON_FIELD(struct iamport_schedule, f),
static const struct iamport_json_field schedule_strings[] = {SCHEDULE_STRINGS(SCHEDULE_FIELD)};
static const struct iamport_json_field schedule_times[] = {SCHEDULE_TIMES(SCHEDULE_FIELD)};
#undef SCHEDULE_FIELD

void iamport_schedule_release(struct iamport_schedule *s)
{
    if (!s)
        return;
    iamport_json_free_strings(schedule_strings, IAMPORT_COUNT(schedule_strings), s);
    free(s->customer_uid);
    free(s->merchant_uid);
    free(s->custom_data);
    free(s->schedule_status_text);
    memset(s, 0, sizeof *s);
}

static enum iamport_status parse_schedule(const cJSON *json, struct iamport_schedule *out,
                                          struct iamport_error *err)
{
    if (!cJSON_IsObject(json))
        return iamport_fail(err, IAMPORT_E_PARSE, "schedule is not a JSON object");
    if (iamport_json_strings(json, schedule_strings, IAMPORT_COUNT(schedule_strings), out, err) ||
        iamport_json_times(json, schedule_times, IAMPORT_COUNT(schedule_times), out, err) ||
        iamport_json_string(json, "customer_uid", true, &out->customer_uid, err) ||
        iamport_json_string(json, "merchant_uid", true, &out->merchant_uid, err) ||
        iamport_json_int64(json, "schedule_at", true, 0, &out->schedule_at, err) ||
        iamport_json_int64(json, "amount", true, 0, &out->amount, err) ||
        iamport_json_string(json, "schedule_status", false, &out->schedule_status_text, err) ||
        iamport_json_text(json, "custom_data", &out->custom_data, err))
        return IAMPORT_E_PARSE;
    out->schedule_status = iamport_schedule_status_parse(out->schedule_status_text);
    return IAMPORT_OK;
}

enum iamport_status iamport_schedule_from_json(const cJSON *json, struct iamport_schedule *out,
                                               struct iamport_error *err)
{
    memset(out, 0, sizeof *out);
    enum iamport_status st = parse_schedule(json, out, err);
    if (st != IAMPORT_OK)
        iamport_schedule_release(out);
    return st;
}

void iamport_schedule_list_release(struct iamport_schedule_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        iamport_schedule_release(&list->items[i]);
    free(list->items);
    memset(list, 0, sizeof *list);
}

static enum iamport_status parse_items(const cJSON *array, struct iamport_schedule_list *out,
                                       struct iamport_error *err)
{
    int n = cJSON_GetArraySize(array);
    if (n > 0)
        out->items = xcalloc((size_t)n, sizeof *out->items);
    const cJSON *item;
    cJSON_ArrayForEach (item, array) {
        enum iamport_status st = iamport_schedule_from_json(item, &out->items[out->count], err);
        if (st != IAMPORT_OK)
            return st;
        out->count++;
    }
    return IAMPORT_OK;
}

static enum iamport_status parse_list(const cJSON *json, struct iamport_schedule_list *out,
                                      struct iamport_error *err)
{
    if (cJSON_IsArray(json)) {
        enum iamport_status st = parse_items(json, out, err);
        out->total = (int64_t)out->count;
        return st;
    }
    if (!cJSON_IsObject(json))
        return iamport_fail(err, IAMPORT_E_PARSE,
                            "schedule list is neither an array nor an object");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(json, "list");
    if (!cJSON_IsArray(list))
        return iamport_fail(err, IAMPORT_E_PARSE, "field 'list' is not an array");
    if (iamport_json_int64(json, "total", false, 0, &out->total, err) ||
        iamport_json_int64(json, "previous", false, 0, &out->previous, err) ||
        iamport_json_int64(json, "next", false, 0, &out->next, err))
        return IAMPORT_E_PARSE;
    return parse_items(list, out, err);
}

enum iamport_status iamport_schedule_list_from_json(const cJSON *json,
                                                    struct iamport_schedule_list *out,
                                                    struct iamport_error *err)
{
    memset(out, 0, sizeof *out);
    enum iamport_status st = parse_list(json, out, err);
    if (st != IAMPORT_OK)
        iamport_schedule_list_release(out);
    return st;
}

enum iamport_status iamport_read_schedule(cJSON *response, void *out, struct iamport_error *err)
{
    enum iamport_status st = iamport_schedule_from_json(response, out, err);
    cJSON_Delete(response);
    return st;
}

enum iamport_status iamport_read_schedule_list(cJSON *response, void *out,
                                               struct iamport_error *err)
{
    enum iamport_status st = iamport_schedule_list_from_json(response, out, err);
    cJSON_Delete(response);
    return st;
}
