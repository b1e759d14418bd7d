/* Checkout actions: Approve issues the key (+ KakaoPay first charge); Decline cancels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "sandbox/sb_charge.h"
#include "sandbox/sb_checkout.h"
#include "sandbox/sb_fields.h"
#include "sandbox/sb_handlers.h"
#include "sandbox/sb_models.h"
#include "sandbox/sb_state.h"
#include "sandbox/sb_util.h"
#include "sandbox/sb_webhook.h"

#define DEFAULT_CARD_NAME "신한카드"
#define DEFAULT_CARD_NUMBER "4092-12**-****-1234"

static int parse_posted(struct request *req, struct sb_checkout *co, char *msg)
{
    return sb_checkout_parse(sb_jstr(req->body, "params"), sb_jstr(req->body, "mobile"),
                             sb_jstr(req->body, "origin"), sb_jstr(req->body, "code"), co, msg);
}

/* The Customer the window would register (not yet stored). Caller frees with sb_customer_free. */
static struct sb_customer *new_customer(struct sb_state *st, const struct sb_checkout *co)
{
    char *default_pg_id = xasprintf("sandbox_%s", co->provider);
    struct sb_customer *c = xcalloc(1, sizeof *c);
    c->json = sb_customer_json_new(
        sb_jstr(co->params, "customer_uid"), co->provider, co->pg_id[0] ? co->pg_id : default_pg_id,
        DEFAULT_CARD_NAME, DEFAULT_CARD_NUMBER, sb_jstr(co->params, "customer_id"), sb_now(st));
    for (size_t i = 0; sb_buyer_fields[i]; i++)
        sb_jset_str(c->json, sb_customer_buyer_fields[i], sb_jstr(co->params, sb_buyer_fields[i]));
    free(default_pg_id);
    return c;
}

/* Stores c (taken), replacing the key of the same customer_uid (keeping its `inserted`). */
static void commit_customer(struct sb_state *st, struct sb_customer *c)
{
    struct sb_customer *old = sb_find_customer(st, sb_jstr(c->json, "customer_uid"));
    if (!old) {
        sb_vec_push(&st->customers, c);
        return;
    }
    sb_jset_int(c->json, "inserted", sb_jint(old->json, "inserted"));
    cJSON_Delete(old->json);
    old->json = c->json;
    c->json = NULL;
    sb_customer_free(c);
}

/* notice_url is a string or an array of strings; the first one is used. */
static const char *notice_url(const cJSON *params)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(params, "notice_url");
    if (cJSON_IsArray(n))
        n = cJSON_GetArrayItem(n, 0);
    return cJSON_IsString(n) && n->valuestring[0] ? n->valuestring : NULL;
}

void sb_checkout_approve(struct request *req, struct reply *rep)
{
    struct sb_checkout co;
    char msg[SB_MSG_LEN];
    cJSON *rsp;

    int rc = parse_posted(req, &co, msg);
    struct sb_state *st = sb_state_lock();
    if (rc == 0)
        rc = sb_checkout_validate(st, &co, msg);
    if (rc != 0) {
        sb_state_unlock();
        sb_checkout_deliver(&co, sb_checkout_rsp(&co, NULL, 0, SB_CHECKOUT_E_INVALID, msg), rep);
        goto out;
    }
    const char *configured = sb_jstr(st->cfg.issue_status, co.provider);
    /* issue_ready_without_key: the buyer left the window before authorising; iamport keeps the
     * payment "ready" and has no billing key */
    int no_key = st->cfg.issue_ready_without_key && configured && strcmp(configured, "ready") == 0;
    const char *pay_method = sb_jstr(co.params, "pay_method");
    char *custom_data = sb_field_custom_data(co.params, "custom_data");
    int real_charge = strcmp(co.provider, "kakaopay") == 0 && co.amount > 0;
    struct sb_customer *c = new_customer(st, &co);
    struct sb_charge_request rq = {
        .merchant_uid = sb_jstr(co.params, "merchant_uid"),
        .amount = co.amount,
        .name = sb_jstr(co.params, "name"),
        .currency = sb_jstr(co.params, "currency"),
        .usage = "issue",
        .channel = co.mobile ? "mobile" : "pc",
        .buyer = co.params,
        .custom_data = custom_data,
        .notice_url = notice_url(co.params),
        .real_charge = real_charge,
        .fixed_status = configured ? configured : "paid",
        .pay_method = pay_method && *pay_method          ? pay_method
                      : strcmp(co.provider, "chai") == 0 ? "trans"
                                                         : "card",
        .user_agent = request_header(req, "User-Agent"),
    };
    struct sb_payment *p = sb_charge(st, c, &rq);
    const char *status = sb_jstr(p->json, "status");
    int issued = strcmp(status, "failed") != 0 && !no_key;
    if (issued)
        commit_customer(st, c); /* the key exists only when the window succeeded */
    else
        sb_customer_free(c);
    int wait_for_webhook = 0;
    if (strcmp(status, "paid") == 0) {
        sb_webhook_for_payment(st, p, NULL, NULL, st->cfg.issue_webhook_delay_ms);
        wait_for_webhook = st->cfg.issue_webhook_before_result;
    }
    if (no_key)
        rsp = sb_checkout_rsp(&co, p->json, 0, SB_CHECKOUT_E_USER_CANCEL,
                              SB_CHECKOUT_USER_CANCEL_MSG);
    else
        rsp = sb_checkout_rsp(&co, p->json, issued,
                              real_charge ? SB_CHECKOUT_E_DECLINED : SB_CHECKOUT_E_ISSUE_FAILED,
                              sb_jstr(p->json, "fail_reason"));
    sb_state_unlock();
    free(custom_data);
    if (wait_for_webhook && sb_webhook_wait_idle(SB_WEBHOOK_WAIT_MS) != 0)
        fprintf(stderr, "iamport-sandbox: issuance webhook still pending after %d ms\n",
                SB_WEBHOOK_WAIT_MS);
    sb_checkout_deliver(&co, rsp, rep);
out:
    sb_checkout_release(&co);
}

void sb_checkout_decline(struct request *req, struct reply *rep)
{
    struct sb_checkout co;
    char msg[SB_MSG_LEN];
    parse_posted(req, &co, msg);
    sb_checkout_deliver(
        &co, sb_checkout_rsp(&co, NULL, 0, SB_CHECKOUT_E_USER_CANCEL, SB_CHECKOUT_USER_CANCEL_MSG),
        rep);
    sb_checkout_release(&co);
}
