/* Payment lookups for merchants (GET /payments/{imp_uid}, /payments/find/…) and the ledger refresh. */
#ifndef BILLKEY_PAYMENT_LOOKUP_H
#define BILLKEY_PAYMENT_LOOKUP_H

#include "db/pool.h"
#include "server/billing/billing_env.h"
#include "server/billing/merchant_answer.h"
#include "server/iamport/iamport.h"

/* iamport's answer to a payment it does not have (HTTP 404, code -1). */
#define PAYMENT_LOOKUP_NOT_FOUND "존재하지 않는 결제정보입니다."
/* iamport's answer to a status filter it does not know (GET /payments/find/{uid}/{status}). */
#define PAYMENT_LOOKUP_BAD_STATUS "지원되지 않는 상태값입니다."

/* Brings billkey's payments row of p->merchant_uid (when there is one holding no other imp_uid)
 * in line with iamport's Payment: status (paid, failed, cancelled; a cancelled row stays
 * cancelled; "ready" changes nothing), imp_uid, cancel_amount (never shrinks) and the stored
 * copy. Runs on conn inside the caller's transaction. DB_OK, DB_NOT_FOUND when there was no row
 * to refresh, or the failure. */
enum db_status payment_ledger_refresh(struct db_conn *conn, const struct iamport_payment *p);

/* GET /payments/{imp_uid} at iamport; on success the ledger row is refreshed in a short
 * transaction of its own (a database failure is logged, not answered: the lookup succeeded)
 * and *out holds iamport's Payment as sent. iamport's refusals pass through (404 / -1
 * PAYMENT_LOOKUP_NOT_FOUND). An imp_uid with a '/' (sent escaped, "%2F") cannot exist at iamport:
 * it gets that 404 without a call. request_id is for logs. */
void payment_lookup_get(const struct billing_env *env, const char *imp_uid, const char *request_id,
                        struct merchant_answer *out);

/* GET /payments/find/{merchant_uid}[/{status}] at iamport, as payment_lookup_get. status NULL
 * = any; a status other than ready, paid, failed, cancelled is answered 400 / -1
 * PAYMENT_LOOKUP_BAD_STATUS without calling iamport. */
void payment_lookup_find(const struct billing_env *env, const char *merchant_uid,
                         const char *status, const char *request_id, struct merchant_answer *out);

#endif
