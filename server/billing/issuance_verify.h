/* The one idempotent verification of a billing-key issuance (callback, landing, webhook, reconciler). */
#ifndef BILLKEY_ISSUANCE_VERIFY_H
#define BILLKEY_ISSUANCE_VERIFY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "server/billing/first_charge.h"
#include "server/billing/registration.h"

struct billing_env;

#define VERIFY_IMP_UID_MAX 32
#define VERIFY_MERCHANT_UID_MAX 40

enum verify_outcome {
    VERIFY_ACTIVE = 0,            /* 200: the billing key is recorded (now or before) */
    VERIFY_INVALID_INPUT,         /* 400 invalid_field (field set) */
    VERIFY_UNKNOWN_PAYMENT,       /* 404 unknown_payment: iamport has no such imp_uid */
    VERIFY_MERCHANT_UID_MISMATCH, /* 409 merchant_uid_mismatch: the payment is another order's */
    VERIFY_UNKNOWN_REGISTRATION,  /* 404 unknown_registration: not a checkout billkey created */
    VERIFY_NOT_COMPLETED,         /* 409 payment_not_completed: iamport still says "ready" */
    VERIFY_FAILED,                /* 422 registration_failed: the PG's message in `message` */
    VERIFY_REJECTED,              /* 409 payment_rejected: tampered (cancelled if it took money) */
    VERIFY_CONFLICT,              /* 409 registration_conflict: active with another imp_uid */
    VERIFY_IAMPORT_UNAVAILABLE,   /* 502 iamport_unavailable: registration stays pending (503
                                     iamport_busy with retry_after when IAMPORT_MAX_CONCURRENT
                                     calls were in flight: nothing was sent) */
    VERIFY_IAMPORT_TIMEOUT,       /* 504 iamport_timeout: registration stays pending */
    VERIFY_DB_UNAVAILABLE,        /* 503 database_unavailable (503 verification_in_progress with
                                     retry_after: another verification holds the registration) */
    VERIFY_INTERNAL,              /* 500 internal */
};

/* The result of one verification. Owned by the caller, who zeroes nothing: issuance_verify
 * zeroes it first; verify_result_release() frees it. */
struct verify_result {
    enum verify_outcome outcome;
    int http_status;
    const char *code;     /* static: "invalid_field", "unknown_payment", ... ("" when active) */
    const char *field;    /* static or NULL: the input at fault for VERIFY_INVALID_INPUT */
    char message[512];    /* lower-case English, for the page and the API error body */
    int has_registration; /* reg below is filled (the state after this step) */
    struct registration reg;
    struct payment_summary first_payment; /* first_payment.present = 0 when none */
    int retry_after; /* seconds for Retry-After: a 503 "try again shortly" (0: none) */
};

void verify_result_release(struct verify_result *r);

/* 1 when s is 1..max printable ASCII characters without spaces (how imp_uid and merchant_uid
 * inputs are checked), else 0. NULL gives 0. */
int issuance_valid_id(const char *s, size_t max);
/* 1 when s is 1..VERIFY_IMP_UID_MAX of [A-Za-z0-9_-] (iamport's imp_uids are "imp_" + digits). */
int issuance_valid_imp_uid(const char *s);

/* Verifies the issuance payment imp_uid with iamport and settles the registration, idempotently,
 * never holding a database connection or lock across an iamport call:
 * 1. imp_uid must be 1..32 of [A-Za-z0-9_-] and claimed_merchant_uid (NULL = take iamport's)
 *    1..40 printable ASCII characters; imp_uid may be NULL when claimed_merchant_uid is given
 *    (a redirect that carried only merchant_uid, or the reconciler);
 * 2. GET /payments/{imp_uid}, or without imp_uid GET /payments/find/{claimed_merchant_uid}
 *    (the browser is never trusted): not found → 404, transport/5xx → 502, timeout → 504,
 *    iamport busy (IAMPORT_MAX_CONCURRENT) → 503 iamport_busy with retry_after, nothing changes;
 * 3. the payment's merchant_uid must be claimed_merchant_uid (409, nothing changes; the real one
 *    is not revealed);
 * 4. one short transaction loads the registration (none → 404; never cancelled: it may be another
 *    order of the shop) and issuance_next_step() decides from it: already active with this
 *    imp_uid and nothing left → the stored result; failed / tampered → that result; active with
 *    another imp_uid → 409. When there is work (pending, or a first charge not settled) the same
 *    transaction takes the registration's verification lease (registrations.verify_lease_owner/
 *    _until, for billing_env.charge_stale_ms): every instance and caller of this function
 *    serialise on it. A lease held by another verification is waited for by polling (short
 *    sleeps, no connection held between polls) up to 20 s, then 503 verification_in_progress with
 *    retry_after; a lease whose holder died runs out and is taken over;
 * 5. pending: the payment is read again (GET /payments/{imp_uid}) now that the lease is held, and
 *    only that fresh copy decides (a concurrent verification or the console may have cancelled
 *    it meanwhile); issuance_check_payment() decides, with the PG's configured CID/MID/public
 *    key as the expected pg_id. A KakaoPay "ready" stands only when
 *    GET /subscribe/customers/{customer_uid} shows the key for this PG (else 409 not completed;
 *    a failed lookup 502/504). Failed → registration failed (422). Rejected →
 *    POST /payments/cancel first when the payment took money, then tampered (409); a cancel
 *    that fails or times out changes nothing (502 / 504: the next verification looks the
 *    payment up again and cancels only what is still paid). Not completed → 409, nothing changes;
 * 6. accepted → GET /subscribe/customers/{customer_uid} for the card (a failure leaves the card
 *    null), then one transaction: billing_keys row, registration active, KakaoPay charge_now's
 *    'issue' ledger row paid, audit rows;
 * 7. active + charge_now on a PG whose window does not charge → first_charge_ensure() (its
 *    ledger row committed before `again`; a row a dead holder left 'requested' is looked up,
 *    never charged again).
 * Every write is one short transaction with its audit rows (actor = `actor`) that first checks
 * the lease is still this verification's (lost → 503 verification_in_progress); the lease is
 * given back at the end. Returns out->outcome. */
enum verify_outcome issuance_verify(const struct billing_env *env, const char *imp_uid,
                                    const char *claimed_merchant_uid, const char *actor,
                                    const char *request_id, struct verify_result *out);

/* The 200 body for VERIFY_ACTIVE: {status, merchant_uid, customer_uid, customer_id, pg,
 * pg_provider, card_name, card_number, first_payment: {merchant_uid, amount, status, fail_reason}
 * | null}. Returns a new object (caller deletes). */
cJSON *verify_result_json(const struct verify_result *r);

#endif
