/* What public routes put in front of a verification: the client's rate limit and the unknown-imp_uid cache. */
#ifndef BILLKEY_VERIFY_GATE_H
#define BILLKEY_VERIFY_GATE_H

#include "server/billing/issuance_verify.h"
#include "server/http/http.h"

/* Takes one attempt from the client's verification budget (route_env's verify_limit, keyed by
 * client_ip() over TRUSTED_PROXIES: an IPv4 address or an IPv6 /64), then runs verify_guarded()
 * with the route_env's billing environment and cache. Returns 1 when the verification ran
 * (*out filled, the caller releases it), or 0 when the budget is spent: nothing was verified,
 * *out is zeroed and *retry_after_s (>= 1) says when to try again. */
int route_verify_gated(const struct request *req, const char *imp_uid, const char *merchant_uid,
                       const char *actor, struct verify_result *out, int *retry_after_s);
/* Sets Retry-After: seconds on rep. */
void route_set_retry_after(struct reply *rep, int seconds);

#endif
