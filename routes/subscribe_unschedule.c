/* POST /subscribe/payments/unschedule (iamport-compatible): revokes schedules at iamport and in billkey's ledger. */
#include "routes/routes.h"

#include "routes/schedule_reply.h"

void route_subscribe_unschedule(struct request *req, struct reply *rep)
{
    schedule_route_body(req, rep, schedule_revoke);
}
