/* The per-PG capability table (PAYCO, KakaoPay, KICC, CHAI, NaverPay) and the IMP.request_pay builder. */
#ifndef BILLKEY_PG_PROFILE_H
#define BILLKEY_PG_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

enum pg_provider { PG_PAYCO, PG_KAKAOPAY, PG_KICC, PG_CHAI, PG_NAVERPAY };

/* How the window's result reaches billkey (for documentation and the checkout page). */
enum pg_result_delivery {
    PG_RESULT_CALLBACK,           /* PAYCO, KakaoPay: the JS callback on PC and mobile */
    PG_RESULT_REDIRECT_ON_MOBILE, /* KICC: callback on PC, m_redirect_url on mobile */
    PG_RESULT_REDIRECT_ALWAYS,    /* CHAI: m_redirect_url on PC and mobile */
    PG_RESULT_POPUP_OR_REDIRECT, /* NaverPay: naverPopupMode true → callback, false → redirect */
};

/* What the deployment configures for the PGs; strings are borrowed ("" or NULL = not set). */
struct pg_settings {
    const char *kakaopay_cid;          /* PG_KAKAOPAY_CID */
    const char *kicc_mid;              /* PG_KICC_MID */
    const char *chai_public_key;       /* PG_CHAI_PUBLIC_KEY */
    const char *naverpay_product_code; /* NAVERPAY_PRODUCT_CODE */
    const char *naverpay_chain_id;     /* NAVERPAY_CHAIN_ID */
    const char *public_base_url;       /* PUBLIC_BASE_URL, no trailing '/' */
    /* NAVERPAY_USE_CFM: the contract requires extra.naverUseCfm, so billkey fills it in */
    int naverpay_use_cfm;
};

/* One row of the table. Static storage; never freed. */
struct pg_profile {
    enum pg_provider provider;
    const char *name;        /* "kakaopay": pg string prefix and iamport's pg_provider */
    const char *label;       /* shown on the checkout page */
    const char *pay_method;  /* "card" or "trans" */
    int config_suffix;       /* the pg string may carry ".<id>" from config */
    int charges_at_issuance; /* the window itself charges a non-zero amount (KakaoPay) */
    /* the window shows the price only when the first charge follows it, else 0 (CHAI: "to take
     * the first payment with issuance, set the amount so the window displays it") */
    int window_price_with_charge_only;
    int ready_means_issued; /* status "ready" is success when the window amount is 0 */
    int needs_buyer_tel;    /* buyer_tel is required (NaverPay) */
    enum pg_result_delivery delivery;
};

size_t pg_profile_count(void);
/* Row i (0 <= i < pg_profile_count()), or NULL. */
const struct pg_profile *pg_profile_at(size_t i);
/* The row whose name equals `name` exactly ("payco", ...), or NULL (also for NULL). */
const struct pg_profile *pg_profile_find(const char *name);

/* The exact pg string for IMP.request_pay: "kakaopay" or "kakaopay.<PG_KAKAOPAY_CID>",
 * "kicc[.<PG_KICC_MID>]", "chai[.<PG_CHAI_PUBLIC_KEY>]", "payco", "naverpay". Returns a new
 * string the caller frees. */
char *pg_profile_pg_string(const struct pg_profile *p, const struct pg_settings *settings);

/* The id configured for this PG (PG_KAKAOPAY_CID, PG_KICC_MID, PG_CHAI_PUBLIC_KEY), borrowed
 * from settings, or "" when none is (and always for PAYCO and NaverPay). */
const char *pg_profile_configured_id(const struct pg_profile *p,
                                     const struct pg_settings *settings);

/* What the window's `amount` is for this price: KakaoPay (charged) and CHAI (shown only) the
 * price when charge_now else 0, the others the price (shown only). */
int64_t pg_profile_window_amount(const struct pg_profile *p, int64_t price, int charge_now);

/* 1 when billkey must take the first payment itself with /subscribe/payments/again after the
 * key is issued (charge_now on every PG whose window does not charge: all but KakaoPay). */
int pg_profile_charges_with_again(const struct pg_profile *p, int charge_now);

/* What a checkout asks for; every string is borrowed. Optional strings are NULL when absent. */
struct pg_checkout {
    const char *merchant_uid;
    const char *customer_uid;
    const char *name;
    int64_t price;
    int charge_now;
    const char *buyer_name;
    const char *buyer_email;
    const char *buyer_tel;
    int naver_popup; /* NaverPay only: 1 popup (callback), 0 redirect */
    /* NaverPay only: this checkout's naverProductCode; NULL = NAVERPAY_PRODUCT_CODE */
    const char *naver_product_code;
};

/* The exact IMP.request_pay parameter object, members in this order: pg, pay_method,
 * merchant_uid, customer_uid, name, amount, buyer_name, buyer_email, buyer_tel (each only when
 * given), m_redirect_url (PUBLIC_BASE_URL + "/payments/complete/mobile"), and for NaverPay
 * naverPopupMode, naverProductCode (the checkout's, else NAVERPAY_PRODUCT_CODE) and
 * naverChainId (only when NAVERPAY_CHAIN_ID is set).
 * Returns a new object the caller deletes with cJSON_Delete. */
cJSON *pg_profile_request_pay(const struct pg_profile *p, const struct pg_settings *settings,
                              const struct pg_checkout *co);

#endif
