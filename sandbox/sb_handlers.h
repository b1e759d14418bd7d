/* Every route handler of the sandbox (REST, control API, checkout window). */
#ifndef BILLKEY_SB_HANDLERS_H
#define BILLKEY_SB_HANDLERS_H

#include "server/http/http.h"

/* The route table (sb_routes.c). */
extern const struct route sb_routes[];
extern const size_t sb_route_count;

/* sb_auth.c. sb_require_token answers 401 (code -1 "Unauthorized") and returns -1 unless the
 * request carries a live token in one of the three accepted headers; 0 when it does. */
int sb_require_token(struct request *req, struct reply *rep);
/* Which header form carried a token: "bearer", "authorization", "x-imptokenheader" or NULL. */
const char *sb_auth_form(const struct request *req);
void sb_get_token(struct request *req, struct reply *rep);

/* sb_payments.c */
void sb_get_payment(struct request *req, struct reply *rep);
void sb_find_payment_route(struct request *req, struct reply *rep);
void sb_cancel_payment(struct request *req, struct reply *rep);

/* sb_prepare.c */
void sb_prepare_create(struct request *req, struct reply *rep);
void sb_prepare_update(struct request *req, struct reply *rep);
void sb_prepare_get(struct request *req, struct reply *rep);

/* sb_again.c */
void sb_again(struct request *req, struct reply *rep);

/* sb_schedule.c */
void sb_schedule_create(struct request *req, struct reply *rep);
void sb_unschedule(struct request *req, struct reply *rep);
void sb_schedule_get(struct request *req, struct reply *rep);
void sb_schedule_list_customer(struct request *req, struct reply *rep);

/* sb_customers.c */
void sb_customer_get(struct request *req, struct reply *rep);
void sb_customer_delete(struct request *req, struct reply *rep);

/* sb_control.c, sb_control_more.c: the /__sandbox/ API (no auth, plain JSON). */
void sb_ctl_reset(struct request *req, struct reply *rep);
void sb_ctl_config(struct request *req, struct reply *rep);
void sb_ctl_customers(struct request *req, struct reply *rep);
void sb_ctl_decline(struct request *req, struct reply *rep);
void sb_ctl_faults_add(struct request *req, struct reply *rep);
void sb_ctl_faults_list(struct request *req, struct reply *rep);
void sb_ctl_faults_clear(struct request *req, struct reply *rep);
void sb_ctl_tokens_expire(struct request *req, struct reply *rep);
void sb_ctl_tokens(struct request *req, struct reply *rep);
void sb_ctl_clock(struct request *req, struct reply *rep);
void sb_ctl_schedules_execute(struct request *req, struct reply *rep);
void sb_ctl_webhooks_send(struct request *req, struct reply *rep);
void sb_ctl_webhooks_log(struct request *req, struct reply *rep);
void sb_ctl_webhooks_clear(struct request *req, struct reply *rep);
void sb_ctl_requests(struct request *req, struct reply *rep);
void sb_ctl_requests_clear(struct request *req, struct reply *rep);
void sb_ctl_ledger(struct request *req, struct reply *rep);
void sb_ctl_payment(struct request *req, struct reply *rep);
void sb_ctl_cancel(struct request *req, struct reply *rep);

/* sb_checkout_pages.c, sb_checkout_issue.c: the browser stand-in (checkout window). */
void sb_checkout_sdk(struct request *req, struct reply *rep);    /* GET /v1/iamport.js */
void sb_checkout_asset(struct request *req, struct reply *rep);  /* GET /__sandbox/static/{name} */
void sb_checkout_window(struct request *req, struct reply *rep); /* GET /__sandbox/window */
void sb_checkout_approve(struct request *req,
                         struct reply *rep); /* POST /__sandbox/window/approve */
void sb_checkout_decline(struct request *req,
                         struct reply *rep); /* POST /__sandbox/window/decline */

#endif
