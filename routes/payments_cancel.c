/* POST /payments/cancel (merchant, iamport-compatible): checked, cancelled at iamport, recorded and audited. */
#include "routes/routes.h"

#include "routes/merchant_reply.h"
#include "routes/route_env.h"
#include "server/billing/payment_cancel.h"

void route_payments_cancel(struct request *req, struct reply *rep)
{
    struct merchant_answer a = {0};
    struct payment_cancel_request cancel;
    char actor[MERCHANT_ACTOR_MAX];
    if (payment_cancel_parse(req->body, &cancel, &a))
        payment_cancel(&route_env(req)->billing, &cancel, merchant_actor(req, actor),
                       req->request_id, &a);
    merchant_reply(rep, &a);
}
