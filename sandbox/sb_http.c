/* The sandbox's libmicrohttpd glue: bodies, fault injection, request log, dispatch to sb_routes. */
#include "sandbox/sb_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/http/body.h"
#include "server/http/http.h"
#include "server/core/log.h"
#include "server/core/xalloc.h"
#include "sandbox/sb_handlers.h"
#include "sandbox/sb_reply.h"
#include "sandbox/sb_state.h"

#define CONTROL_PREFIX "/__sandbox/"
#define BAD_JSON_BODY "{\"code\":0,\"message\":null,\"response\":{\"imp_uid\":"

struct sb_server {
    struct MHD_Daemon *daemon;
};

/* Per-request state: the raw request path and the upload buffer. Created by the URI log
 * callback (before MHD decodes the URL), freed in on_completed. */
struct upload {
    char *raw_path; /* path as sent, percent-escapes intact, without the query */
    int started;    /* the first access-handler call has happened */
    char *data;
    size_t len;
    size_t cap;
    int too_large;
};

static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sleep_wake = PTHREAD_COND_INITIALIZER;
static int stopping;

int sb_sleep_ms(int64_t ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&sleep_lock);
    while (!stopping && pthread_cond_timedwait(&sleep_wake, &sleep_lock, &until) == 0)
        ;
    int woken = stopping;
    pthread_mutex_unlock(&sleep_lock);
    return woken;
}

static int is_control(const char *path)
{
    return strncmp(path, CONTROL_PREFIX, strlen(CONTROL_PREFIX)) == 0;
}

/* The browser SDK script is not part of the REST API: it is neither faulted nor logged. */
static int is_sdk(const char *path)
{
    return strncmp(path, "/v1/", 4) == 0;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    request_add_header(cls, key, value ? value : "");
    return MHD_YES;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    request_add_query(cls, key, value ? value : "");
    return MHD_YES;
}

/* Parses the body into req->body (an empty object when there is none). Returns 0, or -1 with
 * the reason in msg. A body without Content-Type is read as JSON when it starts with '{'. */
static int parse_body(struct request *req, char *msg, size_t msglen)
{
    struct body_error err = {{0}, {0}};
    const char *ctype = request_header(req, "Content-Type");
    if (req->raw_body_len > 0 && (!ctype || !*ctype))
        ctype = req->raw_body[strspn(req->raw_body, " \t\r\n")] == '{'
                    ? "application/json"
                    : "application/x-www-form-urlencoded";
    enum body_status bs = body_parse(ctype, req->raw_body, req->raw_body_len, &req->body, &err);
    if (bs == BODY_OK)
        return 0;
    snprintf(msg, msglen, "요청 본문을 해석할 수 없습니다: %s", err.message);
    return -1;
}

/* Runs the matched handler, or answers 404/405/400 in the path's style. Routing uses the raw path
 * so an escaped '/' inside an id stays inside its segment; the router decodes each segment after
 * matching it ('+' stays '+', a malformed escape is kept as it is). */
static void dispatch(struct request *req, struct reply *rep)
{
    const struct route *route = NULL;
    char allow[128];
    enum router_result rr =
        router_match(sb_routes, sb_route_count, req, &route, allow, sizeof allow);
    int control = is_control(req->path);

    if (rr == ROUTER_MATCH) {
        route->handler(req, rep);
        return;
    }
    if (rr == ROUTER_BAD_PATH) {
        sb_fail(rep, 400, -1, "요청 경로를 해석할 수 없습니다: %s", req->path);
        return;
    }
    if (rr == ROUTER_METHOD_NOT_ALLOWED) {
        if (control)
            sb_control_error(rep, 405, "'%s' accepts %s", req->path, allow);
        else
            sb_fail(rep, 405, -1, "Method Not Allowed: '%s' accepts %s", req->path, allow);
        reply_set_header(rep, "Allow", allow);
        return;
    }
    if (control)
        sb_control_error(rep, 404, "no control endpoint '%s %s'", req->method, req->path);
    else
        sb_fail(rep, 404, -1, "요청하신 API를 찾을 수 없습니다: %s %s", req->method, req->path);
}

static void apply_fault_reply(const struct sb_fault_action *fault, struct reply *rep)
{
    if (fault->kind == SB_FAULT_HTTP500) {
        reply_release(rep);
        sb_fail(rep, 500, -1, "Internal Server Error (sandbox fault)");
    } else if (fault->kind == SB_FAULT_BAD_JSON) {
        reply_release(rep);
        reply_bytes(rep, 200, "application/json", BAD_JSON_BODY, strlen(BAD_JSON_BODY));
    }
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct reply *rep)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        rep->body_len, rep->body ? rep->body : "", MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return MHD_NO;
    if (rep->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->content_type);
    for (size_t i = 0; i < rep->header_count; i++)
        MHD_add_response_header(resp, rep->headers[i].name, rep->headers[i].value);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)rep->status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* Handles one complete request. Returns MHD_NO to drop the connection without a response. */
static enum MHD_Result handle(struct MHD_Connection *conn, const char *method, struct upload *up)
{
    struct request req = {0};
    struct reply rep;
    struct sb_fault_action fault = {0};
    int drop = 0;
    char msg[512];

    reply_init(&rep);
    req.method = xstrdup(method);
    req.method_bit = http_method_bit(method);
    req.path = xstrdup(up->raw_path);
    const char *url = req.path;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &req);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, &req);
    request_set_body(&req, up->data, up->len);
    int control = is_control(req.path);
    int unlogged = control || is_sdk(req.path);

    if (!unlogged) {
        struct sb_state *st = sb_state_lock();
        sb_take_fault(st, method, url, &fault);
        sb_state_unlock();
    }
    if (fault.active && !fault.after_processing) {
        if (fault.kind == SB_FAULT_LATENCY)
            sb_sleep_ms(fault.delay_ms);
        if (fault.kind == SB_FAULT_HANG) {
            sb_sleep_ms(fault.delay_ms);
            drop = 1;
        }
        drop |= fault.kind == SB_FAULT_DROP;
        apply_fault_reply(&fault, &rep);
    }

    if (!drop && rep.status == 0) {
        if (up->too_large) {
            if (control)
                sb_control_error(&rep, 413, "body larger than %d bytes", SB_MAX_BODY_BYTES);
            else
                sb_fail(&rep, 413, -1, "요청 본문이 %d바이트를 넘습니다.", SB_MAX_BODY_BYTES);
        } else if (parse_body(&req, msg, sizeof msg) != 0) {
            if (control)
                sb_control_error(&rep, 400, "%s", msg);
            else
                sb_fail(&rep, 400, -1, "%s", msg);
        } else {
            dispatch(&req, &rep);
        }
        if (fault.active && fault.after_processing) {
            if (fault.kind == SB_FAULT_LATENCY || fault.kind == SB_FAULT_HANG)
                sb_sleep_ms(fault.delay_ms);
            drop = fault.kind == SB_FAULT_DROP || fault.kind == SB_FAULT_HANG;
            apply_fault_reply(&fault, &rep);
        }
    }

    if (!unlogged) {
        cJSON *query = cJSON_CreateObject();
        for (size_t i = 0; i < req.query_count; i++)
            cJSON_AddStringToObject(query, req.query[i].name, req.query[i].value);
        struct sb_state *st = sb_state_lock();
        sb_log_request(st, method, url, query, sb_auth_form(&req), drop ? 0 : rep.status,
                       sb_redact_secrets(req.body));
        sb_state_unlock();
    }
    log_msg(LOG_INFO, NULL, "%s %s -> %d%s", method, url, drop ? 0 : rep.status,
            fault.active ? " (fault)" : "");

    enum MHD_Result result = drop ? MHD_NO : send_reply(conn, &rep);
    reply_release(&rep);
    request_release(&req);
    return result;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    struct upload *up = *con_cls;
    if (!up) { /* the URI log callback always runs first; this is only a safety net */
        up = xcalloc(1, sizeof *up);
        up->raw_path = xstrndup(url, strcspn(url, "?"));
        *con_cls = up;
    }
    if (!up->started) {
        up->started = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!up->too_large && up->len + *upload_size > SB_MAX_BODY_BYTES) {
            up->too_large = 1;
        } else if (!up->too_large) {
            if (up->len + *upload_size > up->cap) {
                up->cap = (up->len + *upload_size) * 2;
                up->data = xrealloc(up->data, up->cap);
            }
            memcpy(up->data + up->len, upload_data, *upload_size);
            up->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    return handle(conn, method, up);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct upload *up = *con_cls;
    if (!up)
        return;
    free(up->raw_path);
    free(up->data);
    free(up);
    *con_cls = NULL;
}

/* Called with the request line's URI before any decoding; the result becomes *con_cls. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    struct upload *up = xcalloc(1, sizeof *up);
    up->raw_path = xstrndup(uri, strcspn(uri, "?"));
    return up;
}

int sb_server_start(const char *listen_addr, int port, struct sb_server **out, int *bound_port,
                    char *err, size_t errlen)
{
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    const struct sockaddr *addr;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_AUTO | MHD_USE_ERROR_LOG;

    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET, listen_addr, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons((uint16_t)port);
        addr = (const struct sockaddr *)&v4;
    } else if (inet_pton(AF_INET6, listen_addr, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons((uint16_t)port);
        addr = (const struct sockaddr *)&v6;
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "cannot parse listen address '%s'", listen_addr);
        return -1;
    }
    pthread_mutex_lock(&sleep_lock);
    stopping = 0;
    pthread_mutex_unlock(&sleep_lock);

    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
    if (!d) {
        snprintf(err, errlen, "cannot listen on '%s' port %d", listen_addr, port);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *bound_port = info ? info->port : port;
    *out = xcalloc(1, sizeof **out);
    (*out)->daemon = d;
    return 0;
}

void sb_server_stop(struct sb_server *server)
{
    if (!server)
        return;
    pthread_mutex_lock(&sleep_lock);
    stopping = 1;
    pthread_cond_broadcast(&sleep_wake);
    pthread_mutex_unlock(&sleep_lock);
    MHD_stop_daemon(server->daemon);
    free(server);
}
