/* Merchant API authentication: an API key of BILLKEY_API_KEYS, or a merchant token in iamport's three forms. */
#ifndef BILLKEY_MERCHANT_AUTH_H
#define BILLKEY_MERCHANT_AUTH_H

#include <stddef.h>

#include "server/http/merchant_keys.h"

struct clock;
struct reply;
struct request;

enum merchant_auth_result {
    MERCHANT_AUTH_OK = 0,
    MERCHANT_AUTH_MISSING,       /* neither Authorization nor X-ImpTokenHeader */
    MERCHANT_AUTH_MALFORMED,     /* Authorization is neither "Bearer <credential>" nor a token */
    MERCHANT_AUTH_INVALID_KEY,   /* "Bearer <x>": x is no configured key and no token */
    MERCHANT_AUTH_INVALID_TOKEN, /* a token that is forged, expired, or whose key was removed
                                    or changed */
};

/* Who the request's credential names. Accepted: "Authorization: Bearer <API key>", and a
 * merchant token (merchant_token.h) as "Authorization: <token>", "Authorization: Bearer
 * <token>" or "X-ImpTokenHeader: <token>" (iamport's three forms). When both headers are sent,
 * Authorization decides. The scheme is matched case-insensitively. Tokens expire by `clock`
 * (NULL: the system clock). On MERCHANT_AUTH_OK *name is the key's name (borrowed from keys),
 * else NULL. Nothing is logged but the reason a token was refused. */
enum merchant_auth_result merchant_auth_identify(const struct merchant_key *keys, size_t count,
                                                 const struct clock *clock,
                                                 const struct request *req, const char **name);

/* merchant_auth_identify(), answering a failure with billkey's error shape: 401 `unauthorized`
 * with `WWW-Authenticate: Bearer realm="billkey"` (plus error="invalid_token" when a credential
 * was presented but is not valid). Returns the key's name, or NULL after answering. The
 * credential is never logged or echoed. */
const char *merchant_auth_require(const struct merchant_key *keys, size_t count,
                                  const struct clock *clock, struct request *req,
                                  struct reply *rep);

/* The same for iamport-compatible routes: a failure is HTTP 401 with exactly
 * {"code":-1,"message":"Unauthorized","response":null}, as iamport answers a bad token. */
const char *merchant_auth_require_iamport(const struct merchant_key *keys, size_t count,
                                          const struct clock *clock, struct request *req,
                                          struct reply *rep);

#endif
