/* POST /subscribe/payments/again (merchant, iamport-compatible): charge a billing key once per merchant_uid. */
#include "routes/routes.h"

#include "routes/merchant_reply.h"
#include "server/billing/again.h"

void route_subscribe_payments_again(struct request *req, struct reply *rep)
{
    struct merchant_answer a = {0};
    again_charge(&route_env(req)->billing, req->body, req->merchant, req->request_id, &a);
    merchant_reply(rep, &a);
}
