/* One charge's fields (again's body, or one schedules[] item), read and checked before iamport is called. */
#ifndef BILLKEY_CHARGE_FIELDS_H
#define BILLKEY_CHARGE_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct clock;

/* iamport's limits (reference §9); NAME is in characters, the rest in bytes. */
#define CHARGE_MERCHANT_UID_MAX 40
#define CHARGE_CUSTOMER_UID_MAX 80
#define CHARGE_NAME_MAX 40
#define CHARGE_BUYER_NAME_MAX 16
#define CHARGE_BUYER_EMAIL_MAX 64
#define CHARGE_BUYER_TEL_MAX 16
#define CHARGE_BUYER_ADDR_MAX 128
#define CHARGE_BUYER_POSTCODE_MAX 8
#define CHARGE_CUSTOM_DATA_MAX 2048
#define CHARGE_NOTICE_URL_MAX 512
/* A schedule_at above this is taken for milliseconds (it would be after the year 5138). */
#define CHARGE_SCHEDULE_AT_SECONDS_MAX INT64_C(99999999999)

/* Room for a refusal message (Korean, naming the field). */
#define CHARGE_MESSAGE_SIZE 256

/* What a charge may be. Borrowed; clock NULL is the system clock. */
struct charge_limits {
    int64_t amount_max; /* CHARGE_AMOUNT_MAX */
    const struct clock *clock;
    int with_schedule_at; /* a schedules[] item: schedule_at required, in seconds, future */
};

/* A checked charge. Every string is borrowed from the JSON object it was read from (valid while
 * it lives); NULL when the optional field is absent. */
struct charge_fields {
    const char *merchant_uid;
    int64_t amount;   /* 1..amount_max won */
    int64_t tax_free; /* 0..amount, 0 when absent */
    const char *name; /* at most CHARGE_NAME_MAX characters */
    const char *buyer_name;
    const char *buyer_email;
    const char *buyer_tel;
    const char *buyer_addr;
    const char *buyer_postcode;
    const char *custom_data;
    const char *notice_url;
    int64_t schedule_at;       /* UNIX seconds; 0 unless limits->with_schedule_at */
    const char *naver_use_cfm; /* extra.naverUseCfm ("yyyyMMdd") */
    const cJSON *extra;        /* the extra object as given, or NULL */
};

/* 1 when s is 1..CHARGE_MERCHANT_UID_MAX of [A-Za-z0-9_.:-] (safe in URLs, paths and logs). */
int charge_merchant_uid_valid(const char *s);

/* 1 when s is 1..CHARGE_CUSTOMER_UID_MAX printable ASCII characters without spaces or '/'. */
int charge_customer_uid_valid(const char *s);

/* 1 when s is a yyyyMMdd calendar date not before `earliest` (also yyyyMMdd). */
int charge_naver_use_cfm_valid(const char *s, const char *earliest);

/* Reads the charge at obj (an again body, or schedules[i]) into *out (zeroed first). `prefix`
 * names obj's fields in messages: "" gives "amount", "schedules[0]" gives
 * "schedules[0][amount]". Returns 0, or -1 with `message` (CHARGE_MESSAGE_SIZE bytes, the
 * caller's) saying which field is wrong and why, in iamport's style: "파라미터 누락: amount"
 * when a required field is absent. merchant_uid and amount are required; extra.naverUseCfm, when
 * given, must be the charge's Korean date or later (today for again, schedule_at's date for a
 * schedule). A NaverPay charge without it is completed by charge_extra_sent() when
 * NAVERPAY_USE_CFM says the contract requires it. */
int charge_fields_read(const cJSON *obj, const char *prefix, const struct charge_limits *limits,
                       struct charge_fields *out, char *message);

/* extra as billkey sends it to iamport: f->extra copied, plus NaverPay's naverUseCfm (the Korean
 * date of `day`) when pg_provider is "naverpay", f had none and `fill_use_cfm` (NAVERPAY_USE_CFM:
 * the contract requires it). Caller deletes; NULL when there is nothing to send. */
cJSON *charge_extra_sent(const struct charge_fields *f, const char *pg_provider, int fill_use_cfm,
                         const struct clock *day);

#endif
