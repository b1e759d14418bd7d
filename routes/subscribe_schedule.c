/* POST /subscribe/payments/schedule (iamport-compatible): books future charges of a billing key through billkey's ledger. */
#include "routes/routes.h"

#include "routes/merchant_reply.h"
#include "server/billing/schedule.h"

void route_subscribe_schedule(struct request *req, struct reply *rep)
{
    merchant_route_body(req, rep, schedule_book);
}
