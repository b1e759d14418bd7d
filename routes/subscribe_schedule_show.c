/* GET /subscribe/payments/schedule/{merchant_uid} (iamport-compatible): one schedule, refreshing billkey's rows. */
#include "routes/routes.h"

#include "routes/route_env.h"
#include "routes/schedule_reply.h"

void route_subscribe_schedule_show(struct request *req, struct reply *rep)
{
    char actor[SCHEDULE_ACTOR_SIZE];
    struct schedule_actor who;
    struct schedule_answer a;
    schedule_actor_of(req, actor, &who);
    schedule_lookup(&route_env(req)->billing, &who, request_param(req, "merchant_uid"), &a);
    schedule_reply(rep, &a);
}
