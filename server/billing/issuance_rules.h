/* What an iamport issuance payment means for a pending registration: accept, failed, rejected or not yet. */
#ifndef BILLKEY_ISSUANCE_RULES_H
#define BILLKEY_ISSUANCE_RULES_H

#include <stdint.h>

struct iamport_customer;
struct iamport_payment;
struct pg_profile;

enum issuance_decision {
    ISSUANCE_ACCEPT,        /* the billing key was issued: record it */
    ISSUANCE_FAIL,          /* iamport reports the window failed: registration failed */
    ISSUANCE_REJECT,        /* not what billkey asked for: registration tampered */
    ISSUANCE_NOT_COMPLETED, /* still "ready" (or an unknown status) where that is not success */
};

/* What the registration expects; strings are borrowed. */
struct issuance_expectation {
    const struct pg_profile *profile;
    const char *customer_uid;
    int64_t window_amount; /* the amount request_pay got */
    const char *pg_id;     /* the configured CID/MID/public key (PG_KAKAOPAY_CID, PG_KICC_MID,
                              PG_CHAI_PUBLIC_KEY); NULL or "" = none configured, any pg_id */
};

struct issuance_check {
    enum issuance_decision decision;
    /* ISSUANCE_REJECT only: the payment took money (status paid, amount > 0, and either not an
     * issuance row or its own pg_provider is one whose window charges or one billkey does not
     * know), so it must be cancelled at iamport. */
    int money_moved;
    /* ISSUANCE_ACCEPT from status "ready" only: it stands only once iamport shows the billing key
     * (GET /subscribe/customers/{customer_uid}), judged by issuance_check_customer(). */
    int needs_key;
    char reason[384]; /* lower-case English: why it failed / was rejected / is not completed */
};

/* Decides, without I/O, in this order:
 * 1. identity: customer_uid, pg_provider (the profile's name), pg_id (only when one is
 *    configured: it must equal expect->pg_id) and customer_uid_usage "issue" must match, else
 *    REJECT;
 * 2. status failed → FAIL (reason: iamport's fail_reason);
 * 3. status ready → ACCEPT with needs_key for a PG whose "ready" means issued when the window
 *    amount is 0 (KakaoPay issue-only), else NOT_COMPLETED;
 * 4. status cancelled → REJECT;  an unknown status → NOT_COMPLETED;
 * 5. status paid with cancel_amount > 0 (partly cancelled: iamport keeps "paid") → REJECT on
 *    every PG: the net amount (amount - cancel_amount) is never the price in full;
 * 6. status paid → ACCEPT, except on a PG whose window charges (KakaoPay) when the amount is
 *    not exactly the window amount → REJECT.
 * money_moved judges the net amount: what is still taken. The payment's merchant_uid is not
 * checked here (the caller found the registration by it). */
void issuance_check_payment(const struct issuance_expectation *expect,
                            const struct iamport_payment *payment, struct issuance_check *out);

/* Step 3's second half, for an ACCEPT with needs_key: customer is what
 * GET /subscribe/customers/{customer_uid} returned (borrowed), NULL when iamport has no such
 * billing key. The ACCEPT stands when the customer's customer_uid and pg_provider are the
 * registration's (and its pg_id the configured one, when one is); otherwise *out becomes
 * NOT_COMPLETED (the window was left before the key was made: the registration stays pending).
 * Any other decision is left as it is. */
void issuance_check_customer(const struct issuance_expectation *expect,
                             const struct iamport_customer *customer, struct issuance_check *out);

/* What a verification must do with a registration as stored, decided without I/O (the same
 * answer for every caller, so that a replay can be one read). */
enum issuance_step {
    ISSUANCE_STEP_CONFLICT,     /* active with another payment: 409 */
    ISSUANCE_STEP_REJECTED,     /* tampered: the stored rejection */
    ISSUANCE_STEP_FAILED,       /* failed with this very payment: the stored failure */
    ISSUANCE_STEP_ACTIVE,       /* active with this payment and nothing left to do */
    ISSUANCE_STEP_SETTLE,       /* pending (or failed with another payment): ask iamport */
    ISSUANCE_STEP_FIRST_CHARGE, /* active with this payment, its first charge not settled */
};

/* The stored state a step is decided from; strings are borrowed. */
struct issuance_state {
    const char *status;       /* the registration's: "pending", "active", "failed", "tampered" */
    int same_payment;         /* its imp_uid is the payment being verified */
    int charges_with_again;   /* charge_now on a PG whose window does not charge */
    const char *first_status; /* its 'first_charge' ledger row's status, NULL when none */
};

/* ACTIVE needs no first charge, or one that is paid, failed or cancelled; a first charge that
 * is missing, not_sent, requested or unknown is FIRST_CHARGE (taken, re-sent or looked up). */
enum issuance_step issuance_next_step(const struct issuance_state *s);

#endif
