/* Stateless merchant tokens: issue and verify "bkt1.NAME.EXPIRY.NONCE.MAC" (see merchant_token.h). */
#include "server/http/merchant_token.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "server/core/clock.h"
#include "server/http/merchant_keys.h"

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
#define NONCE_BYTES (MERCHANT_TOKEN_NONCE_HEX / 2)
#define MAC_BYTES (MERCHANT_TOKEN_MAC_HEX / 2)
/* "bkt1|" NAME "|" EXPIRY "|" NONCE */
#define MESSAGE_SIZE                                                                               \
    (5 + MERCHANT_TOKEN_NAME_MAX + 1 + MERCHANT_TOKEN_EXPIRY_MAX + 1 + MERCHANT_TOKEN_NONCE_HEX + 1)

static const char hex_digits[] = "0123456789abcdef";

static int name_valid(const char *name, size_t len)
{
    return len >= 1 && len <= MERCHANT_TOKEN_NAME_MAX && strspn(name, NAME_CHARS) >= len;
}

static void hex_encode(const unsigned char *bytes, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_digits[bytes[i] >> 4];
        out[2 * i + 1] = hex_digits[bytes[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

static int hex_value(char c)
{
    const char *p = c ? strchr(hex_digits, c) : NULL;
    return p ? (int)(p - hex_digits) : -1;
}

/* Decodes exactly 2*n lowercase hex digits; returns 0 or -1. */
static int hex_decode(const char *text, size_t n, unsigned char *out)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(text[2 * i]), lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

/* HMAC-SHA256(key, "bkt1|name|expiry|nonce") over the given text spans. Returns 0 or -1. */
static int token_mac(const char *key, const char *name, size_t name_len, const char *expiry,
                     size_t expiry_len, const char *nonce, unsigned char mac[MAC_BYTES])
{
    char message[MESSAGE_SIZE + 1];
    int n = snprintf(message, sizeof message, "bkt1|%.*s|%.*s|%.*s", (int)name_len, name,
                     (int)expiry_len, expiry, MERCHANT_TOKEN_NONCE_HEX, nonce);
    unsigned int mac_len = 0;
    if (n < 0 || (size_t)n >= sizeof message)
        return -1;
    if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)message, (size_t)n, mac,
              &mac_len) ||
        mac_len != MAC_BYTES)
        return -1;
    return 0;
}

/* The nonce of the one token of key for this expiry: the first NONCE_BYTES of
 * HMAC-SHA256(key, "bkt1-nonce|" NAME "|" EXPIRY). Returns 0 or -1. */
static int fixed_nonce(const struct merchant_key *key, const char *expiry,
                       unsigned char out[NONCE_BYTES])
{
    char message[11 + MERCHANT_TOKEN_NAME_MAX + 1 + MERCHANT_TOKEN_EXPIRY_MAX + 1];
    unsigned char mac[MAC_BYTES];
    unsigned int mac_len = 0;
    int n = snprintf(message, sizeof message, "bkt1-nonce|%s|%s", key->name, expiry);
    int rc = -1;
    if (n > 0 && (size_t)n < sizeof message &&
        HMAC(EVP_sha256(), key->key, (int)strlen(key->key), (const unsigned char *)message,
             (size_t)n, mac, &mac_len) &&
        mac_len == MAC_BYTES) {
        memcpy(out, mac, NONCE_BYTES);
        rc = 0;
    }
    OPENSSL_cleanse(mac, sizeof mac);
    return rc;
}

/* merchant_token_issue and merchant_token_issue_fixed: a random nonce, or the fixed one. */
static int issue(const struct merchant_key *key, int64_t expires_at, int fixed,
                 char out[MERCHANT_TOKEN_SIZE])
{
    unsigned char nonce_bytes[NONCE_BYTES], mac[MAC_BYTES];
    char nonce[MERCHANT_TOKEN_NONCE_HEX + 1], mac_hex[MERCHANT_TOKEN_MAC_HEX + 1];
    char expiry[MERCHANT_TOKEN_EXPIRY_MAX + 2];
    int rc = -1;

    out[0] = '\0';
    if (!key || !key->name || !key->key || !name_valid(key->name, strlen(key->name)) ||
        expires_at < 0)
        goto out;
    int expiry_len = snprintf(expiry, sizeof expiry, "%" PRId64, expires_at);
    if (expiry_len < 1 || expiry_len > MERCHANT_TOKEN_EXPIRY_MAX)
        goto out;
    if (fixed ? fixed_nonce(key, expiry, nonce_bytes) != 0
              : RAND_bytes(nonce_bytes, (int)sizeof nonce_bytes) != 1)
        goto out;
    hex_encode(nonce_bytes, sizeof nonce_bytes, nonce);
    if (token_mac(key->key, key->name, strlen(key->name), expiry, (size_t)expiry_len, nonce, mac) !=
        0)
        goto out;
    hex_encode(mac, sizeof mac, mac_hex);
    int n = snprintf(out, MERCHANT_TOKEN_SIZE, MERCHANT_TOKEN_PREFIX "%s.%s.%s.%s", key->name,
                     expiry, nonce, mac_hex);
    if (n < 0 || n > (int)MERCHANT_TOKEN_MAX_LEN) {
        out[0] = '\0';
        goto out;
    }
    rc = 0;
out:
    OPENSSL_cleanse(mac, sizeof mac);
    return rc;
}

int merchant_token_issue(const struct merchant_key *key, int64_t expires_at,
                         char out[MERCHANT_TOKEN_SIZE])
{
    return issue(key, expires_at, 0, out);
}

int merchant_token_issue_fixed(const struct merchant_key *key, int64_t expires_at,
                               char out[MERCHANT_TOKEN_SIZE])
{
    return issue(key, expires_at, 1, out);
}

/* The parts of a token, pointing into it. */
struct token_parts {
    const char *name, *expiry, *nonce, *mac;
    size_t name_len, expiry_len;
    int64_t expires_at;
};

/* Splits a token at its last three dots and checks every part strictly. Returns 0 or -1. */
static int token_split(const char *token, struct token_parts *p)
{
    size_t len = strnlen(token, MERCHANT_TOKEN_MAX_LEN + 1);
    size_t prefix = sizeof MERCHANT_TOKEN_PREFIX - 1;
    if (len > MERCHANT_TOKEN_MAX_LEN || len <= prefix ||
        strncmp(token, MERCHANT_TOKEN_PREFIX, prefix) != 0)
        return -1;
    const char *end = token + len;
    const char *dot_mac = NULL, *dot_nonce = NULL, *dot_expiry = NULL;
    for (const char *c = end; c > token + prefix && !dot_expiry;) {
        if (*--c != '.')
            continue;
        if (!dot_mac)
            dot_mac = c;
        else if (!dot_nonce)
            dot_nonce = c;
        else
            dot_expiry = c;
    }
    if (!dot_expiry)
        return -1;
    p->name = token + prefix;
    p->name_len = (size_t)(dot_expiry - p->name);
    p->expiry = dot_expiry + 1;
    p->expiry_len = (size_t)(dot_nonce - p->expiry);
    p->nonce = dot_nonce + 1;
    p->mac = dot_mac + 1;
    if (!name_valid(p->name, p->name_len) ||
        (size_t)(dot_mac - p->nonce) != MERCHANT_TOKEN_NONCE_HEX ||
        (size_t)(end - p->mac) != MERCHANT_TOKEN_MAC_HEX)
        return -1;
    if (p->expiry_len < 1 || p->expiry_len > MERCHANT_TOKEN_EXPIRY_MAX ||
        (p->expiry[0] == '0' && p->expiry_len > 1))
        return -1;
    p->expires_at = 0;
    for (size_t i = 0; i < p->expiry_len; i++) {
        if (p->expiry[i] < '0' || p->expiry[i] > '9')
            return -1;
        p->expires_at = p->expires_at * 10 + (p->expiry[i] - '0'); /* 18 digits fit */
    }
    for (size_t i = 0; i < MERCHANT_TOKEN_NONCE_HEX; i++) {
        if (hex_value(p->nonce[i]) < 0)
            return -1;
    }
    return 0;
}

enum merchant_token_status merchant_token_verify(const struct merchant_key *keys, size_t count,
                                                 const char *token, const struct clock *clock,
                                                 const char **name, int64_t *expires_at)
{
    struct token_parts p;
    char key_name[MERCHANT_TOKEN_NAME_MAX + 1];
    unsigned char presented[MAC_BYTES], expected[MAC_BYTES];
    enum merchant_token_status st = MERCHANT_TOKEN_MALFORMED;

    if (!token || token_split(token, &p) != 0 || hex_decode(p.mac, MAC_BYTES, presented) != 0)
        goto out;
    memcpy(key_name, p.name, p.name_len);
    key_name[p.name_len] = '\0';
    const struct merchant_key *key = merchant_key_find(keys, count, key_name);
    st = MERCHANT_TOKEN_UNKNOWN_KEY;
    if (!key)
        goto out;
    st = MERCHANT_TOKEN_BAD_MAC;
    if (token_mac(key->key, p.name, p.name_len, p.expiry, p.expiry_len, p.nonce, expected) != 0 ||
        CRYPTO_memcmp(presented, expected, sizeof expected) != 0)
        goto out;
    st = MERCHANT_TOKEN_EXPIRED;
    if (clock_now_s(clock) >= p.expires_at)
        goto out;
    st = MERCHANT_TOKEN_OK;
    if (name)
        *name = key->name;
    if (expires_at)
        *expires_at = p.expires_at;
out:
    OPENSSL_cleanse(expected, sizeof expected);
    return st;
}

const char *merchant_token_status_name(enum merchant_token_status st)
{
    switch (st) {
    case MERCHANT_TOKEN_OK:
        return "ok";
    case MERCHANT_TOKEN_MALFORMED:
        return "malformed";
    case MERCHANT_TOKEN_UNKNOWN_KEY:
        return "unknown_key";
    case MERCHANT_TOKEN_BAD_MAC:
        return "bad_mac";
    case MERCHANT_TOKEN_EXPIRED:
        return "expired";
    }
    return "unknown";
}
