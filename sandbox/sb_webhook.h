/* Webhook delivery: a queue served by background threads posting {imp_uid, ...}. */
#ifndef BILLKEY_SB_WEBHOOK_H
#define BILLKEY_SB_WEBHOOK_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "sandbox/sb_state.h"

#define SB_WEBHOOK_CONNECT_TIMEOUT_S 10
#define SB_WEBHOOK_READ_TIMEOUT_S 30
/* How long a window answer waits for its webhook with issue_webhook_before_result. */
#define SB_WEBHOOK_WAIT_MS 15000

/* Starts the delivery threads. Returns 0, or -1 when a thread could not be created. */
int sb_webhook_start(void);
/* Stops the threads (aborting deliveries in flight), drops queued jobs, frees the log. */
void sb_webhook_stop(void);

/* Queues one POST to url (copied) after delay_ms. cancellation_id may be NULL. One attempt,
 * loopback URLs only: a refused or failed delivery is recorded in the log. */
void sb_webhook_queue(const char *url, enum sb_webhook_format format, const char *imp_uid,
                      const char *merchant_uid, const char *status, const char *cancellation_id,
                      int64_t delay_ms);

/* Queues the webhook for payment p to url_override, else p's notice_url, else the configured
 * URL; does nothing when there is none. Caller holds the state lock. */
void sb_webhook_for_payment(struct sb_state *st, const struct sb_payment *p,
                            const char *url_override, const char *cancellation_id,
                            int64_t delay_ms);

/* Waits until no delivery is queued or in flight, at most timeout_ms. Returns 0 when idle, -1
 * on timeout. Call without the state lock (a receiver may call the sandbox back). */
int sb_webhook_wait_idle(int64_t timeout_ms);

/* 1 when url is http(s) to localhost, 127.0.0.0/8 or [::1]. */
int sb_url_is_loopback(const char *url);

/* The delivery log: {"webhooks":[{url, format, body, http_status, error}]} (new object, caller
 * owns). */
cJSON *sb_webhook_log_json(void);
/* Clears the log and drops queued (not yet started) deliveries. */
void sb_webhook_reset(void);

#endif
