/* POST /subscribe/payments/schedule (iamport-compatible): books future charges of a billing key through billkey's ledger. */
#include "routes/routes.h"

#include "routes/route_env.h"
#include "routes/schedule_reply.h"

void route_subscribe_schedule(struct request *req, struct reply *rep)
{
    char actor[SCHEDULE_ACTOR_SIZE];
    struct schedule_actor who;
    struct schedule_answer a;
    schedule_actor_of(req, actor, &who);
    schedule_book(&route_env(req)->billing, &who, req->body, &a);
    schedule_reply(rep, &a);
}
