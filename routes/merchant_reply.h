/* What the iamport-compatible merchant handlers share: the answer as iamport's envelope, the audit actor. */
#ifndef BILLKEY_MERCHANT_REPLY_H
#define BILLKEY_MERCHANT_REPLY_H

#include "routes/route_env.h"
#include "server/billing/merchant_answer.h"
#include "server/http/http.h"

/* Sends *a as {code, message, response} with its HTTP status (its response moves into the
 * reply; rep->retry follows a->retry; a 503 gets Retry-After) and releases it. */
static inline void merchant_reply(struct reply *rep, struct merchant_answer *a)
{
    reply_iamport(rep, a->http_status, a->code, a->message[0] ? a->message : NULL,
                  merchant_answer_take_response(a));
    rep->retry = a->retry;
    if (a->http_status == 503)
        reply_mark_retry_after(rep);
    merchant_answer_release(a);
}

/* The audit actor of a merchant request ("api:<key name>") into buf. */
static inline const char *merchant_actor(const struct request *req, char buf[MERCHANT_ACTOR_MAX])
{
    return merchant_answer_actor(buf, req->merchant);
}

/* A merchant call on the request's parsed body, as the requesting key (schedule_book,
 * schedule_revoke). */
typedef void (*merchant_body_call)(const struct billing_env *env, const cJSON *body,
                                   const char *actor, const char *request_id,
                                   struct merchant_answer *out);

/* The whole handler of such a route: the actor, the call on req->body, the reply. */
static inline void merchant_route_body(struct request *req, struct reply *rep,
                                       merchant_body_call call)
{
    char actor[MERCHANT_ACTOR_MAX];
    struct merchant_answer a = {0};
    call(&route_env(req)->billing, req->body, merchant_actor(req, actor), req->request_id, &a);
    merchant_reply(rep, &a);
}

#endif
