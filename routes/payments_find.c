/* GET /payments/find/{merchant_uid}[/{status}] (merchant, iamport-compatible): the newest Payment with it. */
#include "routes/routes.h"

#include "routes/merchant_reply.h"
#include "routes/route_env.h"
#include "server/billing/payment_lookup.h"

void route_payments_find(struct request *req, struct reply *rep)
{
    struct merchant_answer a = {0};
    payment_lookup_find(&route_env(req)->billing, request_param(req, "merchant_uid"),
                        request_param(req, "status"), req->request_id, &a);
    merchant_reply(rep, &a);
}
