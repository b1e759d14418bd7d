/* GET /payments/{imp_uid} (merchant, iamport-compatible): iamport's Payment; billkey's ledger row follows it. */
#include "routes/routes.h"

#include "routes/merchant_reply.h"
#include "routes/route_env.h"
#include "server/billing/payment_lookup.h"

void route_payments_show(struct request *req, struct reply *rep)
{
    struct merchant_answer a = {0};
    payment_lookup_get(&route_env(req)->billing, request_param(req, "imp_uid"), req->request_id,
                       &a);
    merchant_reply(rep, &a);
}
