/* In front of issuance_verify: a short memory of imp_uids iamport does not know, so made-up ones cost no upstream call. */
#ifndef BILLKEY_VERIFY_GUARD_H
#define BILLKEY_VERIFY_GUARD_H

#include <stddef.h>

#include "server/billing/issuance_verify.h"

struct clock;
struct verify_guard;

/* A cache of imp_uids for which iamport answered "no such payment", each remembered for ttl_ms
 * (0: nothing is remembered), at most `capacity` of them (the oldest of a probe window makes
 * room). It is per process on purpose: iamport's answer can only change from "unknown" to
 * "known" (a payment is never deleted), so a stale entry costs at most ttl_ms of a 404 for a
 * payment created meanwhile, on this instance only, and the webhook and a retry after the TTL
 * still settle it. `clock` is borrowed (NULL: the system clock). Caller frees. */
struct verify_guard *verify_guard_new(int ttl_ms, size_t capacity, const struct clock *clock);
void verify_guard_free(struct verify_guard *g);

/* issuance_verify() with the cache: an imp_uid remembered as unknown is answered
 * VERIFY_UNKNOWN_PAYMENT (404 unknown_payment) at once, without calling iamport; an imp_uid
 * issuance_verify() finds unknown is remembered. NULL g is issuance_verify() itself. Same
 * arguments, result and ownership as issuance_verify(). */
enum verify_outcome verify_guarded(struct verify_guard *g, const struct billing_env *env,
                                   const char *imp_uid, const char *claimed_merchant_uid,
                                   const char *actor, const char *request_id,
                                   struct verify_result *out);

#endif
