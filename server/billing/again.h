/* The merchant's charge of a billing key (POST /subscribe/payments/again) through the ledger. */
#ifndef BILLKEY_AGAIN_H
#define BILLKEY_AGAIN_H

#include <cjson/cJSON.h>

#include "server/billing/merchant_answer.h"

struct billing_env;

/* iamport's own messages (reference §1). */
#define AGAIN_MSG_UNKNOWN_CUSTOMER "등록되지 않은 구매자입니다."
#define AGAIN_MSG_DUPLICATE MERCHANT_MSG_DUPLICATE
/* billkey's: the charge's fate is not known; the row stays 'unknown'. */
#define AGAIN_MSG_OUTCOME_UNKNOWN                                                                                         \
    "결제 결과를 확인하지 못했습니다. 같은 merchant_uid로 다시 요청하면 안전합니다 (outcome " \
    "unknown: retry with the same merchant_uid is safe)"
/* billkey's: nothing reached iamport; the row is 'not_sent'. */
#define AGAIN_MSG_NOT_SENT                                                                                                    \
    "결제 요청을 아임포트에 보내지 못했습니다. 같은 merchant_uid로 다시 요청하면 안전합니다 " \
    "(not sent: retry with the same merchant_uid is safe)"

/* Charges a billing key once for the merchant whose API key is key_name (audit actor
 * "api:<key_name>"): body is iamport's again body (JSON or bracket form, parsed).
 * 1. charge_fields_read() and customer_uid: refusals are HTTP 200, code 1, the field's message;
 *    a customer_uid that is not an active billkey key: AGAIN_MSG_UNKNOWN_CUSTOMER.
 * 2. One transaction: the billing key, then the claim of the ledger row (kind 'again',
 *    'requested', request = the body sent) with its audit row. A merchant_uid seen before is
 *    AGAIN_MSG_DUPLICATE (code 1), unless its row is not_sent, unknown or a stale requested one
 *    with the same customer_uid and amount (re-claimed; a different customer_uid or amount is
 *    refused, code 1).
 * 3. charge_ledger_call() with no connection held; 4. charge_ledger_settle().
 * Answers: a Payment → 200 / 0 (paid or failed: a decline); iamport's refusal → its HTTP 200 /
 * code / message; unknown → 200 / -1 AGAIN_MSG_OUTCOME_UNKNOWN and not sent → 200 / -1
 * AGAIN_MSG_NOT_SENT, both with out->retry set (the merchant retries with the same
 * merchant_uid: never stored under an Idempotency-Key); database down before the claim →
 * 503 / -1. *out is zeroed first. */
void again_charge(const struct billing_env *env, const cJSON *body, const char *key_name,
                  const char *request_id, struct merchant_answer *out);

#endif
