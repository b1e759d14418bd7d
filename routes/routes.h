/* Every route handler and the route table; the table itself is in routes/route_table.c. */
#ifndef BILLKEY_ROUTES_H
#define BILLKEY_ROUTES_H

#include <stddef.h>

#include "server/http/http.h"

extern const struct route billkey_routes[];
extern const size_t billkey_route_count;

void route_healthz(struct request *req, struct reply *rep);     /* routes/healthz.c */
void route_readyz(struct request *req, struct reply *rep);      /* routes/readyz.c */
void route_static_file(struct request *req, struct reply *rep); /* routes/static_files.c */
void route_index(struct request *req, struct reply *rep);       /* routes/static_files.c */
void route_openapi(struct request *req, struct reply *rep);     /* routes/static_files.c */

/* billing-key issuance: routes/checkouts_create.c (both checkout routes), checkout_config.c,
 * payments_complete.c, payments_complete_mobile.c, customers_show.c */
void route_checkouts_create(struct request *req, struct reply *rep);
void route_demo_checkouts_create(struct request *req, struct reply *rep);
void route_checkout_config(struct request *req, struct reply *rep);
void route_payments_complete(struct request *req, struct reply *rep);
void route_payments_complete_mobile(struct request *req, struct reply *rep);
void route_customers_show(struct request *req, struct reply *rep);

/* iamport-compatible merchant API: routes/users_get_token.c */
void route_users_get_token(struct request *req, struct reply *rep);
/* routes/subscribe_payments_again.c */
void route_subscribe_payments_again(struct request *req, struct reply *rep);

/* iamport-compatible schedules: routes/subscribe_schedule.c, subscribe_unschedule.c,
 * subscribe_schedule_show.c, subscribe_schedule_customer.c */
void route_subscribe_schedule(struct request *req, struct reply *rep);
void route_subscribe_unschedule(struct request *req, struct reply *rep);
void route_subscribe_schedule_show(struct request *req, struct reply *rep);
void route_subscribe_schedule_customer(struct request *req, struct reply *rep);
/* iamport-compatible lookups, cancels and billing keys: routes/payments_show.c, payments_find.c
 * (both find forms), payments_cancel.c, subscribe_customers_show.c, subscribe_customers_delete.c,
 * subscribe_customers_create.c (key-in refused) */
void route_payments_show(struct request *req, struct reply *rep);
void route_payments_find(struct request *req, struct reply *rep);
void route_payments_cancel(struct request *req, struct reply *rep);
void route_subscribe_customers_show(struct request *req, struct reply *rep);
void route_subscribe_customers_delete(struct request *req, struct reply *rep);
void route_subscribe_customers_create(struct request *req, struct reply *rep);

/* iamport's webhook (Notification URL): routes/webhooks_iamport.c */
void route_webhooks_iamport(struct request *req, struct reply *rep);

/* Prometheus metrics, behind METRICS_TOKEN: routes/metrics.c */
void route_metrics(struct request *req, struct reply *rep);

#endif
