/* POST /subscribe/payments/unschedule (iamport-compatible): revokes schedules at iamport and in billkey's ledger. */
#include "routes/routes.h"

#include "routes/route_env.h"
#include "routes/schedule_reply.h"

void route_subscribe_unschedule(struct request *req, struct reply *rep)
{
    char actor[SCHEDULE_ACTOR_SIZE];
    struct schedule_actor who;
    struct schedule_answer a;
    schedule_actor_of(req, actor, &who);
    schedule_revoke(&route_env(req)->billing, &who, req->body, &a);
    schedule_reply(rep, &a);
}
