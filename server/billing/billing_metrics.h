/* Money metrics: charges settled in the payments ledger by outcome, and the won they charged. */
#ifndef BILLKEY_BILLING_METRICS_H
#define BILLKEY_BILLING_METRICS_H

#include <stdint.h>

#include "server/core/metrics.h"

/* billkey_charges_total{outcome} and billkey_charged_won_total. Static storage; never freed. */
extern struct metrics_family billing_metrics_charges;
extern struct metrics_family billing_metrics_won;

/* Counts one charge settled (committed) with this ledger status (paid, failed, unknown,
 * not_sent, …); a paid one adds its amount in won. */
void billing_metrics_charge_settled(const char *status, int64_t amount);

#endif
