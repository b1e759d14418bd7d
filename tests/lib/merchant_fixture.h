/* Merchant-API test helpers on top of issuance_fixture: calls with FX_API_KEY, iamport's envelope, the sandbox's request log, payments rows. */
#ifndef BILLKEY_TESTS_MERCHANT_FIXTURE_H
#define BILLKEY_TESTS_MERCHANT_FIXTURE_H

#include <cjson/cJSON.h>

#include "tests/lib/billkeyd_proc.h"
#include "tests/lib/http_client.h"
#include "tests/lib/issuance_fixture.h"

/* Content types for fx_merchant(). */
#define FX_JSON "application/json"
#define FX_FORM "application/x-www-form-urlencoded"

/* method + path on billkeyd p (NULL = fx's) with "Authorization: Bearer FX_API_KEY" and body
 * (NULL: none) sent as content_type (FX_JSON, FX_FORM or any other; NULL = FX_JSON). Fills *r
 * (caller releases) and returns the HTTP status (0 when no answer came). */
long fx_merchant(const struct fx *fx, const struct billkeyd_proc *p, const char *method,
                 const char *path, const char *content_type, const char *body,
                 struct http_client_response *r);

/* POST body as JSON to path on billkeyd p (NULL = fx's) with FX_API_KEY and "Idempotency-Key:
 * idem". Fills *r (caller releases); returns fx_replayed(r). */
int fx_merchant_keyed(const struct fx *fx, const struct billkeyd_proc *p, const char *path,
                      const char *idem, const char *body, struct http_client_response *r);
/* 1 when r carries "Idempotent-Replayed: true", 0 when it has no such header; asserts the
 * header has no other value. */
int fx_replayed(const struct http_client_response *r);

/* Asserts iamport's envelope: HTTP status, code, the exact message when message is not NULL,
 * and a null response when code is not 0. */
void fx_expect_envelope(const struct http_client_response *r, long status, int code,
                        const char *message);

/* How many requests in the sandbox's request log match method (NULL: any) and path: the exact
 * path, or every path starting with what precedes a final '*' ("/payments/find/" then '*'). When first is not
 * NULL it gets the log index of the first match (-1 when none). */
int fx_sandbox_requests(const struct fx *fx, const char *method, const char *path, int *first);

/* A copy of the body of the last request in the sandbox's log whose path is exactly path, or
 * NULL when there is none (caller deletes). */
cJSON *fx_sandbox_last_body(const struct fx *fx, const char *path);

/* payments.<column>::text (a trusted column name) of merchant_uid mu, or NULL (caller frees). */
char *fx_payment_column(const struct fx *fx, const char *column, const char *mu);

#endif
