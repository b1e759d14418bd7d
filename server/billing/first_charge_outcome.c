/* What a first charge came to in ledger terms: the pure decisions of first_charge.c, without I/O. */
#include "server/billing/first_charge_outcome.h"

#include <stdio.h>

#include "server/core/utf8.h"

void charge_outcome_from_payment(const struct iamport_payment *p, struct charge_outcome *out)
{
    out->fail_reason[0] = '\0';
    out->cancel_amount = p->cancel_amount > 0 ? p->cancel_amount : 0;
    switch (p->status) {
    case IAMPORT_PAYMENT_PAID:
        out->status = "paid";
        break;
    case IAMPORT_PAYMENT_FAILED:
        out->status = "failed";
        snprintf(out->fail_reason, sizeof out->fail_reason, "%s",
                 p->fail_reason ? p->fail_reason : "the charge was declined");
        break;
    case IAMPORT_PAYMENT_CANCELLED:
        out->status = "cancelled";
        break;
    case IAMPORT_PAYMENT_READY:
    case IAMPORT_PAYMENT_UNKNOWN:
    default:
        out->status = "unknown";
        snprintf(out->fail_reason, sizeof out->fail_reason, "iamport reports status '%s'",
                 p->status_text ? p->status_text : "");
        break;
    }
    utf8_trim_partial(out->fail_reason); /* snprintf may have cut a character in half */
}

enum charge_next charge_outcome_after_failure(enum iamport_status st,
                                              const struct iamport_error *err,
                                              struct charge_outcome *out)
{
    if (iamport_outcome_unknown(st, err))
        return CHARGE_LOOK_UP;
    if (st == IAMPORT_E_TRANSPORT || st == IAMPORT_E_AUTH || st == IAMPORT_E_INVALID_ARGUMENT ||
        st == IAMPORT_E_BUSY) {
        /* nothing reached iamport (refused connection, no token, refused before sending, too
         * many calls in flight) */
        out->status = "not_sent";
        snprintf(out->fail_reason, sizeof out->fail_reason,
                 "the charge was not sent to iamport (%s)%s%s", iamport_status_name(st),
                 err->detail[0] ? ": " : "", err->detail);
        utf8_trim_partial(out->fail_reason);
        return CHARGE_SETTLE;
    }
    out->status = "failed";
    snprintf(out->fail_reason, sizeof out->fail_reason, "iamport refused the charge (%s)%s%s",
             iamport_status_name(st), err->message[0] ? ": " : "", err->message);
    utf8_trim_partial(out->fail_reason);
    return CHARGE_SETTLE;
}

void charge_outcome_lookup_failed(enum iamport_status lookup_st, struct charge_outcome *out)
{
    out->status = "unknown";
    snprintf(out->fail_reason, sizeof out->fail_reason,
             "the charge's outcome is unknown (lookup: %s); the reconciler settles it",
             iamport_status_name(lookup_st));
}
