/* What one iamport webhook changes: the payment re-fetched from iamport, applied to billkey's rows. */
#ifndef BILLKEY_WEBHOOK_APPLY_H
#define BILLKEY_WEBHOOK_APPLY_H

#include <stddef.h>

struct billing_env;

enum webhook_outcome {
    WEBHOOK_DONE,    /* billkey is in line with iamport (changed or already so) */
    WEBHOOK_IGNORED, /* iamport or billkey does not know the payment: nothing to do */
    WEBHOOK_RETRY,   /* iamport or the database could not be asked: try again later */
};

/* Settles the webhook for imp_uid without trusting its body: GET /payments/{imp_uid} at
 * iamport, then by iamport's merchant_uid (body_merchant_uid, borrowed, only noted when it
 * differs):
 * - a registration's → issuance_verify(…, "webhook", …) (the callback's own step: completes a
 *   registration whose browser never came back; a console cancel (full or partial) of its payment
 *   refreshes the 'issue' row);
 * - a payments row's → one short transaction: for a scheduled one, iamport's Schedule (fetched
 *   first, with no connection held) on the schedules row; payment_ledger_refresh(); an audit
 *   row "payment.webhook_refreshed" when status, cancel_amount or fail_reason changed;
 * - neither, or no such payment at iamport → WEBHOOK_IGNORED.
 * No connection is held across an iamport call. result gets a short line saying what happened.
 * request_id is for logs and audit rows. */
enum webhook_outcome webhook_apply(const struct billing_env *env, const char *imp_uid,
                                   const char *body_merchant_uid, const char *request_id,
                                   char *result, size_t result_len);

#endif
