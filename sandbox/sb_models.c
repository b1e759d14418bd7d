/* Builders for the objects the sandbox serves: Payment, Schedule, Customer (all fields). */
#include "sandbox/sb_models.h"

#include <stdio.h>
#include <stdlib.h>

#include "sandbox/sb_util.h"

const char *const sb_buyer_fields[] = {"buyer_name", "buyer_email",    "buyer_tel",
                                       "buyer_addr", "buyer_postcode", NULL};
const char *const sb_customer_buyer_fields[] = {
    "customer_name", "customer_email", "customer_tel", "customer_addr", "customer_postcode", NULL};

static const char *const payment_null_strings[] = {"pay_method",
                                                   "channel",
                                                   "pg_provider",
                                                   "emb_pg_provider",
                                                   "pg_tid",
                                                   "pg_id",
                                                   "apply_num",
                                                   "bank_code",
                                                   "bank_name",
                                                   "card_code",
                                                   "card_name",
                                                   "card_number",
                                                   "card_issuer_code",
                                                   "card_issuer_name",
                                                   "card_publisher_code",
                                                   "card_publisher_name",
                                                   "vbank_code",
                                                   "vbank_name",
                                                   "vbank_num",
                                                   "vbank_holder",
                                                   "name",
                                                   "buyer_name",
                                                   "buyer_email",
                                                   "buyer_tel",
                                                   "buyer_addr",
                                                   "buyer_postcode",
                                                   "custom_data",
                                                   "user_agent",
                                                   "fail_reason",
                                                   "cancel_reason",
                                                   "receipt_url",
                                                   "customer_uid",
                                                   "customer_uid_usage",
                                                   NULL};

static const char *const payment_zero_ints[] = {"card_quota", "vbank_date",    "vbank_issued_at",
                                                "amount",     "cancel_amount", "paid_at",
                                                "failed_at",  "cancelled_at",  NULL};

cJSON *sb_payment_json_new(const char *imp_uid, const char *merchant_uid, int64_t now)
{
    cJSON *p = cJSON_CreateObject();
    sb_jset_str(p, "imp_uid", imp_uid);
    sb_jset_str(p, "merchant_uid", merchant_uid);
    for (size_t i = 0; payment_null_strings[i]; i++)
        sb_jset_str(p, payment_null_strings[i], NULL);
    for (size_t i = 0; payment_zero_ints[i]; i++)
        sb_jset_int(p, payment_zero_ints[i], 0);
    sb_jset(p, "card_type", cJSON_CreateNull());
    sb_jset_str(p, "currency", "KRW");
    sb_jset_str(p, "status", "ready");
    sb_jset_int(p, "started_at", now);
    sb_jset_bool(p, "escrow", 0);
    sb_jset_bool(p, "sandbox", 0);
    sb_jset_bool(p, "cash_receipt_issued", 0);
    sb_jset(p, "cancel_history", cJSON_CreateArray());
    sb_jset(p, "cancel_receipt_urls", cJSON_CreateArray());
    sb_jset(p, "deposit_history", cJSON_CreateArray());
    sb_jset(p, "promotion", cJSON_CreateNull());
    return p;
}

cJSON *sb_schedule_json_new(const char *customer_uid, const char *merchant_uid, int64_t schedule_at)
{
    static const char *const null_strings[] = {
        "imp_uid",     "pg_provider",    "pg_id",       "customer_id",  "name",
        "buyer_name",  "buyer_email",    "buyer_tel",   "buyer_addr",   "buyer_postcode",
        "custom_data", "payment_status", "fail_reason", "promotion_id", NULL};
    cJSON *s = cJSON_CreateObject();
    sb_jset_str(s, "customer_uid", customer_uid);
    sb_jset_str(s, "merchant_uid", merchant_uid);
    for (size_t i = 0; null_strings[i]; i++)
        sb_jset_str(s, null_strings[i], NULL);
    sb_jset_int(s, "schedule_at", schedule_at);
    sb_jset_int(s, "executed_at", 0);
    sb_jset_int(s, "revoked_at", 0);
    sb_jset_int(s, "amount", 0);
    sb_jset_str(s, "currency", "KRW");
    sb_jset_str(s, "schedule_status", "scheduled");
    return s;
}

cJSON *sb_customer_json_new(const char *customer_uid, const char *pg_provider, const char *pg_id,
                            const char *card_name, const char *card_number, const char *customer_id,
                            int64_t now)
{
    static const char *const null_strings[] = {"card_code",
                                               "card_issuer_code",
                                               "card_issuer_name",
                                               "card_publisher_code",
                                               "card_publisher_name",
                                               "customer_name",
                                               "customer_tel",
                                               "customer_email",
                                               "customer_addr",
                                               "customer_postcode",
                                               NULL};
    cJSON *c = cJSON_CreateObject();
    sb_jset_str(c, "customer_uid", customer_uid);
    sb_jset_str(c, "pg_provider", pg_provider);
    sb_jset_str(c, "pg_id", pg_id);
    sb_jset_str(c, "customer_id", customer_id);
    sb_jset_str(c, "card_name", card_name);
    sb_jset_str(c, "card_number", card_number);
    sb_jset(c, "card_type", cJSON_CreateNumber(0));
    for (size_t i = 0; null_strings[i]; i++)
        sb_jset_str(c, null_strings[i], NULL);
    sb_jset_int(c, "inserted", now);
    sb_jset_int(c, "updated", now);
    sb_jset_bool(c, "sandbox", 0);
    return c;
}
