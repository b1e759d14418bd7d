/* The webhook_events table: record a delivery, claim it with a lease, finish it. */
#ifndef BILLKEY_WEBHOOK_EVENTS_H
#define BILLKEY_WEBHOOK_EVENTS_H

#include <stdint.h>

#include "db/pool.h"

#define WEBHOOK_CLAIM_MAX 40 /* a uuid's text and its NUL */

/* One claimed event. Filled by webhook_event_claim(); webhook_event_release() frees it. */
struct webhook_event {
    long long id;
    char *imp_uid;      /* owned */
    char *merchant_uid; /* owned: the body's, a hint */
    char claim[WEBHOOK_CLAIM_MAX];
    int attempts; /* including this one */
};

void webhook_event_release(struct webhook_event *ev);

/* Inserts a 'received' event (one autocommitted statement: durable when DB_OK is returned).
 * status and source may be NULL. *id (may be NULL) gets its id. */
enum db_status webhook_event_record(struct db_pool *pool, const char *imp_uid,
                                    const char *merchant_uid, const char *status,
                                    const char *source, long long *id);

/* In one short transaction, claims the oldest open event whose lease is over (FOR UPDATE SKIP
 * LOCKED: instances never take the same one) for lease_ms. DB_OK with *out filled, DB_NOT_FOUND
 * when there is nothing to do, or the failure (*out zeroed). */
enum db_status webhook_event_claim(struct db_pool *pool, int64_t lease_ms,
                                   struct webhook_event *out);

/* Ends the claim: state "done", "ignored" or "failed" with result (may be NULL), or "received"
 * again to be claimed after retry_ms. DB_NOT_FOUND when the claim was lost (the lease ran out
 * and another worker took the event). */
enum db_status webhook_event_finish(struct db_pool *pool, const struct webhook_event *ev,
                                    const char *state, const char *result, int64_t retry_ms);

#endif
