/* Control API, setup: reset, config, customers, declines, faults, tokens, clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "sandbox/sb_fields.h"
#include "sandbox/sb_handlers.h"
#include "sandbox/sb_models.h"
#include "sandbox/sb_reply.h"
#include "sandbox/sb_state.h"
#include "sandbox/sb_webhook.h"

#define MAX_TOKEN_TTL_S (365 * 86400)
#define MAX_FAULT_DELAY_MS 600000

static const char *const fault_kind_names[] = {"latency", "http500", "drop", "hang", "bad_json"};

void sb_ctl_reset(struct request *req, struct reply *rep)
{
    (void)req;
    struct sb_state *st = sb_state_lock();
    sb_state_reset(st);
    sb_state_unlock();
    sb_webhook_reset();
    cJSON *out = cJSON_CreateObject();
    cJSON_AddBoolToObject(out, "reset", 1);
    reply_json(rep, 200, out);
}

static cJSON *config_json(const struct sb_state *st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "customer_not_found",
                            st->cfg.customer_not_found_200 ? "200" : "404");
    sb_jset_str(o, "webhook_url", st->cfg.webhook_url);
    cJSON_AddStringToObject(o, "webhook_format",
                            st->cfg.webhook_format == SB_WEBHOOK_FORM ? "form" : "json");
    cJSON_AddItemToObject(o, "issue_status", cJSON_Duplicate(st->cfg.issue_status, 1));
    cJSON_AddNumberToObject(o, "token_ttl_seconds", (double)st->cfg.token_ttl_seconds);
    cJSON_AddNumberToObject(o, "issue_webhook_delay_ms", (double)st->cfg.issue_webhook_delay_ms);
    cJSON_AddBoolToObject(o, "issue_webhook_before_result", st->cfg.issue_webhook_before_result);
    cJSON_AddBoolToObject(o, "issue_ready_without_key", st->cfg.issue_ready_without_key);
    return o;
}

static int valid_issue_status(const char *s)
{
    return strcmp(s, "paid") == 0 || strcmp(s, "ready") == 0 || strcmp(s, "failed") == 0;
}

/* Checks the whole config body without changing anything; NULL when valid, else a message. */
static const char *config_problem(const cJSON *body, char *msg)
{
    static const char *const known[] = {"customer_not_found",
                                        "webhook_url",
                                        "webhook_format",
                                        "issue_status",
                                        "token_ttl_seconds",
                                        "issue_webhook_delay_ms",
                                        "issue_webhook_before_result",
                                        "issue_ready_without_key",
                                        NULL};
    const cJSON *item;
    cJSON_ArrayForEach (item, body) {
        size_t i = 0;
        while (known[i] && strcmp(known[i], item->string) != 0)
            i++;
        if (!known[i]) {
            snprintf(msg, SB_MSG_LEN, "unknown config key '%s'", item->string);
            return msg;
        }
    }
    const char *cnf = sb_jstr(body, "customer_not_found");
    const cJSON *cnf_item = cJSON_GetObjectItemCaseSensitive(body, "customer_not_found");
    if (cnf_item && !(cnf && (strcmp(cnf, "404") == 0 || strcmp(cnf, "200") == 0)))
        return "customer_not_found must be \"404\" or \"200\"";
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(body, "webhook_url");
    if (url && !cJSON_IsNull(url) && !(cJSON_IsString(url) && url->valuestring[0]))
        return "webhook_url must be a non-empty string or null";
    const char *fmt = sb_jstr(body, "webhook_format");
    if (cJSON_GetObjectItemCaseSensitive(body, "webhook_format") &&
        !(fmt && (strcmp(fmt, "json") == 0 || strcmp(fmt, "form") == 0)))
        return "webhook_format must be \"json\" or \"form\"";
    const cJSON *issue = cJSON_GetObjectItemCaseSensitive(body, "issue_status");
    if (issue) {
        if (!cJSON_IsObject(issue))
            return "issue_status must be an object like {\"kakaopay\":\"ready\"}";
        cJSON_ArrayForEach (item, issue) {
            if (!cJSON_IsString(item) || !valid_issue_status(item->valuestring)) {
                snprintf(msg, SB_MSG_LEN,
                         "issue_status['%s'] must be \"paid\", \"ready\" or \"failed\"",
                         item->string);
                return msg;
            }
        }
    }
    int64_t ttl = 0;
    if (sb_field_int(body, "token_ttl_seconds", NULL, 0, 1, MAX_TOKEN_TTL_S, &ttl, NULL, msg) != 0)
        return "token_ttl_seconds must be an integer from 1 to 31536000";
    if (sb_field_int(body, "issue_webhook_delay_ms", NULL, 0, 0, 600000, &ttl, NULL, msg) != 0)
        return "issue_webhook_delay_ms must be an integer from 0 to 600000";
    const cJSON *before = cJSON_GetObjectItemCaseSensitive(body, "issue_webhook_before_result");
    if (before && !cJSON_IsBool(before))
        return "issue_webhook_before_result must be true or false";
    const cJSON *no_key = cJSON_GetObjectItemCaseSensitive(body, "issue_ready_without_key");
    if (no_key && !cJSON_IsBool(no_key))
        return "issue_ready_without_key must be true or false";
    return NULL;
}

void sb_ctl_config(struct request *req, struct reply *rep)
{
    char msg[SB_MSG_LEN];
    const cJSON *body = req->body;
    const char *problem = config_problem(body, msg);
    if (problem) {
        sb_control_error(rep, 400, "%s", problem);
        return;
    }
    struct sb_state *st = sb_state_lock();
    const char *cnf = sb_jstr(body, "customer_not_found");
    if (cnf)
        st->cfg.customer_not_found_200 = strcmp(cnf, "200") == 0;
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(body, "webhook_url");
    if (url) {
        free(st->cfg.webhook_url);
        st->cfg.webhook_url = cJSON_IsString(url) ? xstrdup(url->valuestring) : NULL;
    }
    const char *fmt = sb_jstr(body, "webhook_format");
    if (fmt)
        st->cfg.webhook_format = strcmp(fmt, "form") == 0 ? SB_WEBHOOK_FORM : SB_WEBHOOK_JSON;
    const cJSON *issue = cJSON_GetObjectItemCaseSensitive(body, "issue_status");
    const cJSON *item;
    cJSON_ArrayForEach (item, issue) {
        sb_jset_str(st->cfg.issue_status, item->string, item->valuestring);
    }
    int64_t ttl = 0;
    int has_ttl = 0;
    sb_field_int(body, "token_ttl_seconds", NULL, 0, 1, MAX_TOKEN_TTL_S, &ttl, &has_ttl, msg);
    if (has_ttl)
        st->cfg.token_ttl_seconds = ttl;
    int64_t delay = 0;
    int has_delay = 0;
    sb_field_int(body, "issue_webhook_delay_ms", NULL, 0, 0, 600000, &delay, &has_delay, msg);
    if (has_delay)
        st->cfg.issue_webhook_delay_ms = delay;
    const cJSON *before = cJSON_GetObjectItemCaseSensitive(body, "issue_webhook_before_result");
    if (before)
        st->cfg.issue_webhook_before_result = cJSON_IsTrue(before);
    const cJSON *no_key = cJSON_GetObjectItemCaseSensitive(body, "issue_ready_without_key");
    if (no_key)
        st->cfg.issue_ready_without_key = cJSON_IsTrue(no_key);
    cJSON *out = config_json(st);
    sb_state_unlock();
    reply_json(rep, 200, out);
}

/* "4092123456781234" -> "4092-12**-****-1234"-style masking of digits 7..12; masked input kept. */
static char *mask_card_number(const char *number)
{
    char *out = xstrdup(number);
    if (strchr(number, '*'))
        return out;
    int digit = 0;
    for (char *p = out; *p; p++) {
        if (*p < '0' || *p > '9')
            continue;
        if (digit >= 6 && digit < 12)
            *p = '*';
        digit++;
    }
    return out;
}

void sb_ctl_customers(struct request *req, struct reply *rep)
{
    char msg[SB_MSG_LEN];
    const char *uid, *pg, *pg_id, *card_name, *card_number, *customer_id;
    const cJSON *body = req->body;

    if (sb_field_str(body, "customer_uid", NULL, 1, 80, &uid, msg) != 0 ||
        sb_field_str(body, "pg_provider", NULL, 0, 80, &pg, msg) != 0 ||
        sb_field_str(body, "pg_id", NULL, 0, 80, &pg_id, msg) != 0 ||
        sb_field_str(body, "card_name", NULL, 0, 40, &card_name, msg) != 0 ||
        sb_field_str(body, "card_number", NULL, 0, 32, &card_number, msg) != 0 ||
        sb_field_str(body, "customer_id", NULL, 0, 80, &customer_id, msg) != 0) {
        sb_control_error(rep, 400, "%s", msg);
        return;
    }
    for (size_t i = 0; sb_customer_buyer_fields[i]; i++) {
        const char *ignored;
        if (sb_field_str(body, sb_customer_buyer_fields[i], NULL, 0, 200, &ignored, msg) != 0) {
            sb_control_error(rep, 400, "%s", msg);
            return;
        }
    }
    /* "kakaopay.TCSUBSCRIP" names the provider and its MID / CID. */
    char provider[81];
    snprintf(provider, sizeof provider, "%s", pg ? pg : "kakaopay");
    char *dot = strchr(provider, '.');
    if (dot) {
        *dot = '\0';
        if (!pg_id)
            pg_id = pg + (dot - provider) + 1;
    }
    char *masked = mask_card_number(card_number ? card_number : "4092-12**-****-1234");
    char *default_pg_id = xasprintf("sandbox_%s", provider);

    struct sb_state *st = sb_state_lock();
    int64_t now = sb_now(st);
    cJSON *json =
        sb_customer_json_new(uid, provider, pg_id ? pg_id : default_pg_id,
                             card_name ? card_name : "신한카드", masked, customer_id, now);
    for (size_t i = 0; sb_customer_buyer_fields[i]; i++)
        sb_jset_str(json, sb_customer_buyer_fields[i], sb_jstr(body, sb_customer_buyer_fields[i]));
    struct sb_customer *old = sb_find_customer(st, uid);
    if (old) { /* reusing a customer_uid swaps the card and keeps `inserted` */
        sb_jset_int(json, "inserted", sb_jint(old->json, "inserted"));
        cJSON_Delete(old->json);
        old->json = json;
    } else {
        struct sb_customer *c = xcalloc(1, sizeof *c);
        c->json = json;
        sb_vec_push(&st->customers, c);
    }
    cJSON *out = cJSON_Duplicate(json, 1);
    sb_state_unlock();
    free(masked);
    free(default_pg_id);
    reply_json(rep, 200, out);
}

void sb_ctl_decline(struct request *req, struct reply *rep)
{
    char msg[SB_MSG_LEN];
    const char *uid, *reason;
    int64_t count = 1;

    if (sb_field_str(req->body, "customer_uid", NULL, 1, 80, &uid, msg) != 0 ||
        sb_field_int(req->body, "count", NULL, 0, 0, 1000000, &count, NULL, msg) != 0 ||
        sb_field_str(req->body, "reason", NULL, 0, 200, &reason, msg) != 0) {
        sb_control_error(rep, 400, "%s", msg);
        return;
    }
    struct sb_state *st = sb_state_lock();
    struct sb_decline *d = NULL;
    for (size_t i = 0; i < st->declines.len && !d; i++) {
        struct sb_decline *cand = st->declines.items[i];
        if (strcmp(cand->customer_uid, uid) == 0)
            d = cand;
    }
    if (!d) {
        d = xcalloc(1, sizeof *d);
        d->customer_uid = xstrdup(uid);
        sb_vec_push(&st->declines, d);
    }
    free(d->reason);
    d->reason = xstrdup(reason ? reason : "잔액부족");
    d->remaining = count;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "customer_uid", d->customer_uid);
    cJSON_AddNumberToObject(out, "remaining", (double)d->remaining);
    cJSON_AddStringToObject(out, "reason", d->reason);
    sb_state_unlock();
    reply_json(rep, 200, out);
}

static cJSON *faults_json(const struct sb_state *st)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(root, "faults");
    for (size_t i = 0; i < st->faults.len; i++) {
        const struct sb_fault *f = st->faults.items[i];
        cJSON *o = cJSON_CreateObject();
        sb_jset_str(o, "method", f->method);
        sb_jset_str(o, "path", f->path);
        sb_jset_str(o, "kind", fault_kind_names[f->kind]);
        sb_jset_int(o, "delay_ms", f->delay_ms);
        sb_jset_int(o, "count", f->remaining);
        sb_jset_bool(o, "after_processing", f->after_processing);
        cJSON_AddItemToArray(list, o);
    }
    return root;
}

void sb_ctl_faults_add(struct request *req, struct reply *rep)
{
    char msg[SB_MSG_LEN];
    const char *method, *path, *kind;
    int64_t delay_ms = -1, count = 1;
    int after = 0;
    size_t k = 0;

    if (sb_field_str(req->body, "method", NULL, 0, 16, &method, msg) != 0 ||
        sb_field_str(req->body, "path", NULL, 1, 1000, &path, msg) != 0 ||
        sb_field_str(req->body, "kind", NULL, 1, 16, &kind, msg) != 0 ||
        sb_field_int(req->body, "delay_ms", NULL, 0, 0, MAX_FAULT_DELAY_MS, &delay_ms, NULL, msg) !=
            0 ||
        sb_field_int(req->body, "count", NULL, 0, 1, 1000000, &count, NULL, msg) != 0 ||
        sb_field_bool(req->body, "after_processing", NULL, &after, msg) != 0) {
        sb_control_error(rep, 400, "%s", msg);
        return;
    }
    while (k < sizeof fault_kind_names / sizeof fault_kind_names[0] &&
           strcmp(fault_kind_names[k], kind) != 0)
        k++;
    if (k == sizeof fault_kind_names / sizeof fault_kind_names[0]) {
        sb_control_error(rep, 400,
                         "unknown fault kind '%s' (latency, http500, drop, hang, bad_json)", kind);
        return;
    }
    if (path[0] != '/' || strncmp(path, "/__sandbox/", 11) == 0) {
        sb_control_error(rep, 400,
                         "fault path '%s' must start with '/' and not be under /__sandbox/", path);
        return;
    }
    struct sb_fault *f = xcalloc(1, sizeof *f);
    f->method = method ? xstrdup(method) : NULL;
    f->path = xstrdup(path);
    f->kind = (enum sb_fault_kind)k;
    f->delay_ms = delay_ms >= 0 ? delay_ms : (f->kind == SB_FAULT_HANG ? 60000 : 0);
    f->remaining = count;
    f->after_processing = after;
    struct sb_state *st = sb_state_lock();
    sb_vec_push(&st->faults, f);
    cJSON *out = faults_json(st);
    sb_state_unlock();
    reply_json(rep, 200, out);
}

void sb_ctl_faults_list(struct request *req, struct reply *rep)
{
    (void)req;
    struct sb_state *st = sb_state_lock();
    cJSON *out = faults_json(st);
    sb_state_unlock();
    reply_json(rep, 200, out);
}

void sb_ctl_faults_clear(struct request *req, struct reply *rep)
{
    (void)req;
    struct sb_state *st = sb_state_lock();
    sb_faults_clear(st);
    cJSON *out = faults_json(st);
    sb_state_unlock();
    reply_json(rep, 200, out);
}

void sb_ctl_tokens_expire(struct request *req, struct reply *rep)
{
    (void)req;
    struct sb_state *st = sb_state_lock();
    int64_t now = sb_now(st);
    for (size_t i = 0; i < st->tokens.len; i++) {
        struct sb_token *t = st->tokens.items[i];
        if (t->expires_at > now)
            t->expires_at = now;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "expired", (double)st->tokens.len);
    sb_state_unlock();
    reply_json(rep, 200, out);
}

void sb_ctl_tokens(struct request *req, struct reply *rep)
{
    (void)req;
    struct sb_state *st = sb_state_lock();
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "issued", (double)st->tokens.len);
    cJSON_AddNumberToObject(out, "calls", (double)st->token_calls);
    sb_state_unlock();
    reply_json(rep, 200, out);
}

void sb_ctl_clock(struct request *req, struct reply *rep)
{
    char msg[SB_MSG_LEN];
    int64_t advance = 0;
    if (strcmp(req->method, "POST") == 0 &&
        sb_field_int(req->body, "advance_seconds", NULL, 1, -INT64_C(3153600000),
                     INT64_C(3153600000), &advance, NULL, msg) != 0) {
        sb_control_error(rep, 400, "%s", msg);
        return;
    }
    struct sb_state *st = sb_state_lock();
    st->clock_offset += advance;
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "now", (double)sb_now(st));
    cJSON_AddNumberToObject(out, "offset", (double)st->clock_offset);
    sb_state_unlock();
    reply_json(rep, 200, out);
}
