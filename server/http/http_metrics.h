/* HTTP request metrics: requests by route pattern, method and status, and latency by route. */
#ifndef BILLKEY_HTTP_METRICS_H
#define BILLKEY_HTTP_METRICS_H

#include "server/core/metrics.h"
#include "server/http/http.h"

/* billkey_http_requests_total{route,method,status} and
 * billkey_http_request_duration_seconds{route}. Static storage; never freed. */
extern struct metrics_family http_metrics_requests;
extern struct metrics_family http_metrics_duration;

/* The route label of a request: its route's pattern, "unmatched" when no route matched.
 * Static storage. */
const char *http_metrics_route_label(const struct request *req);
/* Counts one finished request (status 0: none was sent) that took `seconds`. */
void http_metrics_record(const struct request *req, int status, double seconds);

#endif
