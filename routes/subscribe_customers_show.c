/* GET /subscribe/customers/{customer_uid} (merchant, iamport-compatible): a key billkey issued, as iamport has it. */
#include "routes/routes.h"

#include "routes/merchant_reply.h"
#include "routes/route_env.h"
#include "server/billing/customer_key.h"

void route_subscribe_customers_show(struct request *req, struct reply *rep)
{
    struct merchant_answer a = {0};
    customer_key_get(&route_env(req)->billing, request_param(req, "customer_uid"), &a);
    merchant_reply(rep, &a);
}
