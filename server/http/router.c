/* Route lookup on the path as sent: method bitmask + pattern, segments decoded after they are matched; 404, 405, 400. */
#include "server/http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/percent.h"
#include "server/core/xalloc.h"

static const struct {
    unsigned bit;
    const char *name;
} method_names[] = {
    {HTTP_GET, "GET"},     {HTTP_HEAD, "HEAD"},     {HTTP_POST, "POST"},       {HTTP_PUT, "PUT"},
    {HTTP_PATCH, "PATCH"}, {HTTP_DELETE, "DELETE"}, {HTTP_OPTIONS, "OPTIONS"},
};

/* The n bytes at s percent-decoded ('+' stays '+', a malformed escape is kept as it is) into a
 * new string (caller frees). router_match refused "%00" before, so this cannot fail. */
static char *decode(const char *s, size_t n)
{
    char *out = percent_decode(s, n, PERCENT_KEEP_MALFORMED, NULL, NULL);
    return out ? out : xstrndup(s, n);
}

/* 1 when the path segment s[0..n) decodes to the literal pattern segment p[0..plen). */
static int segment_is(const char *p, size_t plen, const char *s, size_t n)
{
    if (!memchr(s, '%', n))
        return plen == n && strncmp(p, s, n) == 0;
    char *d = decode(s, n);
    int same = strlen(d) == plen && strncmp(p, d, plen) == 0;
    free(d);
    return same;
}

/* Matches `path` (as sent: percent-escapes intact) against `pattern` segment by segment, so an
 * escaped '/' ("%2F") stays inside its segment; each segment is decoded only once it is matched.
 * On success fills params (decoded copies) and returns 1. */
static int pattern_match(const char *pattern, unsigned flags, const char *path,
                         struct http_kv *params, size_t *param_count)
{
    const char *p = pattern, *s = path;
    size_t n = 0;

    if (flags & ROUTE_PREFIX) {
        size_t plen = strlen(pattern);
        /* "/static/<star>" matches the prefix "/static/"; the rest is decoded as a whole */
        if (plen < 2 || strcmp(pattern + plen - 2, "/*") != 0)
            return 0;
        if (strncmp(path, pattern, plen - 1) != 0)
            return 0;
        params[0].name = xstrdup("path");
        params[0].value = decode(path + plen - 1, strlen(path + plen - 1));
        *param_count = 1;
        return 1;
    }

    while (*p && *s) {
        if (*p != '/' || *s != '/')
            goto fail;
        p++;
        s++;
        const char *pend = strchr(p, '/');
        const char *send = strchr(s, '/');
        size_t plen = pend ? (size_t)(pend - p) : strlen(p);
        size_t slen = send ? (size_t)(send - s) : strlen(s);
        if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0 || n == HTTP_MAX_PARAMS)
                goto fail;
            params[n].name = xstrndup(p + 1, plen - 2);
            params[n].value = decode(s, slen);
            n++;
        } else if (!segment_is(p, plen, s, slen)) {
            goto fail;
        }
        p += plen;
        s += slen;
    }
    if (*p || *s)
        goto fail;
    *param_count = n;
    return 1;

fail:
    for (size_t i = 0; i < n; i++) {
        free(params[i].name);
        free(params[i].value);
    }
    return 0;
}

enum router_result router_match(const struct route *routes, size_t count, struct request *req,
                                const struct route **out, char *allow, size_t allow_len)
{
    unsigned allowed = 0;
    unsigned want = req->method_bit == HTTP_HEAD ? (HTTP_HEAD | HTTP_GET) : req->method_bit;

    *out = NULL;
    if (!req->path || req->path[0] != '/')
        return ROUTER_NOT_FOUND;
    /* an escape that decodes to NUL would cut the id short: no route takes it */
    if (strstr(req->path, "%00"))
        return ROUTER_BAD_PATH;

    for (size_t i = 0; i < count; i++) {
        struct http_kv params[HTTP_MAX_PARAMS];
        size_t nparams = 0;
        if (!pattern_match(routes[i].pattern, routes[i].flags, req->path, params, &nparams))
            continue;
        if (want & routes[i].methods) {
            for (size_t k = 0; k < req->param_count; k++) {
                free(req->params[k].name);
                free(req->params[k].value);
            }
            memcpy(req->params, params, nparams * sizeof params[0]);
            req->param_count = nparams;
            *out = &routes[i];
            return ROUTER_MATCH;
        }
        for (size_t k = 0; k < nparams; k++) {
            free(params[k].name);
            free(params[k].value);
        }
        allowed |= routes[i].methods;
    }
    if (!allowed)
        return ROUTER_NOT_FOUND;

    if (allowed & HTTP_GET)
        allowed |= HTTP_HEAD;
    size_t used = 0;
    if (allow_len)
        allow[0] = '\0';
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++) {
        if (!(allowed & method_names[i].bit))
            continue;
        int w = snprintf(allow + used, allow_len - used, "%s%s", used ? ", " : "",
                         method_names[i].name);
        if (w < 0 || (size_t)w >= allow_len - used)
            break;
        used += (size_t)w;
    }
    return ROUTER_METHOD_NOT_ALLOWED;
}

unsigned http_method_bit(const char *method)
{
    for (size_t i = 0; i < sizeof method_names / sizeof method_names[0]; i++)
        if (strcmp(method, method_names[i].name) == 0)
            return method_names[i].bit;
    return 0;
}
