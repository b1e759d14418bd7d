/* What a first charge came to in ledger terms: the pure decisions of first_charge.c, without I/O. */
#ifndef BILLKEY_FIRST_CHARGE_OUTCOME_H
#define BILLKEY_FIRST_CHARGE_OUTCOME_H

#include <stdint.h>

#include "server/iamport/iamport.h"

/* The ledger status and fail_reason of a first charge. Caller-owned, nothing allocated. */
struct charge_outcome {
    const char *status;    /* static: "paid", "failed", "cancelled", "unknown" or "not_sent" */
    char fail_reason[600]; /* "" when none; cut at a UTF-8 character boundary */
    int64_t cancel_amount; /* what iamport reports cancelled of it (0 when none or unknown): the
                              ledger keeps it, so a partly cancelled charge counts by its net */
};

/* What iamport's payment of the charge means: paid → "paid"; failed → "failed" with iamport's
 * fail_reason (or "the charge was declined"); cancelled → "cancelled"; ready or an unknown
 * status → "unknown" with "iamport reports status '<status_text>'" (the reconciler settles
 * it). cancel_amount is the payment's (a partly cancelled charge stays "paid": its net is
 * amount - cancel_amount). *out is overwritten. */
void charge_outcome_from_payment(const struct iamport_payment *p, struct charge_outcome *out);

enum charge_next {
    CHARGE_SETTLE,  /* *out is the outcome: record it */
    CHARGE_LOOK_UP, /* the charge may or may not have happened: GET /payments/find once */
};

/* After POST /subscribe/payments/again answered st (not IAMPORT_OK): when nothing reached
 * iamport (IAMPORT_E_TRANSPORT, IAMPORT_E_AUTH: no token, IAMPORT_E_INVALID_ARGUMENT) *out
 * becomes "not_sent" with "the charge was not sent to iamport (<status>)[: <detail>]" (the
 * same merchant_uid may be tried again) and CHARGE_SETTLE is returned; when iamport refused it
 * before charging (iamport_outcome_unknown() false), *out becomes "failed" with "iamport
 * refused the charge (<status>)[: <iamport message>]" and CHARGE_SETTLE is returned; when the
 * outcome is unknown (timeout after sending, 5xx) *out is left as it is and CHARGE_LOOK_UP is
 * returned. Never a new charge. */
enum charge_next charge_outcome_after_failure(enum iamport_status st,
                                              const struct iamport_error *err,
                                              struct charge_outcome *out);

/* The lookup after an unknown outcome failed too (lookup_st, not IAMPORT_OK): *out becomes
 * "unknown" with a reason naming lookup_st, for the reconciler. */
void charge_outcome_lookup_failed(enum iamport_status lookup_st, struct charge_outcome *out);

#endif
