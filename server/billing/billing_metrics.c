/* Money metrics: charges settled in the payments ledger by outcome, and the won they charged. */
#include "server/billing/billing_metrics.h"

#include <string.h>

struct metrics_family billing_metrics_charges =
    METRICS_COUNTER("billkey_charges_total",
                    "Charges (merchant again calls and first charges) settled in the payments "
                    "ledger, by outcome (the ledger status: paid, failed, unknown, not_sent, ...).",
                    1, "outcome");
struct metrics_family billing_metrics_won =
    METRICS_COUNTER("billkey_charged_won_total", "Won charged by charges settled as paid.", 0);

void billing_metrics_charge_settled(const char *status, int64_t amount)
{
    metrics_add(&billing_metrics_charges, (const char *const[]){status}, 1);
    if (strcmp(status, "paid") == 0 && amount > 0)
        metrics_add(&billing_metrics_won, NULL, (uint64_t)amount);
}
