/* The first payment of a registration: the KakaoPay window's charge, or billkey's own charge via again. */
#ifndef BILLKEY_FIRST_CHARGE_H
#define BILLKEY_FIRST_CHARGE_H

#include <stdint.h>

#include "db/pool.h"

struct billing_env;
struct registration;

/* A registration's first payment ('issue' row for KakaoPay, 'first_charge' row otherwise).
 * Strings are owned (NULL = none); payment_summary_release() frees them. */
struct payment_summary {
    int present; /* 0: the registration has no first payment */
    char *merchant_uid;
    int64_t amount;
    char *status; /* "requested", "paid", "failed", "cancelled", "unknown" */
    char *imp_uid;
    char *fail_reason;
};

void payment_summary_release(struct payment_summary *p);

/* Loads the first payment of the registration with this merchant_uid into *out (zeroed first;
 * out->present = 0 when there is none). Returns DB_OK or the db_exec failure. */
enum db_status payment_summary_load(struct db_conn *conn, const char *registration_merchant_uid,
                                    struct payment_summary *out);

/* Takes the first payment of an active charge_now registration on a PG whose window does not
 * charge (PAYCO, KICC, CHAI, NaverPay), at most once whoever calls. The caller holds the
 * registration's verification lease (issuance_verify), so one caller at a time gets here:
 * 1. in its own short transaction, claims the registration's only 'first_charge' ledger row (a
 *    new "bkp_…" merchant_uid, status 'requested') — the partial unique index refuses a second
 *    claim, and the loser reads the existing row — and COMMITs it with an audit row; the
 *    connection goes back to the pool;
 * 2. POST /subscribe/payments/again (NaverPay: extra.naverUseCfm = today in KST, yyyyMMdd), with
 *    no connection held;
 * 3. records paid / failed (iamport's fail_reason) in a second short transaction. When the
 *    outcome is unknown (timeout after sending, 5xx), GET /payments/find/{merchant_uid} once:
 *    found → its status, else 'unknown' for the reconciler.
 * An existing row left 'requested' (a holder that died mid-charge) or 'unknown' is looked up
 * with GET /payments/find/{merchant_uid}, never sent again: found → settled; not found → a
 * 'requested' row becomes 'unknown'. It never charges under a new merchant_uid.
 * *out (zeroed first) is the resulting row. Returns DB_OK, or the database failure (then *out
 * may still describe a charge that was made but could not be recorded; the ledger row stays
 * 'requested'). */
enum db_status first_charge_ensure(const struct billing_env *env, const struct registration *reg,
                                   const char *actor, const char *request_id,
                                   struct payment_summary *out);

#endif
