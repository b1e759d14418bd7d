/* What an iamport-compatible merchant call answers (HTTP status, iamport code, message, response) and who asks. */
#ifndef BILLKEY_MERCHANT_ANSWER_H
#define BILLKEY_MERCHANT_ANSWER_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "server/billing/billing_env.h"
#include "server/core/json_util.h"
#include "server/iamport/iamport.h"

/* Filled by every iamport-compatible merchant call (payment_lookup, payment_cancel,
 * customer_key, schedule_*, again); the handler turns it into iamport's envelope with
 * merchant_reply() (routes/merchant_reply.h). The domain decides the HTTP status too, because
 * iamport's clients read it (200 for business refusals, 404 for lookups). The caller owns it
 * (usually on the stack, zeroed) and releases it with merchant_answer_release(). */
struct merchant_answer {
    int http_status;   /* 200, or iamport's status for its own refusals */
    int code;          /* 0 success, 1 business refusal, -1 non-200 or not done */
    char message[768]; /* "" = null (success); room for again's messages naming two uids */
    cJSON *response;   /* owned; NULL = null (never NULL when code is 0) */
    int retry;         /* 1: "not done, retry" (outcome unknown, not sent): never stored as final */
};

/* iamport's answer for a merchant_uid already used (again, schedule). */
#define MERCHANT_MSG_DUPLICATE                                                                     \
    "이미 주문이 이루어진 건입니다. (동일한 merchant_uid로 결제 또는 취소된 기록이 있습니다)"

/* Room for an audit actor "api:<key name>" (key names are short: BILLKEY_API_KEYS). */
#define MERCHANT_ACTOR_MAX 160

/* The audit actor of the merchant API key key_name ("?" when NULL) into buf; returns buf. */
const char *merchant_answer_actor(char buf[MERCHANT_ACTOR_MAX], const char *key_name);

/* Code 0 with `response` (taken; NULL becomes {} so that a success is never null). */
void merchant_answer_ok(struct merchant_answer *a, cJSON *response);
/* A refusal with this status, code and printf message (response null). */
void merchant_answer_refuse(struct merchant_answer *a, int http_status, int code, const char *fmt,
                            ...) __attribute__((format(printf, 4, 5)));
/* "Not done, retry with the same request": HTTP 200, code -1, message, retry set (the outcome
 * is unknown or nothing was sent; an Idempotency-Key is given up, not stored). */
void merchant_answer_retry(struct merchant_answer *a, const char *message);
/* billkey's own validation refusal for a json_util getter failure, as HTTP 200 / code 1 with
 * iamport's wording naming the field ("파라미터 누락: amount", "amount 는 1 이상 … 이하의
 * 정수여야 합니다.", …). */
void merchant_answer_field(struct merchant_answer *a, const struct json_error *e);
/* body's customer_uid (borrowed; NULL when optional and absent): 0, or -1 with billkey's refusal
 * in *a, 200 / 1 "파라미터 누락: customer_uid" or "customer_uid: 제어 문자가 없는 문자열이어야
 * 합니다.". required: JSON_REQUIRED or JSON_OPTIONAL. */
int merchant_answer_customer_uid(const cJSON *body, int required, const char **customer_uid,
                                 struct merchant_answer *a);
/* A string field longer than max_chars characters: 200 / 1, iamport's wording. */
void merchant_answer_too_long(struct merchant_answer *a, const char *field, size_t max_chars,
                              size_t chars);
/* An iamport call that did not succeed: iamport's own refusals (IAMPORT_E_API,
 * IAMPORT_E_NOT_FOUND) pass through with its HTTP status, code and message; an id the client
 * refuses is 200 / 1; unreachable or unreadable iamport is 502 / -1 naming `what`. */
void merchant_answer_upstream(struct merchant_answer *a, enum iamport_status st,
                              const struct iamport_error *err, const char *what);
/* Adds "upstream": {status, http_status, code, message} (what iamport answered) to an audit
 * detail object. */
void merchant_answer_audit_upstream(cJSON *detail, enum iamport_status st,
                                    const struct iamport_error *err);
/* 1 (and 503 / -1 in *a) when env has no iamport client, else 0. */
int merchant_answer_no_iamport(const struct billing_env *env, struct merchant_answer *a);
/* iamport already has IAMPORT_MAX_CONCURRENT calls in flight (IAMPORT_E_BUSY): 503 / -1 with
 * retry set; merchant_reply() adds Retry-After. Nothing was sent. */
void merchant_answer_busy(struct merchant_answer *a);
/* The database could not be used: 503 / -1. */
void merchant_answer_db_unavailable(struct merchant_answer *a, const char *what);
/* Hands the response over (the answer keeps null). */
cJSON *merchant_answer_take_response(struct merchant_answer *a);
/* Frees the response and zeroes the answer. */
void merchant_answer_release(struct merchant_answer *a);

#endif
