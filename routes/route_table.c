/* The route table: every URL billkeyd serves, its methods, handler and body rules. */
#include "routes/routes.h"

const struct route billkey_routes[] = {
    /* operations */
    {HTTP_GET, "/healthz", route_healthz, 0, 0, "healthz"},
    {HTTP_GET, "/readyz", route_readyz, 0, 0, "readyz"},
    /* billing-key issuance */
    {HTTP_POST, "/api/checkouts", route_checkouts_create, ROUTE_MERCHANT | ROUTE_BODY, 16 * 1024,
     "checkouts_create"},
    {HTTP_POST, "/demo/checkouts", route_demo_checkouts_create, ROUTE_BODY, 16 * 1024,
     "demo_checkouts_create"},
    {HTTP_GET, "/checkout/config", route_checkout_config, 0, 0, "checkout_config"},
    {HTTP_POST, "/payments/complete", route_payments_complete, ROUTE_BODY, 4 * 1024,
     "payments_complete"},
    {HTTP_GET, "/payments/complete/mobile", route_payments_complete_mobile, 0, 0,
     "payments_complete_mobile"},
    {HTTP_GET, "/api/customers/{customer_id}", route_customers_show, ROUTE_MERCHANT, 0,
     "customers_show"},
    /* iamport-compatible merchant API */
    {HTTP_POST, "/users/getToken", route_users_get_token, ROUTE_BODY | ROUTE_IAMPORT, 4 * 1024,
     "users_get_token"},
    {HTTP_POST, "/subscribe/payments/again", route_subscribe_payments_again,
     ROUTE_IAMPORT | ROUTE_MERCHANT | ROUTE_BODY, 16 * 1024, "subscribe_payments_again"},
    /* the demo checkout page and its assets */
    {HTTP_GET, "/", route_index, 0, 0, "index"},
    {HTTP_GET, "/static/*", route_static_file, ROUTE_PREFIX, 0, "static"},
};

const size_t billkey_route_count = sizeof billkey_routes / sizeof billkey_routes[0];
