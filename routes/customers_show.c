/* GET /api/customers/{customer_id} (merchant key): the customer's billing keys, cards and first payments. */
#include "routes/routes.h"

#include "routes/route_env.h"
#include "server/billing/checkout.h"
#include "server/billing/customer.h"

void route_customers_show(struct request *req, struct reply *rep)
{
    const char *customer_id = request_param(req, "customer_id");
    struct customer_view view;

    switch (customer_show(&route_env(req)->billing, customer_id, &view)) {
    case CUSTOMER_OK:
        reply_json(rep, 200, customer_view_json(customer_id, &view));
        break;
    case CUSTOMER_INVALID_ID:
        reply_error(rep, req, 400, "invalid_field", "customer_id",
                    "customer_id: must be 1..%d UTF-8 characters without control characters",
                    CHECKOUT_CUSTOMER_ID_MAX);
        break;
    case CUSTOMER_DB_UNAVAILABLE:
        reply_error(rep, req, 503, "database_unavailable", NULL,
                    "reading the billing keys failed (%s)", view.db_status);
        break;
    case CUSTOMER_INTERNAL:
        reply_error(rep, req, 500, "internal", NULL, "reading the billing keys failed (%s)",
                    view.db_status);
        break;
    }
    customer_view_release(&view);
}
