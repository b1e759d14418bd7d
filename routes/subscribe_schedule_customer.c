/* GET /subscribe/payments/schedule/customers/{customer_uid}?from&to&page&schedule-status (iamport-compatible): a customer's schedules, paged. */
#include "routes/routes.h"

#include "routes/merchant_reply.h"
#include "server/billing/schedule.h"

void route_subscribe_schedule_customer(struct request *req, struct reply *rep)
{
    struct merchant_answer a = {0};
    struct schedule_list_query q = {
        .from = request_query(req, "from"),
        .to = request_query(req, "to"),
        .page = request_query(req, "page"),
        .schedule_status = request_query(req, "schedule-status"),
    };
    schedule_list(&route_env(req)->billing, request_param(req, "customer_uid"), &q, &a);
    merchant_reply(rep, &a);
}
