/* iamport client: the Payment object (status enum, parse from JSON, release). */
#include <stdlib.h>
#include <string.h>

#include "server/iamport/iamport_readers.h"
#include "server/iamport/iamport_errors.h"
#include "server/iamport/iamport_json.h"
#include "server/iamport/iamport_scan.h"
#include "server/core/xalloc.h"

/* clang-format off */
static const char *const payment_status_names[] = {
    [IAMPORT_PAYMENT_READY] = "ready",
    [IAMPORT_PAYMENT_PAID] = "paid",
    [IAMPORT_PAYMENT_FAILED] = "failed",
    [IAMPORT_PAYMENT_CANCELLED] = "cancelled",
    [IAMPORT_PAYMENT_UNKNOWN] = "unknown",
};
/* clang-format on */

enum iamport_payment_status iamport_payment_status_parse(const char *text)
{
    for (int i = IAMPORT_PAYMENT_READY; text && i < IAMPORT_PAYMENT_UNKNOWN; i++) {
        if (strcmp(text, payment_status_names[i]) == 0)
            return (enum iamport_payment_status)i;
    }
    return IAMPORT_PAYMENT_UNKNOWN;
}

const char *iamport_payment_status_name(enum iamport_payment_status status)
{
    if ((unsigned)status > IAMPORT_PAYMENT_UNKNOWN)
        return "unknown";
    return payment_status_names[status];
}

#define PAYMENT_FIELD(f) IAMPORT_JSON_FIELD(struct iamport_payment, f),
static const struct iamport_json_field payment_strings[] = {PAYMENT_STRINGS(PAYMENT_FIELD)};
static const struct iamport_json_field payment_times[] = {PAYMENT_TIMES(PAYMENT_FIELD)};
#undef PAYMENT_FIELD

static int parse_cancel_history(const cJSON *json, struct iamport_payment *out,
                                struct iamport_error *err)
{
    const cJSON *list = iamport_json_get(json, "cancel_history");
    if (!list || cJSON_IsNull(list))
        return 0;
    if (!cJSON_IsArray(list)) {
        iamport_fail(err, IAMPORT_E_PARSE, "field 'cancel_history' is not an array");
        return -1;
    }
    int n = cJSON_GetArraySize(list);
    if (n == 0)
        return 0;
    out->cancel_history = xcalloc((size_t)n, sizeof *out->cancel_history);
    const cJSON *entry;
    cJSON_ArrayForEach (entry, list) {
        struct iamport_cancel_entry *e = &out->cancel_history[out->cancel_history_count++];
        if (!cJSON_IsObject(entry)) {
            iamport_fail(err, IAMPORT_E_PARSE, "a 'cancel_history' entry is not an object");
            return -1;
        }
        if (iamport_json_string(entry, "pg_tid", false, &e->pg_tid, err) ||
            iamport_json_int64(entry, "amount", true, 0, &e->amount, err) ||
            iamport_json_int64(entry, "cancelled_at", false, 0, &e->cancelled_at, err) ||
            iamport_json_string(entry, "reason", false, &e->reason, err) ||
            iamport_json_string(entry, "cancellation_id", false, &e->cancellation_id, err) ||
            iamport_json_string(entry, "receipt_url", false, &e->receipt_url, err))
            return -1;
    }
    return 0;
}

static enum iamport_status parse_payment(const cJSON *json, struct iamport_payment *out,
                                         struct iamport_error *err)
{
    if (!cJSON_IsObject(json))
        return iamport_fail(err, IAMPORT_E_PARSE, "payment is not a JSON object");
    if (iamport_json_strings(json, payment_strings, IAMPORT_COUNT(payment_strings), out, err) ||
        iamport_json_times(json, payment_times, IAMPORT_COUNT(payment_times), out, err) ||
        iamport_json_string(json, "imp_uid", true, &out->imp_uid, err) ||
        iamport_json_string(json, "merchant_uid", true, &out->merchant_uid, err) ||
        iamport_json_string(json, "status", true, &out->status_text, err) ||
        iamport_json_int64(json, "amount", true, 0, &out->amount, err) ||
        iamport_json_int64(json, "cancel_amount", false, 0, &out->cancel_amount, err) ||
        iamport_json_int64(json, "card_quota", false, 0, &out->card_quota, err) ||
        iamport_json_int64(json, "card_type", false, -1, &out->card_type, err) ||
        iamport_json_bool(json, "sandbox", &out->sandbox, err) ||
        iamport_json_bool(json, "escrow", &out->escrow, err) ||
        iamport_json_text(json, "custom_data", &out->custom_data, err) ||
        parse_cancel_history(json, out, err))
        return IAMPORT_E_PARSE;
    out->status = iamport_payment_status_parse(out->status_text);
    return IAMPORT_OK;
}

enum iamport_status iamport_payment_from_json(const cJSON *json, struct iamport_payment *out,
                                              struct iamport_error *err)
{
    struct iamport_error local;
    if (!err)
        err = &local;
    memset(out, 0, sizeof *out);
    out->card_type = -1;
    enum iamport_status st = parse_payment(json, out, err);
    if (st != IAMPORT_OK)
        iamport_payment_release(out);
    return st;
}

enum iamport_status iamport_read_payment_text(const char *json, size_t len,
                                              struct iamport_text_read *into,
                                              struct iamport_error *err)
{
    struct iamport_payment *payment = into->out;
    memset(payment, 0, sizeof *payment);
    payment->card_type = -1;
    enum iamport_status st = iamport_scan_payment(json, len, payment, err);
    if (st != IAMPORT_OK) {
        iamport_payment_release(payment);
        return st;
    }
    payment->status = iamport_payment_status_parse(payment->status_text);
    payment->raw_json = xstrndup(json, len);
    into->declined = payment->status == IAMPORT_PAYMENT_FAILED;
    return IAMPORT_OK;
}

cJSON *iamport_payment_raw(const struct iamport_payment *p)
{
    return p && p->raw_json ? cJSON_ParseWithOpts(p->raw_json, NULL, 1) : NULL;
}

void iamport_payment_release(struct iamport_payment *p)
{
    if (!p)
        return;
    iamport_json_free_strings(payment_strings, IAMPORT_COUNT(payment_strings), p);
    free(p->imp_uid);
    free(p->merchant_uid);
    free(p->status_text);
    free(p->custom_data);
    for (size_t i = 0; i < p->cancel_history_count; i++) {
        struct iamport_cancel_entry *e = &p->cancel_history[i];
        free(e->pg_tid);
        free(e->reason);
        free(e->cancellation_id);
        free(e->receipt_url);
    }
    free(p->cancel_history);
    free(p->raw_json);
    memset(p, 0, sizeof *p);
}
