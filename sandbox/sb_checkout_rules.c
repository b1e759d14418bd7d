/* Checkout rules per PG (pg-matrix.md): pg values, pay_method, amounts, redirects. */
#include "sandbox/sb_checkout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "sandbox/sb_fields.h"
#include "sandbox/sb_util.h"
#include "sandbox/sb_webhook.h"

#define MSG_DUPLICATE_ORDER                                                                        \
    "이미 주문이 이루어진 건입니다. (동일한 merchant_uid로 결제 또는 취소된 기록이 있습니다)"

/* pg values the sandbox knows: provider, whether "provider.X" (a MID / CID / key) is allowed. */
static const struct {
    const char *provider;
    int takes_id;
} known_pgs[] = {
    {"payco", 0}, {"kakaopay", 1}, {"kicc", 1}, {"chai", 1}, {"naverpay", 0},
};

/* Splits pg into provider and id; returns 0 when it is one of known_pgs. */
static int split_pg(const char *pg, char *provider, size_t plen, char *id, size_t idlen)
{
    const char *dot = strchr(pg, '.');
    size_t n = dot ? (size_t)(dot - pg) : strlen(pg);
    provider[0] = id[0] = '\0';
    if (n >= plen)
        return -1;
    memcpy(provider, pg, n);
    provider[n] = '\0';
    for (size_t i = 0; i < sizeof known_pgs / sizeof known_pgs[0]; i++) {
        if (strcmp(known_pgs[i].provider, provider) != 0)
            continue;
        if (!dot)
            return 0;
        if (!known_pgs[i].takes_id || !dot[1] || strlen(dot + 1) >= idlen)
            return -1;
        snprintf(id, idlen, "%s", dot + 1);
        return 0;
    }
    return -1;
}

static const char *param_str(const struct sb_checkout *co, const char *key)
{
    return sb_jstr(co->params, key);
}

static enum sb_checkout_mode mode_for(const struct sb_checkout *co)
{
    const char *redirect = param_str(co, "m_redirect_url");
    const cJSON *popup = cJSON_GetObjectItemCaseSensitive(co->params, "naverPopupMode");
    if (strcmp(co->provider, "chai") == 0)
        return SB_CHECKOUT_REDIRECT;
    if (strcmp(co->provider, "kicc") == 0 && co->mobile && redirect && *redirect)
        return SB_CHECKOUT_REDIRECT;
    if (strcmp(co->provider, "naverpay") == 0 && cJSON_IsFalse(popup))
        return SB_CHECKOUT_REDIRECT;
    return SB_CHECKOUT_CALLBACK;
}

/* "http://host:port" or "https://host[:port]" with nothing after: a postMessage target. */
static int valid_origin(const char *origin)
{
    const char *rest = strncmp(origin, "http://", 7) == 0    ? origin + 7
                       : strncmp(origin, "https://", 8) == 0 ? origin + 8
                                                             : NULL;
    if (!rest || !*rest)
        return 0;
    return strspn(rest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") ==
           strlen(rest);
}

int sb_checkout_parse(const char *params_json, const char *mobile, const char *origin,
                      const char *imp_code, struct sb_checkout *co, char *msg)
{
    int rc = 0;
    memset(co, 0, sizeof *co);
    co->mobile = mobile && strcmp(mobile, "1") == 0;
    co->origin = origin && valid_origin(origin) ? xstrdup(origin) : NULL;
    co->imp_code = imp_code && *imp_code ? xstrdup(imp_code) : NULL;
    if (params_json)
        co->params = cJSON_Parse(params_json);
    if (!cJSON_IsObject(co->params)) {
        cJSON_Delete(co->params);
        co->params = cJSON_CreateObject();
        snprintf(msg, SB_MSG_LEN, "결제 파라미터(params)는 JSON 객체여야 합니다.");
        rc = -1;
    }
    const char *pg = param_str(co, "pg");
    if (pg && split_pg(pg, co->provider, sizeof co->provider, co->pg_id, sizeof co->pg_id) != 0)
        co->provider[0] = co->pg_id[0] = '\0';
    co->mode = mode_for(co);
    return rc;
}

void sb_checkout_release(struct sb_checkout *co)
{
    cJSON_Delete(co->params);
    free(co->origin);
    free(co->imp_code);
    memset(co, 0, sizeof *co);
}

static int check_pay_method(const struct sb_checkout *co, char *msg)
{
    const char *pay_method = param_str(co, "pay_method");
    const char *effective = pay_method && *pay_method ? pay_method : "card";
    if (strcmp(co->provider, "kicc") == 0 && strcmp(effective, "card") != 0) {
        snprintf(msg, SB_MSG_LEN,
                 "KICC 빌링키 발급은 pay_method 'card' 만 지원합니다. (요청: '%s')", effective);
        return -1;
    }
    if (strcmp(co->provider, "chai") == 0 && strcmp(effective, "trans") != 0) {
        snprintf(msg, SB_MSG_LEN,
                 "CHAI 빌링키 발급은 pay_method 'trans' 만 지원합니다. (요청: '%s')", effective);
        return -1;
    }
    return 0;
}

/* m_redirect_url, when given, must be an http(s) URL on loopback (the sandbox never sends a
 * browser elsewhere); a redirect-mode checkout needs one. */
static int check_redirect(const struct sb_checkout *co, char *msg)
{
    const char *url = NULL;
    if (sb_field_str(co->params, "m_redirect_url", NULL, 0, 2000, &url, msg) != 0)
        return -1;
    if (url && !sb_url_is_loopback(url)) {
        snprintf(msg, SB_MSG_LEN, "m_redirect_url 은 loopback 의 http(s) URL 이어야 합니다: '%s'",
                 url);
        return -1;
    }
    if (co->mode == SB_CHECKOUT_REDIRECT && !url) {
        snprintf(msg, SB_MSG_LEN,
                 "파라미터 누락: m_redirect_url (%s 는 리디렉션 방식으로 진행됩니다)",
                 co->provider);
        return -1;
    }
    return 0;
}

int sb_checkout_validate(struct sb_state *st, struct sb_checkout *co, char *msg)
{
    const char *pg = NULL, *customer_uid, *merchant_uid, *name, *buyer_tel;
    int64_t amount = 0;

    if (sb_field_str(co->params, "pg", NULL, 1, 80, &pg, msg) != 0)
        return -1;
    if (!co->provider[0]) {
        snprintf(msg, SB_MSG_LEN,
                 "지원하지 않는 pg 입니다: '%s' (payco, kakaopay[.CID], kicc[.MID], chai[.key], "
                 "naverpay)",
                 pg);
        return -1;
    }
    if (check_pay_method(co, msg) != 0)
        return -1;
    if (sb_field_str(co->params, "customer_uid", NULL, 1, 80, &customer_uid, msg) != 0 ||
        sb_field_str(co->params, "merchant_uid", NULL, 1, 40, &merchant_uid, msg) != 0 ||
        sb_field_str(co->params, "name", NULL, 0, 40, &name, msg) != 0 ||
        sb_field_int(co->params, "amount", NULL, 1, 0, SB_MAX_AMOUNT, &amount, NULL, msg) != 0)
        return -1;
    if (strcmp(co->provider, "naverpay") == 0 &&
        sb_field_str(co->params, "buyer_tel", NULL, 1, 16, &buyer_tel, msg) != 0)
        return -1;
    if (check_redirect(co, msg) != 0)
        return -1;
    if (sb_merchant_uid_used(st, merchant_uid)) {
        snprintf(msg, SB_MSG_LEN, "%s", MSG_DUPLICATE_ORDER);
        return -1;
    }
    const struct sb_prepare *prep = sb_find_prepare(st, merchant_uid);
    if (prep && prep->amount != amount) {
        snprintf(msg, SB_MSG_LEN,
                 "사전등록된 결제금액(%lld)과 요청 결제금액(%lld)이 일치하지 않습니다.",
                 (long long)prep->amount, (long long)amount);
        return -1;
    }
    co->amount = amount;
    return 0;
}

cJSON *sb_checkout_rsp(const struct sb_checkout *co, const cJSON *payment, int success,
                       const char *error_code, const char *error_msg)
{
    static const char *const copied[] = {
        "pay_method",  "name",       "pg_provider",    "pg_tid",      "buyer_name",   "buyer_email",
        "buyer_tel",   "buyer_addr", "buyer_postcode", "custom_data", "receipt_url",  "card_name",
        "card_number", "currency",   "apply_num",      "status",      "customer_uid", NULL};
    cJSON *rsp = cJSON_CreateObject();
    sb_jset_bool(rsp, "success", success);
    sb_jset_bool(rsp, "imp_success", success);
    sb_jset_str(rsp, "error_code", success ? NULL : error_code);
    sb_jset_str(rsp, "error_msg", success ? NULL : error_msg);
    sb_jset_str(rsp, "imp_uid", payment ? sb_jstr(payment, "imp_uid") : NULL);
    sb_jset_str(rsp, "merchant_uid", sb_jstr(co->params, "merchant_uid"));
    for (size_t i = 0; copied[i]; i++)
        sb_jset_str(rsp, copied[i], payment ? sb_jstr(payment, copied[i]) : NULL);
    sb_jset_int(rsp, "paid_amount", payment && success ? sb_jint(payment, "amount") : 0);
    sb_jset_int(rsp, "paid_at", payment ? sb_jint(payment, "paid_at") : 0);
    sb_jset_str(rsp, "emb_pg_provider", NULL);
    sb_jset_str(rsp, "pg_type", "payment");
    return rsp;
}
