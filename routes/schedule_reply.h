/* What the schedule handlers share: who is asking, and the domain's answer as iamport's envelope. */
#ifndef BILLKEY_SCHEDULE_REPLY_H
#define BILLKEY_SCHEDULE_REPLY_H

#include <stdio.h>

#include "routes/route_env.h"
#include "server/billing/schedule.h"
#include "server/http/http.h"

/* Room for "api:<key name>". */
#define SCHEDULE_ACTOR_SIZE 160

/* Fills who (actor written into buf) from the request: audit actor "api:<key name>". */
static inline void schedule_actor_of(const struct request *req, char buf[SCHEDULE_ACTOR_SIZE],
                                     struct schedule_actor *who)
{
    snprintf(buf, SCHEDULE_ACTOR_SIZE, "api:%s", req->merchant ? req->merchant : "?");
    who->actor = buf;
    who->request_id = req->request_id;
}

/* Sends the answer (its response moves into the reply) and releases it. */
static inline void schedule_reply(struct reply *rep, struct schedule_answer *a)
{
    reply_iamport(rep, a->http_status, a->code, a->message[0] ? a->message : NULL, a->response);
    rep->retry = a->retry;
    a->response = NULL;
    schedule_answer_release(a);
}

/* A schedule call on the request's body (schedule_book, schedule_revoke). */
typedef void (*schedule_body_call)(const struct billing_env *env, const struct schedule_actor *who,
                                   const cJSON *body, struct schedule_answer *out);

/* The whole handler of a POST schedule route: who asks, the call on req->body, the reply. */
static inline void schedule_route_body(struct request *req, struct reply *rep,
                                       schedule_body_call call)
{
    char actor[SCHEDULE_ACTOR_SIZE];
    struct schedule_actor who;
    struct schedule_answer a;
    schedule_actor_of(req, actor, &who);
    call(&route_env(req)->billing, &who, req->body, &a);
    schedule_reply(rep, &a);
}

#endif
