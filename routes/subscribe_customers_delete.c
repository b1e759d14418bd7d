/* DELETE /subscribe/customers/{customer_uid}?reason&extra[requester] (merchant, iamport-compatible): unschedule, then delete the key. */
#include "routes/routes.h"

#include "routes/merchant_reply.h"
#include "routes/route_env.h"
#include "server/billing/customer_key.h"

void route_subscribe_customers_delete(struct request *req, struct reply *rep)
{
    struct merchant_answer a = {0};
    char actor[MERCHANT_ACTOR_MAX];
    customer_key_delete(&route_env(req)->billing, request_param(req, "customer_uid"),
                        request_query(req, "reason"), request_query(req, "extra[requester]"),
                        merchant_actor(req, actor), req->request_id, &a);
    merchant_reply(rep, &a);
}
