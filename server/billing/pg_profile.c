/* The per-PG capability table (PAYCO, KakaoPay, KICC, CHAI, NaverPay) and the IMP.request_pay builder. */
#include "server/billing/pg_profile.h"

#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"

#define LANDING_PATH "/payments/complete/mobile"

/* clang-format off */
static const struct pg_profile profiles[] = {
    {.provider = PG_PAYCO, .name = "payco", .label = "PAYCO", .pay_method = "card",
     .delivery = PG_RESULT_CALLBACK},
    {.provider = PG_KAKAOPAY, .name = "kakaopay", .label = "카카오페이", .pay_method = "card",
     .config_suffix = 1, .charges_at_issuance = 1, .ready_means_issued = 1,
     .delivery = PG_RESULT_CALLBACK},
    {.provider = PG_KICC, .name = "kicc", .label = "KICC", .pay_method = "card",
     .config_suffix = 1, .delivery = PG_RESULT_REDIRECT_ON_MOBILE},
    {.provider = PG_CHAI, .name = "chai", .label = "CHAI", .pay_method = "trans",
     .config_suffix = 1, .window_price_with_charge_only = 1, .delivery = PG_RESULT_REDIRECT_ALWAYS},
    {.provider = PG_NAVERPAY, .name = "naverpay", .label = "네이버페이", .pay_method = "card",
     .needs_buyer_tel = 1, .delivery = PG_RESULT_POPUP_OR_REDIRECT},
};
/* clang-format on */

size_t pg_profile_count(void)
{
    return sizeof profiles / sizeof profiles[0];
}

const struct pg_profile *pg_profile_at(size_t i)
{
    return i < pg_profile_count() ? &profiles[i] : NULL;
}

const struct pg_profile *pg_profile_find(const char *name)
{
    for (size_t i = 0; name && i < pg_profile_count(); i++)
        if (strcmp(profiles[i].name, name) == 0)
            return &profiles[i];
    return NULL;
}

const char *pg_profile_configured_id(const struct pg_profile *p, const struct pg_settings *settings)
{
    const char *id = NULL;
    if (!p->config_suffix)
        return "";
    switch (p->provider) {
    case PG_KAKAOPAY:
        id = settings->kakaopay_cid;
        break;
    case PG_KICC:
        id = settings->kicc_mid;
        break;
    case PG_CHAI:
        id = settings->chai_public_key;
        break;
    case PG_PAYCO:
    case PG_NAVERPAY:
        break;
    }
    return id ? id : "";
}

char *pg_profile_pg_string(const struct pg_profile *p, const struct pg_settings *settings)
{
    const char *id = pg_profile_configured_id(p, settings);
    return id[0] ? xasprintf("%s.%s", p->name, id) : xstrdup(p->name);
}

int64_t pg_profile_window_amount(const struct pg_profile *p, int64_t price, int charge_now)
{
    if (p->charges_at_issuance || p->window_price_with_charge_only)
        return charge_now ? price : 0;
    return price;
}

int pg_profile_charges_with_again(const struct pg_profile *p, int charge_now)
{
    return charge_now && !p->charges_at_issuance;
}

static void add_optional(cJSON *obj, const char *key, const char *value)
{
    if (value)
        cJSON_AddStringToObject(obj, key, value);
}

cJSON *pg_profile_request_pay(const struct pg_profile *p, const struct pg_settings *settings,
                              const struct pg_checkout *co)
{
    cJSON *rp = cJSON_CreateObject();
    char *pg = pg_profile_pg_string(p, settings);
    char *landing = xasprintf("%s%s", settings->public_base_url, LANDING_PATH);

    cJSON_AddStringToObject(rp, "pg", pg);
    cJSON_AddStringToObject(rp, "pay_method", p->pay_method);
    cJSON_AddStringToObject(rp, "merchant_uid", co->merchant_uid);
    cJSON_AddStringToObject(rp, "customer_uid", co->customer_uid);
    cJSON_AddStringToObject(rp, "name", co->name);
    cJSON_AddNumberToObject(rp, "amount",
                            (double)pg_profile_window_amount(p, co->price, co->charge_now));
    add_optional(rp, "buyer_name", co->buyer_name);
    add_optional(rp, "buyer_email", co->buyer_email);
    add_optional(rp, "buyer_tel", co->buyer_tel);
    cJSON_AddStringToObject(rp, "m_redirect_url", landing);
    if (p->provider == PG_NAVERPAY) {
        cJSON_AddBoolToObject(rp, "naverPopupMode", co->naver_popup ? 1 : 0);
        const char *code = co->naver_product_code            ? co->naver_product_code
                           : settings->naverpay_product_code ? settings->naverpay_product_code
                                                             : "";
        cJSON_AddStringToObject(rp, "naverProductCode", code);
        if (settings->naverpay_chain_id && settings->naverpay_chain_id[0])
            cJSON_AddStringToObject(rp, "naverChainId", settings->naverpay_chain_id);
    }
    free(pg);
    free(landing);
    return rp;
}
