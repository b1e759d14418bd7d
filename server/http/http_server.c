/* The libmicrohttpd daemon: an event loop turns connections into struct request, workers run http_dispatch, replies go out. */
#include "server/http/http_server.h"

#include <arpa/inet.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/core/log.h"
#include "server/http/http_metrics.h"
#include "server/http/conn_deadline.h"
#include "server/http/worker_pool.h"
#include "server/core/utf8.h"
#include "server/core/xalloc.h"

/* How much of a body over its cap (sent without Content-Length) is read and dropped so that
 * the client still gets its 413, before the connection is closed instead. */
#define BODY_DISCARD_MAX (1024 * 1024)

/* Threads running libmicrohttpd's event loop (epoll where the system has it): they only read
 * requests and write replies, so a couple serve thousands of connections. */
#define HTTP_EVENT_THREADS 2

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_server_options opts;
    struct conn_deadline *deadlines; /* owned; every open connection */
    struct worker_pool *workers;     /* owned; runs the handlers of non-inline routes */
    atomic_int in_flight;
    atomic_int stopping; /* 1 once http_server_stop began: replies close their connection */
    int port;
};

/* Where a request is: being read on the event loop, waiting for or running on a worker (its
 * connection suspended), or answered by the worker (rep holds the reply to queue). */
enum ctx_state { CTX_READING, CTX_ON_WORKER, CTX_REPLY_READY };

/* Per-request state, allocated on the first callback and freed in on_completed. */
struct request_ctx {
    struct http_server *srv;
    struct MHD_Connection *mhd_conn; /* borrowed: what the worker resumes */
    const struct route *route;       /* borrowed from the site; NULL when none matched */
    enum ctx_state state;
    struct reply rep; /* the worker's reply, queued once the connection resumes */
    struct request req;
    char *body;
    size_t body_len;
    size_t body_cap;  /* the route's cap */
    size_t discarded; /* body bytes dropped after the cap was exceeded */
    struct timespec started;
    int status;
    int counted;             /* 1 once http_metrics_record counted the request */
    struct conn_entry *conn; /* borrowed from srv->deadlines: this connection */
};

static double ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) * 1000.0 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    struct request *req = cls;
    if (kind == MHD_HEADER_KIND)
        request_add_header(req, key, value);
    else if (kind == MHD_GET_ARGUMENT_KIND)
        request_add_query_escaped(req, key, value);
    return MHD_YES;
}

/* libmicrohttpd's unescape callback: decodes nothing, so the path reaches the router as sent
 * (an escaped '/' stays inside its segment) and query arguments are decoded by
 * request_add_query_escaped. */
static size_t keep_escaped(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strlen(s);
}

static void set_client_addr(struct MHD_Connection *conn, struct request *req)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char buf[INET6_ADDRSTRLEN] = "";
    if (!ci || !ci->client_addr)
        return;
    if (ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
                  buf, sizeof buf);
    else if (ci->client_addr->sa_family == AF_INET6)
        inet_ntop(AF_INET6,
                  &((const struct sockaddr_in6 *)(const void *)ci->client_addr)->sin6_addr, buf,
                  sizeof buf);
    if (buf[0])
        req->client_addr = xstrdup(buf);
}

/* The connection's entry in srv->deadlines (set by on_connection). */
static struct conn_entry *conn_entry_of(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Retry-After of a 503 for a connection over the limit: about when the tricklers that may fill
 * the server are cut. */
static int busy_retry_after(const struct http_server *srv)
{
    int s = (srv->opts.request_deadline_ms + 999) / 1000;
    return s < 1 ? 1 : s;
}

static struct request_ctx *ctx_new(struct http_server *srv, struct MHD_Connection *conn,
                                   const char *url, const char *method)
{
    struct request_ctx *ctx = xcalloc(1, sizeof *ctx);
    ctx->srv = srv;
    ctx->mhd_conn = conn;
    reply_init(&ctx->rep);
    ctx->conn = conn_entry_of(conn);
    if (conn_deadline_over_limit(ctx->conn))
        ctx->req.busy_retry_after = busy_retry_after(srv);
    clock_gettime(CLOCK_MONOTONIC, &ctx->started);
    ctx->req.method = xstrdup(method);
    ctx->req.method_bit = http_method_bit(method);
    ctx->req.path = xstrdup(url);
    ctx->req.ctx = srv->opts.site->ctx;
    MHD_get_connection_values(conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, collect_header,
                              &ctx->req);
    set_client_addr(conn, &ctx->req);
    request_assign_id(&ctx->req);

    char allow[96];
    router_match(srv->opts.site->routes, srv->opts.site->route_count, &ctx->req, &ctx->route, allow,
                 sizeof allow);
    ctx->body_cap = http_route_body_cap(ctx->route, srv->opts.site->max_body);

    const char *cl = request_header(&ctx->req, "Content-Length");
    if (cl) {
        char *end = NULL;
        unsigned long long n = strtoull(cl, &end, 10);
        if (end && *end == '\0' && n > ctx->body_cap)
            ctx->req.body_too_large = 1;
    }
    return ctx;
}

static void ctx_append(struct request_ctx *ctx, const char *data, size_t len)
{
    if (ctx->req.body_too_large)
        return;
    if (len > ctx->body_cap - ctx->body_len) {
        ctx->req.body_too_large = 1;
        free(ctx->body);
        ctx->body = NULL;
        ctx->body_len = 0;
        return;
    }
    ctx->body = xrealloc(ctx->body, ctx->body_len + len + 1);
    memcpy(ctx->body + ctx->body_len, data, len);
    ctx->body_len += len;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct request_ctx *ctx,
                                  struct reply *rep)
{
    struct MHD_Response *resp;
    if (rep->file_fd >= 0) {
        resp = MHD_create_response_from_fd(rep->file_size, rep->file_fd);
        if (resp)
            rep->file_fd = -1; /* MHD closes it now */
    } else {
        resp = MHD_create_response_from_buffer(rep->body_len, rep->body, MHD_RESPMEM_MUST_FREE);
        if (resp) {
            rep->body = NULL; /* MHD frees it now */
            rep->body_len = 0;
        }
    }
    if (!resp)
        return MHD_NO;
    if (rep->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->content_type);
    for (size_t i = 0; i < rep->header_count; i++)
        MHD_add_response_header(resp, rep->headers[i].name, rep->headers[i].value);
    /* during shutdown a kept-alive connection would be dropped under the client's next
     * request: tell it to stop using this one */
    if (atomic_load(&ctx->srv->stopping) || conn_deadline_over_limit(ctx->conn))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    ctx->status = rep->status;
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)rep->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* Runs the request through http_dispatch into ctx->rep (on the event loop or a worker). */
static void dispatch_to_reply(struct request_ctx *ctx)
{
    http_dispatch(ctx->srv->opts.site, &ctx->req, &ctx->rep);
    /* counted before the answer leaves, so a client that saw it also sees it counted */
    http_metrics_record(&ctx->req, ctx->rep.status, ms_since(&ctx->started) / 1000.0);
    ctx->counted = 1;
}

/* Queues the reply in ctx->rep on the connection. */
static enum MHD_Result send_ready_reply(struct MHD_Connection *conn, struct request_ctx *ctx)
{
    enum MHD_Result ret = send_reply(conn, ctx, &ctx->rep);
    reply_release(&ctx->rep);
    return ret;
}

/* The request is in: no deadline until its reply is out, and the body handed to the request. */
static void request_complete(struct request_ctx *ctx)
{
    conn_deadline_pause(ctx->srv->deadlines, ctx->conn);
    request_set_body(&ctx->req, ctx->body ? ctx->body : "", ctx->body_len);
}

/* Answers on the event loop: requests that never block (no route, an early 413 or 503, routes
 * flagged ROUTE_INLINE). */
static enum MHD_Result dispatch_and_send(struct MHD_Connection *conn, struct request_ctx *ctx)
{
    request_complete(ctx);
    dispatch_to_reply(ctx);
    return send_ready_reply(conn, ctx);
}

/* A worker thread: the handler runs here, then the connection resumes on its event thread,
 * which calls on_request again to queue the reply. */
static void run_on_worker(void *arg)
{
    struct request_ctx *ctx = arg;
    dispatch_to_reply(ctx);
    ctx->state = CTX_REPLY_READY; /* published to the event thread by the resume's lock */
    MHD_resume_connection(ctx->mhd_conn);
}

/* 1 when the request is answered on the event loop: nothing it does blocks (see README
 * "Connections and threads" for the rule and its measurement). */
static int answers_inline(const struct request_ctx *ctx)
{
    return !ctx->route || (ctx->route->flags & ROUTE_INLINE);
}

/* Hands a complete request to the worker pool, its connection suspended meanwhile; when the
 * queue is full it is answered 503 (dispatch's over_capacity, Retry-After) on the event loop. */
static enum MHD_Result dispatch_on_worker(struct MHD_Connection *conn, struct request_ctx *ctx)
{
    request_complete(ctx);
    ctx->state = CTX_ON_WORKER;
    /* suspended before the worker can resume it: a resume must follow its suspend */
    MHD_suspend_connection(conn);
    if (worker_pool_submit(ctx->srv->workers, run_on_worker, ctx) == 0)
        return MHD_YES;
    MHD_resume_connection(conn);
    ctx->req.busy_retry_after = atoi(REPLY_RETRY_AFTER_BUSY);
    dispatch_to_reply(ctx);
    ctx->state = CTX_REPLY_READY;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct http_server *srv = cls;
    struct request_ctx *ctx = *req_cls;
    (void)version;

    if (!ctx) {
        ctx = ctx_new(srv, conn, url, method);
        *req_cls = ctx;
        atomic_fetch_add(&srv->in_flight, 1);
        /* A declared body over the cap is refused before reading it, and a connection over
         * the limit is answered 503 at once. */
        if (ctx->req.body_too_large || ctx->req.busy_retry_after > 0)
            return dispatch_and_send(conn, ctx);
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (ctx->status == 0)
            ctx_append(ctx, upload_data, *upload_data_size);
        if (ctx->req.body_too_large)
            ctx->discarded += *upload_data_size;
        *upload_data_size = 0;
        /* A body without a declared length (chunked) that grows past the cap is read to its end
         * for the 413 (libmicrohttpd cannot answer in the middle of an upload), but not an
         * endless one: past BODY_DISCARD_MAX the connection is closed without an answer. */
        if (ctx->discarded > BODY_DISCARD_MAX)
            return MHD_NO;
        return MHD_YES;
    }
    if (ctx->status != 0)
        return MHD_YES; /* already answered (early 413) */
    if (ctx->state == CTX_REPLY_READY)
        return send_ready_reply(conn, ctx); /* the worker is done: the connection resumed */
    if (ctx->state == CTX_ON_WORKER)
        return MHD_YES; /* not reached: the connection stays suspended meanwhile */
    if (answers_inline(ctx))
        return dispatch_and_send(conn, ctx);
    return dispatch_on_worker(conn, ctx);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct request_ctx *ctx = *req_cls;
    (void)conn;
    if (!ctx)
        return;
    if (!ctx->counted) /* never answered (the client went away during its upload) */
        http_metrics_record(&ctx->req, 0, ms_since(&ctx->started) / 1000.0);
    enum log_level level = ctx->status >= 500 || ctx->status == 0 ? LOG_WARN : LOG_INFO;
    if (log_enabled(level)) {
        cJSON *f = cJSON_CreateObject();
        /* the method is the client's bytes: log lines must stay UTF-8. The path is the route's
         * pattern, never the raw path, so that no imp_uid or customer_uid reaches the log. */
        char *method = utf8_repair(ctx->req.method, strlen(ctx->req.method));
        cJSON_AddStringToObject(f, "method", method);
        free(method);
        cJSON_AddStringToObject(f, "path", http_metrics_route_label(&ctx->req));
        cJSON_AddStringToObject(f, "route", ctx->req.route_name ? ctx->req.route_name : "-");
        cJSON_AddNumberToObject(f, "status", ctx->status);
        cJSON_AddNumberToObject(f, "duration_ms",
                                (double)(long)(ms_since(&ctx->started) * 100) / 100);
        if (ctx->req.client_addr)
            cJSON_AddStringToObject(f, "client", ctx->req.client_addr);
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
            cJSON_AddNumberToObject(f, "termination", toe);
        log_json(level, ctx->req.request_id, "request", f);
    }
    /* the connection now waits for its next request, under the deadline again */
    conn_deadline_next(srv->deadlines, ctx->conn);
    request_release(&ctx->req);
    reply_release(&ctx->rep);
    free(ctx->body);
    free(ctx);
    *req_cls = NULL;
    atomic_fetch_sub(&srv->in_flight, 1);
}

/* Tracks every connection from accept to close for the request deadline and the limit. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct http_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        /* MHD closes the socket only after this returns */
        conn_deadline_remove(srv->deadlines, *socket_context);
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct request peer;
    memset(&peer, 0, sizeof peer);
    set_client_addr(conn, &peer);
    *socket_context =
        fd ? conn_deadline_add(srv->deadlines, fd->connect_fd, peer.client_addr) : NULL;
    request_release(&peer);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    (void)cls;
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    log_msg(LOG_WARN, NULL, "libmicrohttpd: %s", buf);
}

struct http_server *http_server_start(const struct http_server_options *opts, char **err)
{
    struct http_server *srv = xcalloc(1, sizeof *srv);
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    const struct sockaddr *addr;
    /* an event loop (epoll on Linux, else poll or select) on a few threads; handlers run on
     * srv->workers with their connection suspended */
    unsigned flags =
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;

    srv->opts = *opts;
    memset(&sin, 0, sizeof sin);
    memset(&sin6, 0, sizeof sin6);
    if (inet_pton(AF_INET, opts->listen_addr, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)opts->port);
        addr = (const struct sockaddr *)&sin;
    } else if (inet_pton(AF_INET6, opts->listen_addr, &sin6.sin6_addr) == 1) {
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons((uint16_t)opts->port);
        addr = (const struct sockaddr *)&sin6;
        flags |= MHD_USE_IPv6;
    } else {
        *err = xasprintf("listen address '%s' is not an IPv4 or IPv6 literal", opts->listen_addr);
        free(srv);
        return NULL;
    }

    /* 0: no deadline (the watchdog still counts connections for the 503) */
    srv->deadlines =
        conn_deadline_new(opts->request_deadline_ms > 0 ? opts->request_deadline_ms : INT_MAX,
                          opts->max_connections, err);
    if (!srv->deadlines) {
        free(srv);
        return NULL;
    }
    srv->workers = worker_pool_new(opts->workers, opts->queue_limit, err);
    if (!srv->workers) {
        conn_deadline_free(srv->deadlines);
        free(srv);
        return NULL;
    }
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)opts->port, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_logger, NULL, MHD_OPTION_SOCK_ADDR, addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)HTTP_EVENT_THREADS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)opts->timeout_seconds, MHD_OPTION_CONNECTION_LIMIT,
        opts->max_connections + HTTP_OVERFLOW_CONNECTIONS(opts->max_connections),
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->per_ip_connection_limit,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        srv, MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL, MHD_OPTION_END);
    if (!srv->daemon) {
        worker_pool_free(srv->workers);
        conn_deadline_free(srv->deadlines);
        *err = xasprintf("cannot listen on %s:%d (address in use or not permitted)",
                         opts->listen_addr, opts->port);
        free(srv);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : opts->port;
    return srv;
}

int http_server_port(const struct http_server *srv)
{
    return srv->port;
}

void http_server_stop(struct http_server *srv, int grace_seconds)
{
    if (!srv)
        return;
    atomic_store(&srv->stopping, 1);
    /* Stop accepting: MHD hands the listening socket back; closing it now makes new
     * connections fail at once instead of queueing in the backlog. */
    MHD_socket lsock = MHD_quiesce_daemon(srv->daemon);
    if (lsock != MHD_INVALID_SOCKET)
        close(lsock);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (atomic_load(&srv->in_flight) > 0 && ms_since(&t0) < grace_seconds * 1000.0) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    int left = atomic_load(&srv->in_flight);
    if (left > 0)
        log_msg(LOG_WARN, NULL, "shutdown grace period over with %d request(s) in flight", left);
    /* Every request handed to a worker runs to its end and resumes its connection
     * (libmicrohttpd refuses to stop with a connection still suspended); later ones are
     * answered 503 on the event loop. A handler that never returns keeps this waiting, as it
     * kept its connection's thread before: main's shutdown watchdog ends the process then. */
    worker_pool_stop(srv->workers);
    MHD_stop_daemon(srv->daemon);
    worker_pool_free(srv->workers);
    conn_deadline_free(srv->deadlines);
    free(srv);
}
