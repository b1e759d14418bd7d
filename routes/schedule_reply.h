/* What the schedule handlers share: who is asking, and the domain's answer as iamport's envelope. */
#ifndef BILLKEY_SCHEDULE_REPLY_H
#define BILLKEY_SCHEDULE_REPLY_H

#include <stdio.h>

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
    a->response = NULL;
    schedule_answer_release(a);
}

#endif
