/* GET /subscribe/payments/schedule/{merchant_uid} (iamport-compatible): one schedule, refreshing billkey's rows. */
#include "routes/routes.h"

#include "routes/merchant_reply.h"
#include "server/billing/schedule.h"

void route_subscribe_schedule_show(struct request *req, struct reply *rep)
{
    struct merchant_answer a = {0};
    char actor[MERCHANT_ACTOR_MAX];
    schedule_lookup(&route_env(req)->billing, request_param(req, "merchant_uid"),
                    merchant_actor(req, actor), req->request_id, &a);
    merchant_reply(rep, &a);
}
