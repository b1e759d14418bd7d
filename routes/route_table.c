/* The route table: every URL billkeyd serves, its methods, handler and body rules. */
#include "routes/routes.h"

const struct route billkey_routes[] = {
    /* operations */
    {HTTP_GET, "/healthz", route_healthz, ROUTE_INLINE, 0, "healthz"},
    {HTTP_GET, "/readyz", route_readyz, 0, 0, "readyz"},
    {HTTP_GET, "/openapi.json", route_openapi, ROUTE_INLINE, 0, "openapi"},
    /* billing-key issuance */
    {HTTP_POST, "/api/checkouts", route_checkouts_create, ROUTE_MERCHANT | ROUTE_BODY, 16 * 1024,
     "checkouts_create"},
    {HTTP_POST, "/demo/checkouts", route_demo_checkouts_create, ROUTE_BODY, 16 * 1024,
     "demo_checkouts_create"},
    {HTTP_GET, "/checkout/config", route_checkout_config, ROUTE_INLINE, 0, "checkout_config"},
    {HTTP_POST, "/payments/complete", route_payments_complete, ROUTE_BODY, 4 * 1024,
     "payments_complete"},
    {HTTP_GET, "/payments/complete/mobile", route_payments_complete_mobile, 0, 0,
     "payments_complete_mobile"},
    {HTTP_GET, "/api/customers/{customer_id}", route_customers_show, ROUTE_MERCHANT, 0,
     "customers_show"},
    /* iamport-compatible merchant API */
    {HTTP_POST, "/users/getToken", route_users_get_token, ROUTE_BODY | ROUTE_IAMPORT, 4 * 1024,
     "users_get_token"},
    {HTTP_POST, "/subscribe/payments/schedule", route_subscribe_schedule,
     ROUTE_IAMPORT | ROUTE_MERCHANT | ROUTE_BODY, 1024 * 1024, "subscribe_schedule"},
    {HTTP_POST, "/subscribe/payments/unschedule", route_subscribe_unschedule,
     ROUTE_IAMPORT | ROUTE_MERCHANT | ROUTE_BODY, 256 * 1024, "subscribe_unschedule"},
    {HTTP_GET, "/subscribe/payments/schedule/{merchant_uid}", route_subscribe_schedule_show,
     ROUTE_IAMPORT | ROUTE_MERCHANT, 0, "subscribe_schedule_show"},
    {HTTP_GET, "/subscribe/payments/schedule/customers/{customer_uid}",
     route_subscribe_schedule_customer, ROUTE_IAMPORT | ROUTE_MERCHANT, 0,
     "subscribe_schedule_customer"},
    {HTTP_GET, "/subscribe/customers/{customer_uid}/schedules", route_subscribe_schedule_customer,
     ROUTE_IAMPORT | ROUTE_MERCHANT, 0, "subscribe_customer_schedules"},
    {HTTP_GET, "/payments/find/{merchant_uid}", route_payments_find, ROUTE_IAMPORT | ROUTE_MERCHANT,
     0, "payments_find"},
    {HTTP_GET, "/payments/find/{merchant_uid}/{status}", route_payments_find,
     ROUTE_IAMPORT | ROUTE_MERCHANT, 0, "payments_find_status"},
    {HTTP_POST, "/payments/cancel", route_payments_cancel,
     ROUTE_IAMPORT | ROUTE_MERCHANT | ROUTE_BODY, 16 * 1024, "payments_cancel"},
    {HTTP_GET, "/payments/{imp_uid}", route_payments_show, ROUTE_IAMPORT | ROUTE_MERCHANT, 0,
     "payments_show"},
    {HTTP_GET, "/subscribe/customers/{customer_uid}", route_subscribe_customers_show,
     ROUTE_IAMPORT | ROUTE_MERCHANT, 0, "subscribe_customers_show"},
    {HTTP_DELETE, "/subscribe/customers/{customer_uid}", route_subscribe_customers_delete,
     ROUTE_IAMPORT | ROUTE_MERCHANT, 0, "subscribe_customers_delete"},
    /* key-in registration: refused without reading the body (card numbers) */
    {HTTP_POST, "/subscribe/customers/{customer_uid}", route_subscribe_customers_create,
     ROUTE_IAMPORT | ROUTE_MERCHANT, 64 * 1024, "subscribe_customers_create"},
    {HTTP_POST, "/subscribe/payments/again", route_subscribe_payments_again,
     ROUTE_IAMPORT | ROUTE_MERCHANT | ROUTE_BODY, 16 * 1024, "subscribe_payments_again"},
    /* iamport's webhook: public, recorded then settled by the webhook worker */
    {HTTP_POST, "/webhooks/iamport", route_webhooks_iamport, ROUTE_BODY, 4 * 1024,
     "webhooks_iamport"},
    /* the demo checkout page and its assets */
    {HTTP_GET, "/", route_index, ROUTE_INLINE, 0, "index"},
    {HTTP_GET, "/static/*", route_static_file, ROUTE_PREFIX | ROUTE_INLINE, 0, "static"},
    /* Prometheus scrape, behind METRICS_TOKEN */
    {HTTP_GET, "/metrics", route_metrics, 0, 0, "metrics"},
};

const size_t billkey_route_count = sizeof billkey_routes / sizeof billkey_routes[0];
