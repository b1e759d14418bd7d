/* Merchant API authentication: "Authorization: Bearer <key>" checked against BILLKEY_API_KEYS. */
#ifndef BILLKEY_MERCHANT_AUTH_H
#define BILLKEY_MERCHANT_AUTH_H

#include "server/http.h"

/* Returns the name of the merchant API key the request presents (borrowed from the config
 * behind req->app), or NULL after answering 401 `unauthorized` with
 * `WWW-Authenticate: Bearer realm="billkey"` (plus error="invalid_token" when a key was
 * presented but is not valid). The scheme is matched case-insensitively; exactly one key must
 * follow it. The key is never logged or echoed. */
const char *merchant_auth_require(struct request *req, struct reply *rep);

#endif
