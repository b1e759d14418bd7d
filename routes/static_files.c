/* GET / and GET /static/<path>: files from STATIC_DIR with MIME types, caching and a CSP; no traversal. */
#include "routes/routes.h"

#include "server/app.h"
#include "server/config.h"
#include "server/static_path.h"

/* Pages may load scripts only from this service; the checkout page's iamport SDK origin is
 * added by the checkout feature when it exists. */
#define STATIC_CSP                                                                                 \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "              \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "             \
    "form-action 'self'"

static void serve(struct request *req, struct reply *rep, const char *rel)
{
    int fd = -1;
    size_t size = 0;
    const char *mime = NULL;

    switch (static_resolve(req->app->cfg->static_dir, rel, &fd, &size, &mime)) {
    case STATIC_OK:
        reply_file(rep, 200, mime, fd, size);
        reply_set_header(rep, "Cache-Control", "public, max-age=300");
        reply_set_header(rep, "Content-Security-Policy", STATIC_CSP);
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
