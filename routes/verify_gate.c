/* What public routes put in front of a verification: the client's rate limit and the unknown-imp_uid cache. */
#include "routes/verify_gate.h"

#include <stdio.h>
#include <string.h>

#include "routes/route_env.h"
#include "server/billing/verify_guard.h"
#include "server/core/rate_limit.h"
#include "server/http/client_ip.h"

int route_verify_gated(const struct request *req, const char *imp_uid, const char *merchant_uid,
                       const char *actor, struct verify_result *out, int *retry_after_s)
{
    const struct route_env *env = route_env(req);
    char addr[CLIENT_IP_MAX], key[CLIENT_IP_MAX];
    client_ip(req, env->trusted_proxies, addr);
    *retry_after_s = rate_limit_take(env->verify_limit, client_ip_limit_key(addr, key));
    if (*retry_after_s > 0) {
        memset(out, 0, sizeof *out);
        return 0;
    }
    verify_guarded(env->verify_guard, &env->billing, imp_uid, merchant_uid, actor, req->request_id,
                   out);
    return 1;
}

void route_set_retry_after(struct reply *rep, int seconds)
{
    char value[16];
    snprintf(value, sizeof value, "%d", seconds);
    reply_set_header(rep, "Retry-After", value);
}
