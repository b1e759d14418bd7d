/* In front of issuance_verify: a short memory of imp_uids iamport does not know, so made-up ones cost no upstream call. */
#include "server/billing/verify_guard.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/clock.h"
#include "server/core/slot_table.h"
#include "server/core/xalloc.h"

/* A slot's stamp is when iamport said "unknown"; its value is unused. */
struct verify_guard {
    struct slot_table unknown;
    int64_t ttl_ms;
    const struct clock *clock; /* borrowed */
};

struct verify_guard *verify_guard_new(int ttl_ms, size_t capacity, const struct clock *clock)
{
    struct verify_guard *g = xcalloc(1, sizeof *g);
    slot_table_init(&g->unknown, capacity);
    g->ttl_ms = ttl_ms;
    g->clock = clock;
    return g;
}

void verify_guard_free(struct verify_guard *g)
{
    if (!g)
        return;
    slot_table_release(&g->unknown);
    free(g);
}

static int known_unknown(struct verify_guard *g, const char *imp_uid)
{
    int64_t now = clock_now_ms(g->clock);
    pthread_mutex_lock(&g->unknown.lock);
    struct slot *s = slot_table_find(&g->unknown, imp_uid);
    int hit = s && now - s->stamp_ms < g->ttl_ms;
    if (s && !hit)
        s->used = 0; /* expired */
    pthread_mutex_unlock(&g->unknown.lock);
    return hit;
}

static void remember_unknown(struct verify_guard *g, const char *imp_uid)
{
    int claimed = 0;
    pthread_mutex_lock(&g->unknown.lock);
    struct slot *s = slot_table_claim(&g->unknown, imp_uid, &claimed);
    if (s)
        s->stamp_ms = clock_now_ms(g->clock);
    pthread_mutex_unlock(&g->unknown.lock);
}

enum verify_outcome verify_guarded(struct verify_guard *g, const struct billing_env *env,
                                   const char *imp_uid, const char *claimed_merchant_uid,
                                   const char *actor, const char *request_id,
                                   struct verify_result *out)
{
    /* only inputs issuance_verify would take to iamport: others get its 400 */
    int cached =
        g && g->ttl_ms > 0 && imp_uid && issuance_valid_imp_uid(imp_uid) &&
        (!claimed_merchant_uid || issuance_valid_id(claimed_merchant_uid, VERIFY_MERCHANT_UID_MAX));
    if (cached && known_unknown(g, imp_uid)) {
        /* what issuance_verify answers for it, without asking iamport again */
        memset(out, 0, sizeof *out);
        out->outcome = VERIFY_UNKNOWN_PAYMENT;
        out->http_status = 404;
        out->code = "unknown_payment";
        snprintf(out->message, sizeof out->message, "iamport has no payment '%s'", imp_uid);
        return out->outcome;
    }
    enum verify_outcome o =
        issuance_verify(env, imp_uid, claimed_merchant_uid, actor, request_id, out);
    if (cached && o == VERIFY_UNKNOWN_PAYMENT && !out->has_registration)
        remember_unknown(g, imp_uid);
    return o;
}
