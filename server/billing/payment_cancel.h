/* POST /payments/cancel for merchants: validation, the cancel at iamport, timeouts looked up, ledger and audit. */
#ifndef BILLKEY_PAYMENT_CANCEL_H
#define BILLKEY_PAYMENT_CANCEL_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "server/billing/billing_env.h"
#include "server/billing/merchant_answer.h"

#define PAYMENT_CANCEL_AMOUNT_MAX INT64_C(1000000000000) /* iamport's ceiling for amounts */
#define PAYMENT_CANCEL_IMP_UID_MAX 80                    /* characters */
#define PAYMENT_CANCEL_MERCHANT_UID_MAX 40               /* characters, as iamport */
#define PAYMENT_CANCEL_REASON_MAX 256                    /* characters */

/* Message when a cancel timed out and the payment, looked up again, does not show it. */
#define PAYMENT_CANCEL_UNKNOWN_MESSAGE                                                                                            \
    "취소 결과를 확인할 수 없습니다: iamport가 응답하지 않았고 다시 조회한 결제에 이번 취소가 " \
    "보이지 않습니다. 결제를 조회한 뒤 다시 시도하세요. (cancel outcome unknown: look the "                  \
    "payment up before retrying)"

/* A checked cancel request. Strings are borrowed from the body it was read from. */
struct payment_cancel_request {
    const char *imp_uid;      /* NULL when not given; wins over merchant_uid at iamport */
    const char *merchant_uid; /* NULL when not given */
    int64_t amount;           /* 0 = the whole refundable balance */
    int64_t tax_free;         /* 0 = not sent */
    int has_checksum;
    int64_t checksum;
    const char *reason; /* NULL when not given */
};

/* Reads {imp_uid | merchant_uid, amount?, tax_free?, checksum?, reason?} (JSON or bracket
 * form; other members are ignored). Returns 1, or 0 with billkey's refusal in *refusal (HTTP
 * 200, code 1, a message naming the field): an id missing, not a plain string or too long;
 * amount not an integer in 1..PAYMENT_CANCEL_AMOUNT_MAX; tax_free not in 0..amount; checksum
 * not in 0..PAYMENT_CANCEL_AMOUNT_MAX; reason not a plain string of at most
 * PAYMENT_CANCEL_REASON_MAX characters. */
int payment_cancel_parse(const cJSON *body, struct payment_cancel_request *out,
                         struct merchant_answer *refusal);

/* Cancels at iamport (never re-sent). A timeout or unreadable answer is settled by looking the
 * payment up: a cancel_amount grown since the lookup made before the call means it happened
 * (answered as a success), otherwise 200 / 1 PAYMENT_CANCEL_UNKNOWN_MESSAGE. The outcome
 * refreshes billkey's ledger row of the payment (cancelled only on a full cancel; cancel_amount
 * grows) and writes one audit_events row "payment.cancel" by actor with the amounts and
 * iamport's result, in one transaction after the call. *out: iamport's updated Payment, or
 * iamport's refusal with its HTTP status, code and message. */
void payment_cancel(const struct billing_env *env, const struct payment_cancel_request *req,
                    const char *actor, const char *request_id, struct merchant_answer *out);

#endif
