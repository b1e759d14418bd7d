/* Checkout creation: a pending registration, its generated ids and the exact IMP.request_pay object. */
#ifndef BILLKEY_CHECKOUT_H
#define BILLKEY_CHECKOUT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "server/core/ids.h"

struct billing_env;
struct pg_profile;

/* Limits of the checkout fields, in characters (iamport's limits where it has one). */
#define CHECKOUT_CUSTOMER_ID_MAX 64
#define CHECKOUT_NAME_MAX 40
#define CHECKOUT_BUYER_NAME_MAX 16
#define CHECKOUT_BUYER_EMAIL_MAX 64
#define CHECKOUT_BUYER_TEL_MAX 16
#define CHECKOUT_AMOUNT_MAX INT64_C(100000000) /* 1억 won */
#define CHECKOUT_CHARGE_NOW_AMOUNT_MIN 100     /* won */
#define CHECKOUT_NAVER_PRODUCT_CODE_MAX 50

/* A validated checkout request; strings are borrowed (NULL = not given). */
struct checkout_request {
    const struct pg_profile *profile;
    const char *customer_id;
    const char *name;
    int64_t amount; /* the price, 0..CHECKOUT_AMOUNT_MAX */
    int charge_now;
    const char *buyer_name;
    const char *buyer_email;
    const char *buyer_tel;
    int naver_popup;                /* NaverPay: 1 popup (callback), 0 page redirect */
    const char *naver_product_code; /* NaverPay: NULL = NAVERPAY_PRODUCT_CODE */
};

enum checkout_status {
    CHECKOUT_OK = 0,
    CHECKOUT_IAMPORT_UNAVAILABLE, /* POST /payments/prepare failed: nothing was stored */
    CHECKOUT_IAMPORT_TIMEOUT,     /* prepare timed out: nothing was stored */
    CHECKOUT_DB_UNAVAILABLE,
    CHECKOUT_INTERNAL,
    CHECKOUT_IAMPORT_BUSY, /* IAMPORT_MAX_CONCURRENT calls in flight: nothing sent or stored */
};

struct checkout_result {
    char merchant_uid[IDS_MERCHANT_UID_LEN + 1];
    char customer_uid[IDS_CUSTOMER_UID_MAX + 1];
    cJSON *request_pay; /* owned; NULL unless CHECKOUT_OK */
    char message[512];  /* what failed, when not CHECKOUT_OK */
};

void checkout_result_release(struct checkout_result *r);

/* Creates a checkout: generates merchant_uid and customer_uid, and when the window itself
 * charges (KakaoPay + charge_now) registers the expected amount with POST /payments/prepare
 * first (a failure stores nothing). Then one transaction stores the pending registration, the
 * KakaoPay charge_now 'issue' ledger row (status 'requested', before the window can charge) and
 * the audit rows (actor `actor`, created_by `created_by`). *out is zeroed first; release it in
 * every case. */
enum checkout_status checkout_create(const struct billing_env *env,
                                     const struct checkout_request *rq, const char *created_by,
                                     const char *actor, const char *request_id,
                                     struct checkout_result *out);

#endif
