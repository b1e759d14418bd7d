/* Billing keys for merchants: GET and DELETE /subscribe/customers/{customer_uid}, key-in refused. */
#ifndef BILLKEY_CUSTOMER_KEY_H
#define BILLKEY_CUSTOMER_KEY_H

#include "server/billing/billing_env.h"
#include "server/billing/merchant_answer.h"

/* iamport's text for a customer_uid without a key; billkey answers it for keys it never issued. */
#define CUSTOMER_KEY_NOT_FOUND_FMT "요청하신 customer_uid(%s)로 등록된 정보를 찾을 수 없습니다."

/* DELETE's extra[requester] other than NaverPay's two values. */
#define CUSTOMER_KEY_BAD_REQUESTER "extra[requester]: customer 또는 admin 이어야 합니다."

/* POST /subscribe/customers/{customer_uid} (key-in registration with card numbers). */
#define CUSTOMER_KEY_CARD_REFUSED                                                                                     \
    "billkey는 카드번호를 받지 않습니다: 빌링키는 결제창(IMP.request_pay)으로 발급하세요. " \
    "(card data refused: issue billing keys through the checkout window)"

/* The refusal of a key-in registration: HTTP 200, code 1, CUSTOMER_KEY_CARD_REFUSED. Reads
 * nothing and calls nothing. */
void customer_key_refuse_card_data(struct merchant_answer *out);

/* GET /subscribe/customers/{customer_uid}: a customer_uid billkey never issued (no
 * billing_keys row) is refused locally, HTTP 200 / code 1 CUSTOMER_KEY_NOT_FOUND_FMT (billkey's
 * own refusals are 200 / 1 so that official clients show the message); otherwise iamport's
 * Customer as sent, or iamport's refusal passed through. */
void customer_key_get(const struct billing_env *env, const char *customer_uid,
                      struct merchant_answer *out);

/* DELETE /subscribe/customers/{customer_uid}. A key billkey never issued, or already deleted, is
 * refused as in customer_key_get. Otherwise, in this order, each step with its own audit row
 * (actor, request_id; reason and requester, both optional, are recorded):
 *   1. POST /subscribe/payments/unschedule {customer_uid} at iamport ("nothing to revoke" is
 *      fine); the schedules it revoked become revoked in schedules and payments
 *      ("customer.unschedule"). If it fails, nothing is deleted and iamport's refusal (or
 *      502 / -1) is answered.
 *   2. DELETE /subscribe/customers/{customer_uid}?reason=&extra[requester]= at iamport (each
 *      only when given); on success, or when iamport no longer has it, the billing_keys row is
 *      marked deleted ("customer.delete").
 * requester, when given, must be `customer` or `admin` (NaverPay's extra.requester; iamport's
 * default is admin): anything else is refused first, HTTP 200 / code 1
 * CUSTOMER_KEY_BAD_REQUESTER, with nothing sent. *out: iamport's deleted Customer, or the
 * refusal. */
void customer_key_delete(const struct billing_env *env, const char *customer_uid,
                         const char *reason, const char *requester, const char *actor,
                         const char *request_id, struct merchant_answer *out);

#endif
