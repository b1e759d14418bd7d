/* Failed refunds: a tampered payment's cancel failed, so the registration is marked as owing the money back. */
#ifndef BILLKEY_REFUND_DUE_H
#define BILLKEY_REFUND_DUE_H

#include <stdint.h>

struct billing_env;

/* Marks the pending registration merchant_uid as owing a refund (its registrations_pending row's
 * refund_due_at, kept when it was marked before), so the reconciler retries the cancel from its
 * next pass and the backlog counts it as a refund; the first mark writes the audit row
 * "registration.refund_due" (actor, request_id; imp_uid, amount and the failure `why`). One short
 * transaction; a failure is logged (the registration stays pending, so the registration grace
 * still catches it). Everything is borrowed. */
void refund_due_record(const struct billing_env *env, const char *merchant_uid, const char *imp_uid,
                       int64_t amount, const char *why, const char *actor, const char *request_id);

#endif
