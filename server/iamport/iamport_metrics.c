/* iamport call metrics: calls by endpoint pattern and outcome, their latency, token refreshes. */
#include "server/iamport/iamport_metrics.h"

#include <string.h>

struct metrics_family iamport_metrics_calls =
    METRICS_COUNTER("billkey_iamport_calls_total",
                    "Calls to iamport by endpoint pattern and outcome (ok, declined, refused, "
                    "timeout, unknown).",
                    2, "endpoint", "outcome");
struct metrics_family iamport_metrics_duration =
    METRICS_HISTOGRAM("billkey_iamport_call_duration_seconds",
                      "Duration of calls to iamport, retries included, by endpoint pattern.",
                      metrics_latency_bounds, 1, "endpoint");
struct metrics_family iamport_metrics_token_refreshes =
    METRICS_COUNTER("billkey_iamport_token_refreshes_total",
                    "iamport access tokens fetched with POST /users/getToken, by outcome (ok, "
                    "failed).",
                    1, "outcome");

/* Every path the client calls; literal patterns before the ones they would also match. */
static const char *const endpoints[] = {
    "/users/getToken",
    "/payments/cancel",
    "/payments/prepare",
    "/payments/prepare/{merchant_uid}",
    "/payments/find/{merchant_uid}",
    "/payments/find/{merchant_uid}/{status}",
    "/payments/{imp_uid}",
    "/subscribe/payments/again",
    "/subscribe/payments/schedule",
    "/subscribe/payments/unschedule",
    "/subscribe/payments/schedule/customers/{customer_uid}",
    "/subscribe/payments/schedule/{merchant_uid}",
    "/subscribe/customers/{customer_uid}",
};

/* 1 when path (up to its '?') has pattern's segments, "{…}" matching any non-empty segment. */
static int path_matches(const char *pattern, const char *path)
{
    const char *p = pattern, *s = path;
    while (*p && *s && *s != '?') {
        if (*p == '{') {
            const char *seg_end = s;
            while (*seg_end && *seg_end != '/' && *seg_end != '?')
                seg_end++;
            if (seg_end == s)
                return 0;
            s = seg_end;
            p = strchr(p, '}');
            if (!p)
                return 0;
            p++;
            continue;
        }
        if (*p != *s)
            return 0;
        p++;
        s++;
    }
    return *p == '\0' && (*s == '\0' || *s == '?');
}

const char *iamport_metrics_endpoint(const char *path)
{
    for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++)
        if (path && path_matches(endpoints[i], path))
            return endpoints[i];
    return "other";
}

const char *iamport_metrics_outcome(bool money_call, enum iamport_status st, const cJSON *response,
                                    bool timed_out)
{
    switch (st) {
    case IAMPORT_OK: {
        if (!money_call) /* only a charge can be declined: no need to look at the answer */
            return "ok";
        const cJSON *status = cJSON_GetObjectItemCaseSensitive(response, "status");
        bool failed = cJSON_IsString(status) && strcmp(status->valuestring, "failed") == 0;
        return failed ? "declined" : "ok";
    }
    case IAMPORT_E_API:
    case IAMPORT_E_NOT_FOUND:
    case IAMPORT_E_AUTH:
        return "refused";
    default:
        return timed_out ? "timeout" : "unknown";
    }
}

void iamport_metrics_record(const char *path, bool money_call, enum iamport_status st,
                            const cJSON *response, bool declined, bool timed_out, double seconds)
{
    const char *endpoint = iamport_metrics_endpoint(path);
    const char *outcome = iamport_metrics_outcome(money_call, st, response, timed_out);
    if (declined && money_call && st == IAMPORT_OK)
        outcome = "declined";
    metrics_add(&iamport_metrics_calls, (const char *const[]){endpoint, outcome}, 1);
    metrics_observe(&iamport_metrics_duration, (const char *const[]){endpoint}, seconds);
}
