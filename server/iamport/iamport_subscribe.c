/* iamport client: /subscribe/payments calls (charge a billing key, schedules). */
#include <stdio.h>
#include <stdlib.h>

#include "server/iamport/iamport_client.h"
#include "server/iamport/iamport_errors.h"
#include "server/iamport/iamport_json.h"
#include "server/iamport/iamport_readers.h"

/* Most schedule items accepted in one request. */
#define SCHEDULE_ITEMS_MAX 1000

static enum iamport_status check_amount(const char *what, int64_t amount, struct iamport_error *err)
{
    if (amount <= 0 || amount > IAMPORT_AMOUNT_MAX)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "%s %lld is out of range", what,
                            (long long)amount);
    return IAMPORT_OK;
}

static enum iamport_status check_tax_free(int64_t tax_free, int64_t amount,
                                          struct iamport_error *err)
{
    if (tax_free < 0 || tax_free > amount)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT,
                            "tax_free %lld is not between 0 and the amount", (long long)tax_free);
    return IAMPORT_OK;
}

static enum iamport_status check_extra(const cJSON *extra, struct iamport_error *err)
{
    if (extra && !cJSON_IsObject(extra))
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "extra must be a JSON object");
    return IAMPORT_OK;
}

static void add_buyer(cJSON *body, const char *name, const char *email, const char *tel,
                      const char *addr, const char *postcode)
{
    iamport_body_add_string(body, "buyer_name", name);
    iamport_body_add_string(body, "buyer_email", email);
    iamport_body_add_string(body, "buyer_tel", tel);
    iamport_body_add_string(body, "buyer_addr", addr);
    iamport_body_add_string(body, "buyer_postcode", postcode);
}

static enum iamport_status check_again(const struct iamport_again_request *req,
                                       struct iamport_error *err)
{
    if (!req)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "again request is missing");
    if (iamport_check_id("customer_uid", req->customer_uid, err) ||
        iamport_check_id("merchant_uid", req->merchant_uid, err) ||
        check_amount("amount", req->amount, err) ||
        check_tax_free(req->tax_free, req->amount, err) || check_extra(req->extra, err))
        return IAMPORT_E_INVALID_ARGUMENT;
    const cJSON *cd = req->custom_data;
    if (cd && !cJSON_IsString(cd) && !cJSON_IsObject(cd) && !cJSON_IsArray(cd))
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT,
                            "custom_data must be a JSON string, object or array");
    return IAMPORT_OK;
}

static cJSON *again_body(const struct iamport_again_request *req)
{
    cJSON *body = iamport_body_new();
    iamport_body_add_string(body, "customer_uid", req->customer_uid);
    iamport_body_add_string(body, "merchant_uid", req->merchant_uid);
    iamport_body_add_int64(body, "amount", req->amount);
    iamport_body_add_string(body, "name", req->name);
    if (req->tax_free > 0)
        iamport_body_add_int64(body, "tax_free", req->tax_free);
    iamport_body_add_string(body, "currency", req->currency);
    add_buyer(body, req->buyer_name, req->buyer_email, req->buyer_tel, req->buyer_addr,
              req->buyer_postcode);
    if (cJSON_IsString(req->custom_data)) {
        iamport_body_add_string(body, "custom_data", req->custom_data->valuestring);
    } else if (req->custom_data) {
        char *text = iamport_body_print(req->custom_data);
        iamport_body_add_string(body, "custom_data", text);
        free(text);
    }
    iamport_body_add_string(body, "notice_url", req->notice_url);
    iamport_body_add_copy(body, "extra", req->extra);
    return body;
}

enum iamport_status iamport_again(struct iamport_client *c, const struct iamport_again_request *req,
                                  struct iamport_payment *out, struct iamport_error *err)
{
    struct iamport_error local;
    err = iamport_begin(err, &local, out, sizeof *out);
    enum iamport_status st = check_again(req, err);
    if (st != IAMPORT_OK)
        return st;

    return iamport_post_read_text(c, "/subscribe/payments/again", again_body(req),
                                  iamport_read_payment_text, out, err);
}

static enum iamport_status check_schedule_fields(const struct iamport_schedule_item *item,
                                                 struct iamport_error *err)
{
    if (iamport_check_id("merchant_uid", item->merchant_uid, err) ||
        check_amount("amount", item->amount, err) ||
        check_tax_free(item->tax_free, item->amount, err) || check_extra(item->extra, err))
        return IAMPORT_E_INVALID_ARGUMENT;
    if (item->schedule_at <= 0)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "schedule_at %lld is not a unix time",
                            (long long)item->schedule_at);
    return IAMPORT_OK;
}

/* Checks one item; the detail names the item's index. */
static enum iamport_status check_schedule_item(const struct iamport_schedule_item *item,
                                               size_t index, struct iamport_error *err)
{
    if (check_schedule_fields(item, err) == IAMPORT_OK)
        return IAMPORT_OK;
    char what[sizeof err->detail];
    snprintf(what, sizeof what, "%s", err->detail);
    return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "schedule item %zu: %s", index, what);
}

static cJSON *schedule_item_json(const struct iamport_schedule_item *item)
{
    cJSON *obj = iamport_body_new();
    iamport_body_add_string(obj, "merchant_uid", item->merchant_uid);
    iamport_body_add_int64(obj, "schedule_at", item->schedule_at);
    iamport_body_add_int64(obj, "amount", item->amount);
    iamport_body_add_string(obj, "name", item->name);
    iamport_body_add_string(obj, "currency", item->currency ? item->currency : "KRW");
    if (item->tax_free > 0)
        iamport_body_add_int64(obj, "tax_free", item->tax_free);
    add_buyer(obj, item->buyer_name, item->buyer_email, item->buyer_tel, item->buyer_addr,
              item->buyer_postcode);
    iamport_body_add_string(obj, "custom_data", item->custom_data);
    iamport_body_add_string(obj, "notice_url", item->notice_url);
    iamport_body_add_copy(obj, "extra", item->extra);
    return obj;
}

enum iamport_status iamport_schedule(struct iamport_client *c, const char *customer_uid,
                                     const struct iamport_schedule_item *items, size_t n,
                                     struct iamport_schedule_list *out, struct iamport_error *err)
{
    struct iamport_error local;
    err = iamport_begin(err, &local, out, sizeof *out);
    enum iamport_status st = iamport_check_id("customer_uid", customer_uid, err);
    if (st != IAMPORT_OK)
        return st;
    if (!items || n == 0 || n > SCHEDULE_ITEMS_MAX)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT,
                            "schedule needs 1 to %d items, got %zu", SCHEDULE_ITEMS_MAX,
                            items ? n : 0);
    for (size_t i = 0; i < n; i++) {
        st = check_schedule_item(&items[i], i, err);
        if (st != IAMPORT_OK)
            return st;
    }

    cJSON *body = iamport_body_new();
    iamport_body_add_string(body, "customer_uid", customer_uid);
    cJSON *schedules = iamport_body_add_array(body, "schedules");
    for (size_t i = 0; i < n; i++)
        iamport_body_append(schedules, schedule_item_json(&items[i]));
    return iamport_post_read(c, "/subscribe/payments/schedule", body, iamport_read_schedule_list,
                             out, err);
}

enum iamport_status iamport_unschedule(struct iamport_client *c, const char *customer_uid,
                                       const char *const *merchant_uids, size_t n,
                                       struct iamport_schedule_list *out, struct iamport_error *err)
{
    struct iamport_error local;
    err = iamport_begin(err, &local, out, sizeof *out);
    enum iamport_status st =
        customer_uid || n == 0 ? iamport_check_id("customer_uid", customer_uid, err) : IAMPORT_OK;
    if (st != IAMPORT_OK)
        return st;
    if (n > 0 && !merchant_uids)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "merchant_uids is missing");
    if (n > SCHEDULE_ITEMS_MAX)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "more than %d merchant_uids",
                            SCHEDULE_ITEMS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (iamport_check_id("merchant_uid", merchant_uids[i], err) != IAMPORT_OK)
            return IAMPORT_E_INVALID_ARGUMENT;
    }

    cJSON *body = iamport_body_new();
    iamport_body_add_string(body, "customer_uid", customer_uid);
    if (n > 0) {
        cJSON *list = iamport_body_add_array(body, "merchant_uid");
        for (size_t i = 0; i < n; i++)
            iamport_body_append_string(list, merchant_uids[i]);
    }
    return iamport_post_read(c, "/subscribe/payments/unschedule", body, iamport_read_schedule_list,
                             out, err);
}

enum iamport_status iamport_get_schedule(struct iamport_client *c, const char *merchant_uid,
                                         struct iamport_schedule *out, struct iamport_error *err)
{
    struct iamport_error local;
    err = iamport_begin(err, &local, out, sizeof *out);
    return iamport_get_by_id(c, "merchant_uid", merchant_uid, "/subscribe/payments/schedule/", "",
                             iamport_read_schedule, out, err);
}

static enum iamport_status check_query(const struct iamport_schedule_query *q,
                                       struct iamport_error *err)
{
    if (!q)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "schedule query is missing");
    if (q->from < 0 || q->to <= q->from)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT,
                            "schedule window [%lld, %lld) is empty or negative", (long long)q->from,
                            (long long)q->to);
    if (q->page < 0)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "page %d is negative", q->page);
    if (q->schedule_status &&
        iamport_schedule_status_parse(q->schedule_status) == IAMPORT_SCHEDULE_UNKNOWN)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT,
                            "schedule_status must be scheduled, executed or revoked");
    return IAMPORT_OK;
}

enum iamport_status iamport_list_customer_schedules(struct iamport_client *c,
                                                    const char *customer_uid,
                                                    const struct iamport_schedule_query *query,
                                                    struct iamport_schedule_list *out,
                                                    struct iamport_error *err)
{
    struct iamport_error local;
    err = iamport_begin(err, &local, out, sizeof *out);
    enum iamport_status st = iamport_check_id("customer_uid", customer_uid, err);
    if (st == IAMPORT_OK)
        st = check_query(query, err);
    if (st != IAMPORT_OK)
        return st;
    char page[32] = "", status[48] = "", suffix[160];
    if (query->page > 0)
        snprintf(page, sizeof page, "&page=%d", query->page);
    if (query->schedule_status)
        snprintf(status, sizeof status, "&schedule-status=%s", query->schedule_status);
    snprintf(suffix, sizeof suffix, "?from=%lld&to=%lld%s%s", (long long)query->from,
             (long long)query->to, page, status);
    return iamport_get_by_id(c, "customer_uid", customer_uid,
                             "/subscribe/payments/schedule/customers/", suffix,
                             iamport_read_schedule_list, out, err);
}
