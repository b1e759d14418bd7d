/* HTTP request metrics: requests by route pattern, method and status, and latency by route. */
#include "server/http/http_metrics.h"

#include <stdio.h>

struct metrics_family http_metrics_requests = METRICS_COUNTER(
    "billkey_http_requests_total", "HTTP requests answered, by route pattern, method and status.",
    3, "route", "method", "status");
struct metrics_family http_metrics_duration =
    METRICS_HISTOGRAM("billkey_http_request_duration_seconds",
                      "Time from the first byte of a request to its answer, by route pattern.",
                      metrics_latency_bounds, 1, "route");

const char *http_metrics_route_label(const struct request *req)
{
    return req->route_pattern ? req->route_pattern : "unmatched";
}

void http_metrics_record(const struct request *req, int status, double seconds)
{
    char code[16];
    snprintf(code, sizeof code, "%d", status);
    /* a method outside HTTP's known ones is the client's bytes: one label value for them all */
    const char *method = req->method_bit ? req->method : "other";
    const char *route = http_metrics_route_label(req);
    metrics_add(&http_metrics_requests, (const char *const[]){route, method, code}, 1);
    metrics_observe(&http_metrics_duration, (const char *const[]){route}, seconds);
}
