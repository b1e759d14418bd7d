/* The socket-free request pipeline: route, cap, parse, handle, and the headers every reply gets. */
#include "server/http/http.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server/http/body.h"
#include "server/http/merchant_auth.h"

size_t http_route_body_cap(const struct route *route, size_t default_max)
{
    return (route && route->max_body) ? route->max_body : default_max;
}

static const char *const default_header_names[] = {"X-Request-Id", "X-Content-Type-Options",
                                                   "Cache-Control", "Referrer-Policy"};

static void add_default_headers(const struct request *req, struct reply *rep)
{
    /* reply_set_header drops headers past REPLY_MAX_HEADERS: a reply with no room for these
     * would go out without nosniff / no-store, so it becomes a 500 instead. */
    size_t missing = 0;
    for (size_t i = 0; i < sizeof default_header_names / sizeof default_header_names[0]; i++)
        missing += reply_header(rep, default_header_names[i]) == NULL;
    if (rep->header_count + missing > REPLY_MAX_HEADERS) {
        reply_release(rep);
        reply_error(rep, req, 500, "internal", NULL, "handler for '%s' set too many headers",
                    req->route_name ? req->route_name : "-");
    }
    reply_set_header(rep, "X-Request-Id", req->request_id);
    reply_set_header(rep, "X-Content-Type-Options", "nosniff");
    if (!reply_header(rep, "Cache-Control"))
        reply_set_header(rep, "Cache-Control", "no-store");
    if (!reply_header(rep, "Referrer-Policy"))
        reply_set_header(rep, "Referrer-Policy", "no-referrer");
}

void http_route_error(const struct route *route, const struct request *req, struct reply *rep,
                      int status, int iamport_code, const char *code, const char *field,
                      const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    if (route->flags & ROUTE_IAMPORT)
        reply_iamport(rep, status, iamport_code, message, NULL);
    else
        reply_error(rep, req, status, code, field, "%s", message);
}

/* 1 when path's first segment ("/payments") is that of an iamport-compatible route: a path there
 * that matches nothing is answered like iamport would, in its envelope. */
static int iamport_namespace(const struct http_site *site, const char *path)
{
    if (path[0] != '/')
        return 0;
    size_t seg = 1 + strcspn(path + 1, "/");
    for (size_t i = 0; i < site->route_count; i++) {
        const char *pattern = site->routes[i].pattern;
        if ((site->routes[i].flags & ROUTE_IAMPORT) && strncmp(pattern, path, seg) == 0 &&
            (pattern[seg] == '/' || pattern[seg] == '\0'))
            return 1;
    }
    return 0;
}

/* 404 / 405 / 400 (a path with "%00") for a request no route takes: iamport's envelope under
 * its paths (the sandbox's messages), billkey's error shape elsewhere. */
static void no_route_error(const struct http_site *site, const struct request *req,
                           struct reply *rep, int status, const char *allow)
{
    char message[512];
    int iamport = iamport_namespace(site, req->path);
    const char *code = status == 405 ? "method_not_allowed" : "not_found";
    if (status == 405) {
        reply_set_header(rep, "Allow", allow);
        snprintf(message, sizeof message, "%s'%s' accepts %s",
                 iamport ? "Method Not Allowed: " : "", req->path, allow);
    } else if (status == 400) {
        code = "bad_path";
        snprintf(message, sizeof message, "%s'%s'",
                 iamport ? "요청 경로를 해석할 수 없습니다: "
                         : "the path has an escape that decodes to NUL: ",
                 req->path);
    } else if (iamport) {
        snprintf(message, sizeof message, "요청하신 API를 찾을 수 없습니다: %s %s", req->method,
                 req->path);
    } else {
        snprintf(message, sizeof message, "no route for '%s'", req->path);
    }
    if (iamport)
        reply_iamport(rep, status, -1, message, NULL);
    else
        reply_error(rep, req, status, code, NULL, "%s", message);
}

/* The handler, inside the site's middleware when that applies to this route and method. */
static void run_handler(const struct http_site *site, const struct route *route,
                        struct request *req, struct reply *rep)
{
    const struct http_middleware *mw = site->middleware;
    if (mw && mw->wrap && (route->flags & mw->route_flags) == mw->route_flags &&
        (req->method_bit & mw->methods))
        mw->wrap(mw->ctx, route, req, rep);
    else
        route->handler(req, rep);
}

static void parse_body(const struct http_site *site, const struct route *route, struct request *req,
                       struct reply *rep)
{
    struct body_error err;
    cJSON *parsed = NULL;
    enum body_status st = body_parse(request_header(req, "Content-Type"), req->raw_body,
                                     req->raw_body_len, &parsed, &err);
    switch (st) {
    case BODY_OK:
        req->body = parsed;
        run_handler(site, route, req, rep);
        return;
    case BODY_UNSUPPORTED_MEDIA_TYPE:
        http_route_error(
            route, req, rep, 415, -1, "unsupported_media_type", NULL,
            "send the body as application/json or application/x-www-form-urlencoded (%s)",
            err.message);
        return;
    case BODY_MALFORMED:
        http_route_error(route, req, rep, 400, -1, "malformed_body",
                         err.field[0] ? err.field : NULL, "%s", err.message);
        return;
    }
    http_route_error(route, req, rep, 400, -1, "malformed_body", NULL,
                     "the request body could not be parsed");
}

const struct route *http_dispatch(const struct http_site *site, struct request *req,
                                  struct reply *rep)
{
    const struct route *route = NULL;
    char allow[96];

    req->ctx = site->ctx;
    if (!req->request_id[0])
        request_assign_id(req);

    switch (router_match(site->routes, site->route_count, req, &route, allow, sizeof allow)) {
    case ROUTER_NOT_FOUND:
        no_route_error(site, req, rep, 404, NULL);
        goto out;
    case ROUTER_METHOD_NOT_ALLOWED:
        no_route_error(site, req, rep, 405, allow);
        goto out;
    case ROUTER_BAD_PATH:
        no_route_error(site, req, rep, 400, NULL);
        goto out;
    case ROUTER_MATCH:
        break;
    }
    req->route_name = route->name;
    req->route_pattern = route->pattern;

    if (req->busy_retry_after > 0) {
        char seconds[16];
        snprintf(seconds, sizeof seconds, "%d", req->busy_retry_after);
        reply_set_header(rep, "Retry-After", seconds);
        http_route_error(
            route, req, rep, 503, -1, "over_capacity", NULL,
            "the server is serving as many connections and requests as it may; try again "
            "in %d s",
            req->busy_retry_after);
        goto out;
    }

    size_t cap = http_route_body_cap(route, site->max_body);
    if (req->body_too_large || req->raw_body_len > cap) {
        http_route_error(route, req, rep, 413, -1, "payload_too_large", NULL,
                         "request body is larger than %zu bytes", cap);
        goto out;
    }
    if (route->flags & ROUTE_MERCHANT) {
        req->merchant =
            (route->flags & ROUTE_IAMPORT)
                ? merchant_auth_require_iamport(site->merchant_keys, site->merchant_key_count,
                                                site->clock, req, rep)
                : merchant_auth_require(site->merchant_keys, site->merchant_key_count, site->clock,
                                        req, rep);
        if (!req->merchant)
            goto out;
    }
    if (route->flags & ROUTE_BODY)
        parse_body(site, route, req, rep);
    else
        run_handler(site, route, req, rep);

    if (rep->status == 0)
        http_route_error(route, req, rep, 500, -1, "internal", NULL,
                         "handler for '%s' produced no reply", route->name);
out:
    add_default_headers(req, rep);
    return route;
}
