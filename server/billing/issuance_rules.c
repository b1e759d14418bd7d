/* What an iamport issuance payment means for a pending registration: accept, failed, rejected or not yet. */
#include "server/billing/issuance_rules.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server/iamport/iamport.h"
#include "server/billing/pg_profile.h"
#include "server/core/utf8.h"

/* Longest piece of an iamport-supplied string quoted in a reason. */
#define QUOTE_MAX 80

static void decide(struct issuance_check *out, enum issuance_decision d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void decide(struct issuance_check *out, enum issuance_decision d, const char *fmt, ...)
{
    va_list ap;
    out->decision = d;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
    utf8_trim_partial(out->reason);
}

static const char *or_null(const char *s)
{
    return s ? s : "(null)";
}

/* For "%.*s": how much of s (or "(null)") to quote. */
static int quote_len(const char *s)
{
    return utf8_prefix_len(or_null(s), QUOTE_MAX);
}

static int same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Whether a PG id is configured. */
static int configured(const char *id)
{
    return id && id[0];
}

/* Whether the payment (still) charged: judged by the payment's own PG (a KakaoPay charge made under a
 * PAYCO registration took money), and any PG billkey does not know counts as charging. */
static int took_money(const struct iamport_payment *p)
{
    if (p->status != IAMPORT_PAYMENT_PAID || p->amount - p->cancel_amount <= 0)
        return 0;
    const struct pg_profile *paid_with = pg_profile_find(p->pg_provider);
    return !same(p->customer_uid_usage, "issue") || !paid_with || paid_with->charges_at_issuance;
}

void issuance_check_payment(const struct issuance_expectation *e, const struct iamport_payment *p,
                            struct issuance_check *out)
{
    memset(out, 0, sizeof *out);
    if (!same(p->customer_uid, e->customer_uid)) {
        decide(out, ISSUANCE_REJECT, "customer_uid '%.*s' is not the registration's '%s'",
               quote_len(p->customer_uid), or_null(p->customer_uid), e->customer_uid);
    } else if (!same(p->pg_provider, e->profile->name)) {
        decide(out, ISSUANCE_REJECT, "pg_provider '%.*s' is not the registration's '%s'",
               quote_len(p->pg_provider), or_null(p->pg_provider), e->profile->name);
    } else if (configured(e->pg_id) && !same(p->pg_id, e->pg_id)) {
        decide(out, ISSUANCE_REJECT, "pg_id '%.*s' is not the configured '%s'", quote_len(p->pg_id),
               or_null(p->pg_id), e->pg_id);
    } else if (!same(p->customer_uid_usage, "issue")) {
        decide(out, ISSUANCE_REJECT, "customer_uid_usage '%.*s' is not 'issue'",
               quote_len(p->customer_uid_usage), or_null(p->customer_uid_usage));
    } else if (p->status == IAMPORT_PAYMENT_FAILED) {
        decide(out, ISSUANCE_FAIL, "%s",
               p->fail_reason && p->fail_reason[0] ? p->fail_reason : "the PG reported a failure");
    } else if (p->status == IAMPORT_PAYMENT_READY) {
        if (e->profile->ready_means_issued && e->window_amount == 0 && p->amount == 0) {
            decide(out, ISSUANCE_ACCEPT, "issued (status ready, amount 0)");
            out->needs_key = 1;
        } else
            decide(out, ISSUANCE_NOT_COMPLETED, "iamport reports status 'ready': not completed");
    } else if (p->status == IAMPORT_PAYMENT_CANCELLED) {
        decide(out, ISSUANCE_REJECT, "the issuance payment was cancelled");
    } else if (p->status != IAMPORT_PAYMENT_PAID) {
        decide(out, ISSUANCE_NOT_COMPLETED, "iamport reports status '%.*s'",
               quote_len(p->status_text), or_null(p->status_text));
    } else if (p->cancel_amount > 0) {
        decide(out, ISSUANCE_REJECT,
               "the payment was partly cancelled: %" PRId64 " of %" PRId64
               " cancelled, net %" PRId64 " is not the full amount",
               p->cancel_amount, p->amount, p->amount - p->cancel_amount);
    } else if (e->profile->charges_at_issuance && p->amount != e->window_amount) {
        decide(out, ISSUANCE_REJECT, "amount %" PRId64 " is not the expected %" PRId64, p->amount,
               e->window_amount);
    } else {
        decide(out, ISSUANCE_ACCEPT, "issued");
    }
    if (out->decision == ISSUANCE_REJECT)
        out->money_moved = took_money(p);
}

void issuance_check_customer(const struct issuance_expectation *e, const struct iamport_customer *c,
                             struct issuance_check *out)
{
    if (out->decision != ISSUANCE_ACCEPT || !out->needs_key)
        return;
    if (!c)
        decide(out, ISSUANCE_NOT_COMPLETED,
               "iamport reports status 'ready' and has no billing key for customer_uid '%s'",
               e->customer_uid);
    else if (!same(c->customer_uid, e->customer_uid))
        decide(out, ISSUANCE_NOT_COMPLETED,
               "iamport reports status 'ready' and its billing key is customer_uid '%.*s', not "
               "'%s'",
               quote_len(c->customer_uid), or_null(c->customer_uid), e->customer_uid);
    else if (!same(c->pg_provider, e->profile->name))
        decide(out, ISSUANCE_NOT_COMPLETED,
               "iamport reports status 'ready' and its billing key is for pg_provider '%.*s', not "
               "'%s'",
               quote_len(c->pg_provider), or_null(c->pg_provider), e->profile->name);
    else if (configured(e->pg_id) && !same(c->pg_id, e->pg_id))
        decide(out, ISSUANCE_NOT_COMPLETED,
               "iamport reports status 'ready' and its billing key is for pg_id '%.*s', not the "
               "configured '%s'",
               quote_len(c->pg_id), or_null(c->pg_id), e->pg_id);
    else
        return;
    out->needs_key = 0;
}

enum issuance_step issuance_next_step(const struct issuance_state *s)
{
    if (strcmp(s->status, "tampered") == 0)
        return ISSUANCE_STEP_REJECTED;
    if (strcmp(s->status, "active") == 0) {
        if (!s->same_payment)
            return ISSUANCE_STEP_CONFLICT;
        if (!s->charges_with_again)
            return ISSUANCE_STEP_ACTIVE;
        int settled = s->first_status && (strcmp(s->first_status, "paid") == 0 ||
                                          strcmp(s->first_status, "failed") == 0 ||
                                          strcmp(s->first_status, "cancelled") == 0);
        return settled ? ISSUANCE_STEP_ACTIVE : ISSUANCE_STEP_FIRST_CHARGE;
    }
    if (strcmp(s->status, "failed") == 0 && s->same_payment)
        return ISSUANCE_STEP_FAILED;
    return ISSUANCE_STEP_SETTLE;
}
