/* POST /subscribe/customers/{customer_uid} (merchant, iamport-compatible): key-in registration with card numbers, refused unread. */
#include "routes/routes.h"

#include "routes/merchant_reply.h"
#include "server/billing/customer_key.h"

/* The route has no ROUTE_BODY: the body (card numbers) is never parsed, logged, echoed or sent
 * anywhere; it is dropped with the request. */
void route_subscribe_customers_create(struct request *req, struct reply *rep)
{
    (void)req;
    struct merchant_answer a = {0};
    customer_key_refuse_card_data(&a);
    merchant_reply(rep, &a);
}
