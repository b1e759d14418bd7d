/* Control API, actions: run schedules, send webhooks, console cancel, logs, ledger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "sandbox/sb_cancel.h"
#include "sandbox/sb_charge.h"
#include "sandbox/sb_fields.h"
#include "sandbox/sb_handlers.h"
#include "sandbox/sb_models.h"
#include "sandbox/sb_reply.h"
#include "sandbox/sb_state.h"
#include "sandbox/sb_webhook.h"

#define MAX_WEBHOOK_TIMES 100
#define MAX_WEBHOOK_DELAY_MS 600000

/* A failed scheduled Payment for a schedule whose customer was deleted (no charge attempt). */
static struct sb_payment *fail_without_customer(struct sb_state *st, const struct sb_schedule *s)
{
    char imp_uid[17];
    int64_t now = sb_now(st);
    sb_new_imp_uid(st, imp_uid);
    cJSON *p = sb_payment_json_new(imp_uid, sb_jstr(s->json, "merchant_uid"), now);
    sb_jset_str(p, "pay_method", "card");
    sb_jset_str(p, "channel", "api");
    sb_jset_str(p, "pg_provider", sb_jstr(s->json, "pg_provider"));
    sb_jset_str(p, "pg_id", sb_jstr(s->json, "pg_id"));
    sb_jset_str(p, "name", sb_jstr(s->json, "name"));
    sb_jset_int(p, "amount", sb_jint(s->json, "amount"));
    sb_jset_str(p, "currency", sb_jstr(s->json, "currency"));
    for (size_t i = 0; sb_buyer_fields[i]; i++)
        sb_jset_str(p, sb_buyer_fields[i], sb_jstr(s->json, sb_buyer_fields[i]));
    sb_jset_str(p, "custom_data", sb_jstr(s->json, "custom_data"));
    sb_jset_str(p, "customer_uid", sb_jstr(s->json, "customer_uid"));
    sb_jset_str(p, "customer_uid_usage", "payment.scheduled");
    sb_jset_str(p, "status", "failed");
    sb_jset_str(p, "fail_reason", "등록되지 않은 구매자입니다.");
    sb_jset_int(p, "failed_at", now);
    return sb_add_payment(st, p, s->notice_url ? xstrdup(s->notice_url) : NULL);
}

static int by_schedule_at(const void *a, const void *b)
{
    const struct sb_schedule *x = *(const struct sb_schedule *const *)a;
    const struct sb_schedule *y = *(const struct sb_schedule *const *)b;
    int64_t ta = sb_jint(x->json, "schedule_at"), tb = sb_jint(y->json, "schedule_at");
    return ta < tb ? -1 : ta > tb ? 1 : 0;
}

void sb_ctl_schedules_execute(struct request *req, struct reply *rep)
{
    char msg[SB_MSG_LEN];
    int64_t until = 0;
    int has_until = 0;
    if (sb_field_int(req->body, "until", NULL, 0, 0, INT64_C(253402300799), &until, &has_until,
                     msg) != 0) {
        sb_control_error(rep, 400, "%s", msg);
        return;
    }
    struct sb_state *st = sb_state_lock();
    if (!has_until)
        until = sb_now(st);
    struct sb_vec due = {0};
    for (size_t i = 0; i < st->schedules.len; i++) {
        struct sb_schedule *s = st->schedules.items[i];
        if (strcmp(sb_jstr(s->json, "schedule_status"), "scheduled") == 0 &&
            sb_jint(s->json, "schedule_at") <= until)
            sb_vec_push(&due, s);
    }
    if (due.len > 1)
        qsort(due.items, due.len, sizeof *due.items, by_schedule_at);

    cJSON *executed = cJSON_CreateArray();
    for (size_t i = 0; i < due.len; i++) {
        struct sb_schedule *s = due.items[i];
        struct sb_customer *c = sb_find_customer(st, sb_jstr(s->json, "customer_uid"));
        struct sb_payment *p;
        if (c) {
            struct sb_charge_request rq = {
                .merchant_uid = sb_jstr(s->json, "merchant_uid"),
                .amount = sb_jint(s->json, "amount"),
                .name = sb_jstr(s->json, "name"),
                .currency = sb_jstr(s->json, "currency"),
                .usage = "payment.scheduled",
                .channel = "api",
                .buyer = s->json,
                .custom_data = sb_jstr(s->json, "custom_data"),
                .notice_url = s->notice_url,
                .real_charge = 1,
            };
            p = sb_charge(st, c, &rq);
        } else {
            p = fail_without_customer(st, s);
        }
        sb_jset_str(s->json, "schedule_status", "executed");
        sb_jset_int(s->json, "executed_at", sb_now(st));
        sb_jset_str(s->json, "imp_uid", sb_jstr(p->json, "imp_uid"));
        sb_jset_str(s->json, "payment_status", sb_jstr(p->json, "status"));
        sb_jset_str(s->json, "fail_reason", sb_jstr(p->json, "fail_reason"));
        sb_webhook_for_payment(st, p, NULL, NULL, 0);
        cJSON_AddItemToArray(executed, cJSON_Duplicate(s->json, 1));
    }
    sb_vec_release(&due);
    sb_state_unlock();
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "executed", executed);
    reply_json(rep, 200, out);
}

void sb_ctl_webhooks_send(struct request *req, struct reply *rep)
{
    char msg[SB_MSG_LEN];
    const char *imp_uid, *url;
    int64_t times = 1, delay_ms = 0;

    if (sb_field_str(req->body, "imp_uid", NULL, 1, 32, &imp_uid, msg) != 0 ||
        sb_field_str(req->body, "url", NULL, 0, 2000, &url, msg) != 0 ||
        sb_field_int(req->body, "times", NULL, 0, 1, MAX_WEBHOOK_TIMES, &times, NULL, msg) != 0 ||
        sb_field_int(req->body, "delay_ms", NULL, 0, 0, MAX_WEBHOOK_DELAY_MS, &delay_ms, NULL,
                     msg) != 0) {
        sb_control_error(rep, 400, "%s", msg);
        return;
    }
    struct sb_state *st = sb_state_lock();
    struct sb_payment *p = sb_find_payment(st, imp_uid);
    if (!p) {
        sb_state_unlock();
        sb_control_error(rep, 404, "payment '%s' not found", imp_uid);
        return;
    }
    const char *target = url ? url : p->notice_url ? p->notice_url : st->cfg.webhook_url;
    if (!target) {
        sb_state_unlock();
        sb_control_error(rep, 400,
                         "no webhook url for '%s': pass \"url\" or set webhook_url in "
                         "POST /__sandbox/config",
                         imp_uid);
        return;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "queued", (double)times);
    cJSON_AddStringToObject(out, "url", target);
    for (int64_t i = 0; i < times; i++)
        sb_webhook_for_payment(st, p, url, NULL, delay_ms);
    sb_state_unlock();
    reply_json(rep, 200, out);
}

void sb_ctl_webhooks_log(struct request *req, struct reply *rep)
{
    (void)req;
    reply_json(rep, 200, sb_webhook_log_json());
}

void sb_ctl_webhooks_clear(struct request *req, struct reply *rep)
{
    (void)req;
    sb_webhook_reset();
    reply_json(rep, 200, sb_webhook_log_json());
}

void sb_ctl_requests(struct request *req, struct reply *rep)
{
    (void)req;
    struct sb_state *st = sb_state_lock();
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "requests", cJSON_Duplicate(st->requests, 1));
    sb_state_unlock();
    reply_json(rep, 200, out);
}

void sb_ctl_requests_clear(struct request *req, struct reply *rep)
{
    (void)req;
    struct sb_state *st = sb_state_lock();
    cJSON_Delete(st->requests);
    st->requests = cJSON_CreateArray();
    sb_state_unlock();
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "requests", cJSON_CreateArray());
    reply_json(rep, 200, out);
}

void sb_ctl_ledger(struct request *req, struct reply *rep)
{
    (void)req;
    struct sb_state *st = sb_state_lock();
    cJSON *out = cJSON_CreateObject();
    cJSON_AddItemToObject(out, "charges", cJSON_Duplicate(st->ledger, 1));
    cJSON_AddNumberToObject(out, "total_paid", (double)st->total_paid);
    sb_state_unlock();
    reply_json(rep, 200, out);
}

void sb_ctl_payment(struct request *req, struct reply *rep)
{
    const char *imp_uid = request_param(req, "imp_uid");
    struct sb_state *st = sb_state_lock();
    struct sb_payment *p = sb_find_payment(st, imp_uid);
    cJSON *copy = p ? cJSON_Duplicate(p->json, 1) : NULL;
    if (copy)
        sb_jset_str(copy, "notice_url", p->notice_url);
    sb_state_unlock();
    if (!copy)
        sb_control_error(rep, 404, "payment '%s' not found", imp_uid);
    else
        reply_json(rep, 200, copy);
}

void sb_ctl_cancel(struct request *req, struct reply *rep)
{
    char msg[SB_MSG_LEN], cancellation_id[SB_CANCELLATION_ID_LEN + 1];
    const char *imp_uid, *reason;
    int64_t amount = 0;

    if (sb_field_str(req->body, "imp_uid", NULL, 1, 32, &imp_uid, msg) != 0 ||
        sb_field_str(req->body, "reason", NULL, 0, 200, &reason, msg) != 0 ||
        sb_field_int(req->body, "amount", NULL, 0, 0, SB_MAX_AMOUNT, &amount, NULL, msg) != 0) {
        sb_control_error(rep, 400, "%s", msg);
        return;
    }
    struct sb_state *st = sb_state_lock();
    struct sb_payment *p = sb_find_payment(st, imp_uid);
    if (!p) {
        sb_state_unlock();
        sb_control_error(rep, 404, "payment '%s' not found", imp_uid);
        return;
    }
    if (sb_cancel_apply(st, p, amount, 0, 0, reason, cancellation_id, msg) != 0) {
        sb_state_unlock();
        sb_control_error(rep, 409, "%s", msg);
        return;
    }
    sb_webhook_for_payment(st, p, NULL, cancellation_id, 0);
    cJSON *copy = cJSON_Duplicate(p->json, 1);
    sb_state_unlock();
    reply_json(rep, 200, copy);
}
