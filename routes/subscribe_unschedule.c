/* POST /subscribe/payments/unschedule (iamport-compatible): revokes schedules at iamport and in billkey's ledger. */
#include "routes/routes.h"

#include "routes/merchant_reply.h"
#include "server/billing/schedule.h"

void route_subscribe_unschedule(struct request *req, struct reply *rep)
{
    merchant_route_body(req, rep, schedule_revoke);
}
