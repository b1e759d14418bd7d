/* The Idempotency-Key middleware of merchant POSTs: dispatch's http_middleware around their handlers. */
#ifndef BILLKEY_IDEMPOTENCY_WRAP_H
#define BILLKEY_IDEMPOTENCY_WRAP_H

#include "server/billing/billing_env.h"
#include "server/http/http.h"

/* An http_middleware `wrap` (ctx: the const struct billing_env * whose pool stores the keys).
 * Without an Idempotency-Key header, or without req->merchant, it runs the handler as is.
 * Otherwise: 400 for a key that is not 1..255 printable ASCII characters; the stored answer with
 * `Idempotent-Replayed: true` for the same (API key name, key) and request (method, path,
 * body); 422 `idempotency_key_reused` for a different request; 409
 * `idempotency_key_in_progress` while the first one runs; 503 when the database cannot be asked.
 * ROUTE_IAMPORT routes get these refusals in iamport's envelope with code 1. A new request runs
 * the handler once; its answer is stored unless it is a 5xx, which gives the key up so that a
 * retry runs again. */
void route_idempotency_wrap(void *ctx, const struct route *route, struct request *req,
                            struct reply *rep);

/* The middleware main installs: every ROUTE_MERCHANT route, POST requests. ctx as above. */
struct http_middleware route_idempotency_middleware(const struct billing_env *env);

#endif
