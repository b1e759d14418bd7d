/* What the iamport-compatible merchant handlers share: the answer as iamport's envelope, the audit actor. */
#ifndef BILLKEY_MERCHANT_REPLY_H
#define BILLKEY_MERCHANT_REPLY_H

#include <stdio.h>

#include "server/billing/merchant_answer.h"
#include "server/http/http.h"

/* Audit actors are "api:<key name>"; key names are short (BILLKEY_API_KEYS). */
#define MERCHANT_ACTOR_MAX 160

/* Sends *a as {code, message, response} with its HTTP status and releases it. */
static inline void merchant_reply(struct reply *rep, struct merchant_answer *a)
{
    reply_iamport(rep, a->http_status, a->code, a->message[0] ? a->message : NULL,
                  merchant_answer_take_response(a));
    rep->retry = a->retry;
    merchant_answer_release(a);
}

/* The audit actor of a merchant request into buf. */
static inline const char *merchant_actor(const struct request *req, char buf[MERCHANT_ACTOR_MAX])
{
    snprintf(buf, MERCHANT_ACTOR_MAX, "api:%s", req->merchant ? req->merchant : "?");
    return buf;
}

#endif
