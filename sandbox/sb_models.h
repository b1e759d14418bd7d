/* Builders for the objects the sandbox serves: Payment, Schedule, Customer (all fields). */
#ifndef BILLKEY_SB_MODELS_H
#define BILLKEY_SB_MODELS_H

#include <stdint.h>
#include <cjson/cJSON.h>

/* All builders return a new object the caller owns. */

/* A Payment with every field of iamport-api.md §4: strings null, timestamps 0, histories [],
 * status "ready", amount 0, currency "KRW", started_at = now. */
cJSON *sb_payment_json_new(const char *imp_uid, const char *merchant_uid, int64_t now);

/* A Schedule in status "scheduled": imp_uid null, payment_status null, executed_at/revoked_at 0. */
cJSON *sb_schedule_json_new(const char *customer_uid, const char *merchant_uid,
                            int64_t schedule_at);

/* A Customer (billing key) with inserted = updated = now; card_number masked as given. */
cJSON *sb_customer_json_new(const char *customer_uid, const char *pg_provider, const char *pg_id,
                            const char *card_name, const char *card_number, const char *customer_id,
                            int64_t now);

/* The buyer_* field names (NULL-terminated), shared by Payment and Schedule. */
extern const char *const sb_buyer_fields[];
/* Customer field (customer_name, ...) that a buyer_* field falls back to. Index-aligned. */
extern const char *const sb_customer_buyer_fields[];

#endif
