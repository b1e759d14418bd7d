/* One charge through the payments ledger: the call to iamport between a committed claim and a settle. */
#ifndef BILLKEY_CHARGE_LEDGER_H
#define BILLKEY_CHARGE_LEDGER_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "db/pool.h"
#include "server/billing/first_charge_outcome.h"
#include "server/iamport/iamport.h"

struct billing_env;

/*
 * The ledger state machine of a payments row (kind 'first_charge' or 'again'), keyed by its
 * merchant_uid:
 *   (none) --claim--> requested --settle--> paid | failed | cancelled | unknown | not_sent
 *   not_sent --claim--> requested          (nothing reached iamport: safe to send again)
 *   unknown, requested older than env->charge_stale_ms (a crashed attempt)
 *            --claim (again only)--> requested, and the call looks the merchant_uid up first
 * A claim is one committed transaction before iamport is called; a settle is one transaction
 * after, and only moves a row that is still requested or unknown.
 */

/* What one call to iamport came to. Owned; charge_result_release() frees and zeroes it. */
struct charge_result {
    struct charge_outcome outcome; /* the ledger status to record and its fail_reason */
    char *imp_uid;                 /* owned, NULL when iamport named no payment */
    cJSON *payment;                /* owned: iamport's Payment JSON, NULL when there is none */
    enum iamport_status upstream;  /* IAMPORT_OK when iamport answered with a Payment */
    struct iamport_error err;      /* iamport's refusal (code, message) when upstream != OK */
};

void charge_result_release(struct charge_result *r);

/* Fills r's outcome, imp_uid and payment (a tree of p->raw_json) from iamport's Payment p
 * (upstream IAMPORT_OK); p is still the caller's to release. */
void charge_result_from_payment(struct charge_result *r, struct iamport_payment *p);

/* The again body as billkey sends it (the ledger's `request` column). Caller deletes. */
cJSON *charge_request_json(const struct iamport_again_request *rq);

/* The iamport side of a claimed charge, with no database connection held:
 * 1. recheck (a re-claimed row that may have reached iamport before): GET /payments/find/
 *    {merchant_uid}; found → its outcome, done; a failed lookup → "unknown", done; not found → 2;
 * 2. the token (none: "not_sent"), then POST /subscribe/payments/again; a Payment → its outcome
 *    (paid, failed with fail_reason, ...); nothing sent → "not_sent"; refused → "failed"; outcome
 *    unknown → GET /payments/find once: found → its outcome, else "unknown".
 * Never a second again. *r is zeroed first. */
void charge_ledger_call(const struct billing_env *env, const struct iamport_again_request *rq,
                        int recheck, const char *request_id, struct charge_result *r);

/* GET /payments/find/{merchant_uid} into *r (filled as charge_ledger_call fills it; the caller
 * zeroes it first and sets r->upstream to a failure): returns 1 when *r is settled (found:
 * r->upstream IAMPORT_OK and its outcome; the lookup failed: "unknown"), 0 when iamport has no
 * payment of that merchant_uid. Never charges. */
int charge_ledger_look_up(const struct billing_env *env, const char *merchant_uid,
                          struct charge_result *r);

/* Records r on the row merchant_uid (only if it is still requested or unknown) with its audit
 * row (actor, "payment.<status>", amount, upstream result) in one transaction. conn must not be
 * inside a transaction. DB_NOT_FOUND when the row was no longer requested/unknown. */
enum db_status charge_ledger_settle(struct db_conn *conn, const char *merchant_uid, int64_t amount,
                                    const struct charge_result *r, const char *actor,
                                    const char *request_id);

#endif
