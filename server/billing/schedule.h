/* Scheduled charges through billkey's ledger: book, revoke, look up and list iamport schedules. */
#ifndef BILLKEY_SCHEDULE_H
#define BILLKEY_SCHEDULE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "server/billing/merchant_answer.h"

struct billing_env;

/* Every call answers in *out (zeroed first; see merchant_answer.h). actor is the audit actor
 * "api:<key name>" and request_id the request's id (both borrowed; request_id may be NULL).
 * Answers that say "not done, retry with the same merchant_uids" (outcome unknown, not sent)
 * set out->retry. */

/* Messages billkey answers itself (iamport's own where it has one). */
#define SCHEDULE_MSG_NO_CUSTOMER "등록된 고객정보가 없습니다."
#define SCHEDULE_MSG_DUPLICATE MERCHANT_MSG_DUPLICATE
#define SCHEDULE_MSG_NOT_FOUND "존재하지 않는 예약결제 정보입니다."
#define SCHEDULE_MSG_UNKNOWN                                                                                                    \
    "예약 결과를 알 수 없습니다 (iamport가 제때 답하지 않았고 조회로도 확인되지 않았습니다). " \
    "같은 merchant_uid로 다시 요청하면 안전합니다: outcome unknown, safe to retry with the same "                 \
    "merchant_uids."
#define SCHEDULE_MSG_NOT_SENT                                                                                       \
    "iamport에 연결하지 못해 예약 요청을 보내지 않았습니다. 예약된 것은 없으니 같은 " \
    "merchant_uid로 다시 요청하세요: not sent, retry with the same merchant_uids."

/* POST /subscribe/payments/schedule {customer_uid, schedules: [...]} (body borrowed). Checks
 * everything first (card fields refused, customer_uid an active billkey key, every item through
 * charge_fields_read, merchant_uids new to the ledger and unique in the request), then commits
 * the payments + schedules rows 'requested' with an audit row, calls iamport with no connection
 * held, and records the outcome in a second transaction: scheduled; iamport's refusal (rows
 * 'refused'/'not_sent', merchant_uids free again); never sent ('not_sent'); a timeout looked up
 * per merchant_uid, what stays unknown 'unknown'. Retrying merchant_uids left 'not_sent' or
 * 'unknown' is allowed; 'unknown' ones are looked up at iamport before anything is sent. */
void schedule_book(const struct billing_env *env, const cJSON *body, const char *actor,
                   const char *request_id, struct merchant_answer *out);

/* POST /subscribe/payments/unschedule {customer_uid?, merchant_uid?: string | [string]}: proxied;
 * the revoked schedules are marked revoked in the ledger with an audit row. */
void schedule_revoke(const struct billing_env *env, const cJSON *body, const char *actor,
                     const char *request_id, struct merchant_answer *out);

/* GET /subscribe/payments/schedule/{merchant_uid}: proxied; billkey's rows are refreshed from
 * the answer (executed: payment_status, imp_uid, executed_at, fail_reason; payments paid/failed). */
void schedule_lookup(const struct billing_env *env, const char *merchant_uid, const char *actor,
                     const char *request_id, struct merchant_answer *out);

/* The query of GET /subscribe/payments/schedule/customers/{customer_uid}, as sent (borrowed;
 * NULL = absent). */
struct schedule_list_query {
    const char *from, *to, *page, *schedule_status;
};

/* GET /subscribe/payments/schedule/customers/{customer_uid}: the query checked as iamport does
 * (400/-1 "파라미터 누락: from" …), then proxied: {total, previous, next, list}. */
void schedule_list(const struct billing_env *env, const char *customer_uid,
                   const struct schedule_list_query *q, struct merchant_answer *out);

#endif
