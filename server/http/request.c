/* Request accessors: header/query/param lookup, body copy and request ids. */
#include "server/http/http.h"

#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/core/percent.h"
#include "server/core/xalloc.h"

static void kv_free(struct http_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].name);
        free(kv[i].value);
    }
}

void request_release(struct request *req)
{
    free(req->method);
    free(req->path);
    kv_free(req->headers, req->header_count);
    free(req->headers);
    kv_free(req->query, req->query_count);
    free(req->query);
    kv_free(req->params, req->param_count);
    free(req->raw_body);
    cJSON_Delete(req->body);
    free(req->client_addr);
    memset(req, 0, sizeof *req);
}

static void kv_append(struct http_kv **arr, size_t *count, const char *name, const char *value)
{
    *arr = xrealloc(*arr, (*count + 1) * sizeof **arr);
    (*arr)[*count].name = xstrdup(name);
    (*arr)[*count].value = xstrdup(value ? value : "");
    (*count)++;
}

void request_add_header(struct request *req, const char *name, const char *value)
{
    kv_append(&req->headers, &req->header_count, name, value);
}

void request_add_query(struct request *req, const char *name, const char *value)
{
    kv_append(&req->query, &req->query_count, name, value);
}

/* s percent-decoded (malformed escapes kept); an escape that decodes to NUL ends it there. */
static char *decode_query_text(const char *s)
{
    size_t nul_at = 0;
    char *out = percent_decode(s, strlen(s), PERCENT_KEEP_MALFORMED, NULL, &nul_at);
    return out ? out : percent_decode(s, nul_at, PERCENT_KEEP_MALFORMED, NULL, NULL);
}

void request_add_query_escaped(struct request *req, const char *name, const char *value)
{
    char *n = decode_query_text(name);
    char *v = decode_query_text(value ? value : "");
    kv_append(&req->query, &req->query_count, n, v);
    free(n);
    free(v);
}

void request_set_body(struct request *req, const char *data, size_t len)
{
    free(req->raw_body);
    req->raw_body = xmalloc(len + 1);
    if (len)
        memcpy(req->raw_body, data, len);
    req->raw_body[len] = '\0';
    req->raw_body_len = len;
}

const char *request_header(const struct request *req, const char *name)
{
    for (size_t i = 0; i < req->header_count; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

const char *request_query(const struct request *req, const char *name)
{
    for (size_t i = 0; i < req->query_count; i++)
        if (strcmp(req->query[i].name, name) == 0)
            return req->query[i].value;
    return NULL;
}

const char *request_param(const struct request *req, const char *name)
{
    for (size_t i = 0; i < req->param_count; i++)
        if (strcmp(req->params[i].name, name) == 0)
            return req->params[i].value;
    return NULL;
}

static int request_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > HTTP_REQUEST_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Request ids need to be unique, not secret: a per-thread xorshift128+ seeded once from the
 * CSPRNG (or, if it fails, the clock and the thread's address) instead of RAND_bytes per
 * request. */
static uint64_t request_id_random(void)
{
    static __thread uint64_t s[2];
    if (!s[0] && !s[1]) {
        if (RAND_bytes((unsigned char *)s, sizeof s) != 1 || (!s[0] && !s[1])) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            s[0] = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ 0x9E3779B97F4A7C15ULL;
            s[1] = (uint64_t)(uintptr_t)&s ^ 0xBF58476D1CE4E5B9ULL;
        }
    }
    uint64_t x = s[0];
    const uint64_t y = s[1];
    s[0] = y;
    x ^= x << 23;
    s[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
    return s[1] + y;
}

void request_assign_id(struct request *req)
{
    const char *incoming = request_header(req, "X-Request-Id");
    if (incoming && request_id_valid(incoming)) {
        snprintf(req->request_id, sizeof req->request_id, "%s", incoming);
        return;
    }
    /* 11 random bytes as hex in groups of 8, 8 and 6 joined by '_' (24 characters): a digit
     * run never reaches the 13 digits the logger masks as a card number, so the id in the log
     * is the one the client got. */
    static const char hex[] = "0123456789abcdef";
    uint64_t a = request_id_random(), b = request_id_random();
    unsigned char raw[11];
    memcpy(raw, &a, 8);
    memcpy(raw + 8, &b, 3);
    size_t o = 0;
    for (size_t i = 0; i < sizeof raw; i++) {
        if (i == 4 || i == 8)
            req->request_id[o++] = '_';
        req->request_id[o++] = hex[raw[i] >> 4];
        req->request_id[o++] = hex[raw[i] & 0x0f];
    }
    req->request_id[o] = '\0';
}
