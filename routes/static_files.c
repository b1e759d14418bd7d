/* GET /, GET /openapi.json and GET /static/<path>: files from STATIC_DIR with MIME types, caching and a CSP; no traversal. */
#include "routes/routes.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "routes/route_env.h"
#include "server/http/static_path.h"

/* Longest origin accepted from IAMPORT_SDK_URL ("https://" + host + ":" + port). */
#define SDK_ORIGIN_MAX 300

/* Pages may load scripts only from this service and the iamport SDK's origin (the checkout page
 * adds <script src=IAMPORT_SDK_URL>, and the SDK opens its window in an iframe from there). The
 * two %s are that origin with a leading space, or "" when IAMPORT_SDK_URL has no usable one. */
#define STATIC_CSP_FORMAT                                                                          \
    "default-src 'self'; script-src 'self'%s; style-src 'self'; img-src 'self' data:; "            \
    "connect-src 'self'%s; frame-src 'self'%s; object-src 'none'; base-uri 'none'; "               \
    "frame-ancestors 'none'; form-action 'self'"

static int is_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
}

static int is_ipv6_char(char c)
{
    return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') || c == ':' ||
           c == '.';
}

/* Checks "host[:port]" (host a DNS name or IPv4 literal, or "[IPv6]"; port 1..65535): nothing
 * that could end or extend a CSP source expression (';', ',', quotes, '*', spaces). */
static int valid_host_port(const char *s, size_t len)
{
    size_t i = 0;
    if (len > 0 && s[0] == '[') {
        for (i = 1; i < len && s[i] != ']'; i++)
            if (!is_ipv6_char(s[i]))
                return 0;
        if (i == len || i == 1)
            return 0;
        i++;
    } else {
        while (i < len && is_host_char(s[i]))
            i++;
        if (i == 0 || s[0] == '.' || s[0] == '-')
            return 0;
    }
    if (i == len)
        return 1;
    if (s[i] != ':' || i + 1 == len || len - i - 1 > 5)
        return 0;
    long port = 0;
    for (i++; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        port = port * 10 + (s[i] - '0');
    }
    return port >= 1 && port <= 65535;
}

/* Writes " scheme://host[:port]" of an http(s) URL (lower-cased, user info dropped) into out.
 * Returns 0, or -1 (out = "") when the URL has no origin that is safe to put in a CSP. */
static int sdk_origin(const char *url, char *out, size_t out_len)
{
    const char *scheme = NULL, *rest = NULL;
    out[0] = '\0';
    if (!url)
        return -1;
    if (strncasecmp(url, "https://", 8) == 0) {
        scheme = "https://";
        rest = url + 8;
    } else if (strncasecmp(url, "http://", 7) == 0) {
        scheme = "http://";
        rest = url + 7;
    } else {
        return -1;
    }
    size_t authority_len = strcspn(rest, "/?#");
    const char *host = rest;
    for (size_t i = 0; i < authority_len; i++)
        if (rest[i] == '@')
            host = rest + i + 1;
    size_t host_len = authority_len - (size_t)(host - rest);
    if (!valid_host_port(host, host_len) || host_len + strlen(scheme) + 2 > out_len)
        return -1;
    int n = snprintf(out, out_len, " %s%.*s", scheme, (int)host_len, host);
    if (n < 0 || (size_t)n >= out_len) {
        out[0] = '\0';
        return -1;
    }
    for (char *c = out; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    return 0;
}

static void set_csp(struct reply *rep, const char *sdk_url)
{
    char origin[SDK_ORIGIN_MAX];
    char csp[sizeof STATIC_CSP_FORMAT + 3 * SDK_ORIGIN_MAX];
    sdk_origin(sdk_url, origin, sizeof origin);
    snprintf(csp, sizeof csp, STATIC_CSP_FORMAT, origin, origin, origin);
    reply_set_header(rep, "Content-Security-Policy", csp);
}

static void serve(struct request *req, struct reply *rep, const char *rel)
{
    int fd = -1;
    size_t size = 0;
    const char *mime = NULL;

    switch (static_resolve(route_env(req)->static_dir, rel, &fd, &size, &mime)) {
    case STATIC_OK:
        reply_file(rep, 200, mime, fd, size);
        reply_set_header(rep, "Cache-Control", "public, max-age=300");
        set_csp(rep, route_env(req)->iamport_sdk_url);
        return;
    case STATIC_NOT_FOUND:
        reply_error(rep, req, 404, "not_found", NULL, "no static file '%s'", rel);
        return;
    case STATIC_FORBIDDEN:
        reply_error(rep, req, 403, "forbidden", NULL, "static path refused");
        return;
    case STATIC_BAD_PATH:
        reply_error(rep, req, 400, "bad_path", NULL, "static path is not valid");
        return;
    }
    reply_error(rep, req, 404, "not_found", NULL, "no static file '%s'", rel);
}

void route_static_file(struct request *req, struct reply *rep)
{
    serve(req, rep, request_param(req, "path"));
}

void route_index(struct request *req, struct reply *rep)
{
    serve(req, rep, "index.html");
}

/* GET /openapi.json: the OpenAPI 3.1 document of every route (tests/unit/test_openapi.c keeps it
 * and the route table in step). */
void route_openapi(struct request *req, struct reply *rep)
{
    serve(req, rep, "openapi.json");
}
