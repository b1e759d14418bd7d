/* POST /subscribe/payments/again (merchant, iamport-compatible): charge a billing key once per merchant_uid. */
#include "routes/routes.h"

#include "routes/route_env.h"
#include "server/billing/again.h"

void route_subscribe_payments_again(struct request *req, struct reply *rep)
{
    struct again_result r;
    again_charge(&route_env(req)->billing, req->body, req->merchant, req->request_id, &r);
    reply_iamport(rep, r.http_status, r.code, r.message[0] ? r.message : NULL, r.response);
    r.response = NULL; /* taken by the reply */
    again_result_release(&r);
}
