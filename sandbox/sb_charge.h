/* One charge of a billing key: honours queued declines, makes the Payment, feeds the ledger. */
#ifndef BILLKEY_SB_CHARGE_H
#define BILLKEY_SB_CHARGE_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "sandbox/sb_state.h"

struct sb_charge_request {
    const char *merchant_uid;
    int64_t amount;
    const char *name;        /* may be NULL */
    const char *currency;    /* NULL = KRW */
    const char *usage;       /* customer_uid_usage: "payment", "payment.scheduled", "issue" */
    const char *channel;     /* "api", "pc", "mobile" */
    const cJSON *buyer;      /* buyer_* strings read from here (may be NULL) */
    const char *custom_data; /* stored verbatim, may be NULL */
    const char *notice_url;  /* may be NULL */
    int64_t card_quota;
    int real_charge;          /* 1: a real charge (declines apply, ledger counts it);
                                 0: display-only amount (window issuance of most PGs) */
    const char *fixed_status; /* when !real_charge: "paid" (NULL), "ready" or "failed" */
    const char *pay_method;   /* NULL = "card" */
    const char *user_agent;   /* may be NULL */
};

/* Creates a Payment for customer c (borrowed) and returns it (owned by the state, borrowed).
 * A real charge is "paid", or "failed" with fail_reason when a decline was queued for the
 * customer; otherwise the status is rq->fixed_status. Caller holds the state lock. No webhook is
 * sent here. */
struct sb_payment *sb_charge(struct sb_state *st, const struct sb_customer *c,
                             const struct sb_charge_request *rq);

#endif
