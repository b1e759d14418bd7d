/* Stateless merchant tokens: HMAC-SHA256 under the merchant API key, checked without a database. */
#ifndef BILLKEY_MERCHANT_TOKEN_H
#define BILLKEY_MERCHANT_TOKEN_H

#include <stddef.h>
#include <stdint.h>

struct clock;
struct merchant_key;

/* A token is printable ASCII without spaces:
 *
 *     "bkt1." NAME "." EXPIRY "." NONCE "." MAC
 *
 * NAME is the API key's name (1-32 of [A-Za-z0-9_.-], so it may contain '.'), EXPIRY the UNIX
 * second it stops working (decimal, no leading zero), NONCE 32 lowercase hex digits (16 random
 * bytes, or 16 derived from the key and EXPIRY for getToken's one token per expiry) and MAC 64
 * lowercase hex digits: HMAC-SHA256 keyed by the API key itself over "bkt1|" NAME "|" EXPIRY
 * "|" NONCE. EXPIRY, NONCE and MAC never contain '.', so the token is split at its last three
 * dots and NAME is what lies between the prefix and them. Nothing is stored to check one: every
 * instance with the same BILLKEY_API_KEYS accepts the token, and removing the key or changing its
 * secret makes it fail. */
#define MERCHANT_TOKEN_PREFIX "bkt1."
#define MERCHANT_TOKEN_LIFETIME_S 1800 /* 30 minutes, like iamport's access tokens */
/* getToken answers the current token until this little of it is left, then a new one (iamport
 * extends the same token by 5 minutes instead: an HMAC token cannot change its expiry) */
#define MERCHANT_TOKEN_RENEW_S 60
#define MERCHANT_TOKEN_NAME_MAX 32
#define MERCHANT_TOKEN_EXPIRY_MAX 18 /* digits: far beyond any real UNIX time */
#define MERCHANT_TOKEN_NONCE_HEX 32
#define MERCHANT_TOKEN_MAC_HEX 64
/* The longest token, and the buffer size that holds it with its NUL. */
#define MERCHANT_TOKEN_MAX_LEN                                                                     \
    (sizeof MERCHANT_TOKEN_PREFIX - 1 + MERCHANT_TOKEN_NAME_MAX + 1 + MERCHANT_TOKEN_EXPIRY_MAX +  \
     1 + MERCHANT_TOKEN_NONCE_HEX + 1 + MERCHANT_TOKEN_MAC_HEX)
#define MERCHANT_TOKEN_SIZE (MERCHANT_TOKEN_MAX_LEN + 1)

enum merchant_token_status {
    MERCHANT_TOKEN_OK = 0,
    MERCHANT_TOKEN_MALFORMED,   /* not a token: shape, lengths or characters are wrong */
    MERCHANT_TOKEN_UNKNOWN_KEY, /* well-formed, but no key of that name is configured */
    MERCHANT_TOKEN_BAD_MAC,     /* the MAC does not match (forged, tampered, or a changed key) */
    MERCHANT_TOKEN_EXPIRED,     /* authentic, but the clock reached EXPIRY */
};

/* Writes a new token for `key` that stops working at `expires_at` (UNIX seconds, >= 0) into
 * out (MERCHANT_TOKEN_SIZE bytes, caller-owned). Returns 0, or -1 (out = "") when the name is
 * invalid, expires_at is out of range, or the random nonce / HMAC failed. */
int merchant_token_issue(const struct merchant_key *key, int64_t expires_at,
                         char out[MERCHANT_TOKEN_SIZE]);

/* As merchant_token_issue with a nonce derived from the key, its name and expires_at (an HMAC
 * under the key) instead of a random one: the one token of that key for that expiry, the same
 * string on every instance, so getToken can answer the same token again as iamport does. */
int merchant_token_issue_fixed(const struct merchant_key *key, int64_t expires_at,
                               char out[MERCHANT_TOKEN_SIZE]);

/* Checks `token` (may be NULL) against the configured keys. The parse is strict (bounded
 * lengths, digits and lowercase hex only), the MAC is compared with CRYPTO_memcmp, and only an
 * authentic token is checked for expiry: it is valid while clock_now_s(clock) < EXPIRY (a NULL
 * clock is the system clock). On MERCHANT_TOKEN_OK, *name (when not NULL) is the key's name,
 * borrowed from keys, and *expires_at (when not NULL) its expiry; otherwise they are untouched. */
enum merchant_token_status merchant_token_verify(const struct merchant_key *keys, size_t count,
                                                 const char *token, const struct clock *clock,
                                                 const char **name, int64_t *expires_at);

/* "ok", "malformed", "unknown_key", "bad_mac" or "expired" (for logs and test messages). */
const char *merchant_token_status_name(enum merchant_token_status st);

#endif
