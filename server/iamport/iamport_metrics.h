/* iamport call metrics: calls by endpoint pattern and outcome, their latency, token refreshes. */
#ifndef BILLKEY_IAMPORT_METRICS_H
#define BILLKEY_IAMPORT_METRICS_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "server/core/metrics.h"
#include "server/iamport/iamport.h"

/* billkey_iamport_calls_total{endpoint,outcome}, billkey_iamport_call_duration_seconds{endpoint}
 * and billkey_iamport_token_refreshes_total{outcome}. Static storage; never freed. */
extern struct metrics_family iamport_metrics_calls;
extern struct metrics_family iamport_metrics_duration;
extern struct metrics_family iamport_metrics_token_refreshes;

/* The endpoint label of a request path: iamport's pattern ("/payments/{imp_uid}"; the query is
 * ignored), "other" for a path outside the client's endpoints. Static storage. */
const char *iamport_metrics_endpoint(const char *path);
/* The outcome label of one finished exchange: "ok"; "declined" (a money call answered with a
 * payment in status failed); "refused" (iamport answered with a refusal: code != 0, not found,
 * authentication); "timeout" (no answer in time); "unknown" (no readable answer: connection
 * refused or dropped, HTTP error without an envelope, unparsable answer). Static storage. */
const char *iamport_metrics_outcome(bool money_call, enum iamport_status st, const cJSON *response,
                                    bool timed_out);
/* Counts one exchange to `path` that was sent (its retries included) and its duration;
 * money_call: a call that moves money (IAMPORT_CALL_MONEY). `declined`: the answer, read
 * without a tree (response NULL), was a Payment in status failed. */
void iamport_metrics_record(const char *path, bool money_call, enum iamport_status st,
                            const cJSON *response, bool declined, bool timed_out, double seconds);

#endif
