/* HTTP request/reply types and the socket-free dispatch pipeline every handler runs behind. */
#ifndef BILLKEY_HTTP_H
#define BILLKEY_HTTP_H

#include <stddef.h>
#include <cjson/cJSON.h>

struct clock;
struct merchant_key;

/* One name/value pair. Both strings are owned by the struct that holds the array. */
struct http_kv {
    char *name;
    char *value;
};

enum http_method {
    HTTP_GET = 1u << 0,
    HTTP_POST = 1u << 1,
    HTTP_PUT = 1u << 2,
    HTTP_DELETE = 1u << 3,
    HTTP_PATCH = 1u << 4,
    HTTP_HEAD = 1u << 5,
    HTTP_OPTIONS = 1u << 6,
};

#define HTTP_MAX_PARAMS 4
#define HTTP_REQUEST_ID_MAX 64

/* A request as handlers see it. Everything it points to is owned by the request and freed by
 * request_release(); handlers borrow. Built by the libmicrohttpd glue or, in tests, by hand. */
struct request {
    char *method;        /* "GET", ... */
    unsigned method_bit; /* enum http_method, 0 when unknown */
    char *path;          /* the path as sent (percent-escapes intact), without the query
                            string; the router decodes each segment into params */
    struct http_kv *headers;
    size_t header_count;
    struct http_kv *query; /* decoded query arguments, in arrival order */
    size_t query_count;
    struct http_kv params[HTTP_MAX_PARAMS]; /* path parameters filled by the router */
    size_t param_count;
    char *raw_body; /* NUL-terminated copy of the body bytes (may contain NULs) */
    size_t raw_body_len;
    int body_too_large; /* set by the glue when the body exceeded the route's cap */
    cJSON *body;        /* parsed body object for ROUTE_BODY routes, else NULL */
    char request_id[HTTP_REQUEST_ID_MAX + 1];
    char *client_addr;         /* "127.0.0.1", may be NULL */
    const char *route_name;    /* static string of the matched route, or NULL */
    const char *route_pattern; /* the matched route's pattern ("/payments/{imp_uid}"), or NULL:
                                  what logs and metrics show instead of the raw path */
    const char *merchant; /* ROUTE_MERCHANT routes: the API key's name (borrowed from config) */
    void *ctx;            /* borrowed: http_site.ctx, what the handlers work with */
    int busy_retry_after; /* > 0: set by the glue when the server is over its connection
                               limit or its worker queue is full: dispatch answers 503 with
                               Retry-After of this many s */
};

/* Frees everything the request owns and zeroes it. */
void request_release(struct request *req);
/* Appends a header/query pair (copies both strings). */
void request_add_header(struct request *req, const char *name, const char *value);
void request_add_query(struct request *req, const char *name, const char *value);
/* As request_add_query for a pair still percent-escaped ('+' already read as a space): both are
 * decoded, malformed escapes kept; an escape decoding to NUL ends the string there. */
void request_add_query_escaped(struct request *req, const char *name, const char *value);
/* Copies the body bytes into raw_body. */
void request_set_body(struct request *req, const char *data, size_t len);
/* Case-insensitive header lookup; borrowed pointer or NULL. */
const char *request_header(const struct request *req, const char *name);
/* Query argument / path parameter lookup (exact name); borrowed pointer or NULL. */
const char *request_query(const struct request *req, const char *name);
const char *request_param(const struct request *req, const char *name);
/* Uses the incoming X-Request-Id when it is 1..64 of [A-Za-z0-9._-], else makes a random one. */
void request_assign_id(struct request *req);

#define REPLY_MAX_HEADERS 16

/* What a handler answers. Owned by the caller of the handler; reply_release() frees it. A reply
 * either has a body buffer or a file descriptor (file_fd >= 0), never both. */
struct reply {
    int status;         /* 0 until a handler sets it */
    char *content_type; /* owned */
    char *body;         /* owned */
    size_t body_len;
    int file_fd; /* owned; -1 when not a file reply */
    size_t file_size;
    struct http_kv headers[REPLY_MAX_HEADERS];
    size_t header_count;
    int retry; /* 1: the answer says "not done, retry" (outcome unknown, not sent): an
                  Idempotency-Key gives the key up instead of storing it */
};

/* Retry-After (seconds) of a 503 "busy, try again" answer (iamport calls capped, pool busy). */
#define REPLY_RETRY_AFTER_BUSY "1"

void reply_init(struct reply *rep);
void reply_release(struct reply *rep);
/* Sets (replacing) a response header; copies both strings. */
void reply_set_header(struct reply *rep, const char *name, const char *value);
/* Marks a "busy, try again" answer: Retry-After: REPLY_RETRY_AFTER_BUSY and rep->retry = 1. */
void reply_mark_retry_after(struct reply *rep);
/* Borrowed value of a response header, or NULL. */
const char *reply_header(const struct reply *rep, const char *name);
/* Serialises `body` as application/json; takes ownership of `body` (NULL → "{}"). */
void reply_json(struct reply *rep, int status, cJSON *body);
/* Copies `len` bytes as the body. */
void reply_bytes(struct reply *rep, int status, const char *content_type, const char *data,
                 size_t len);
/* Serves an open file; takes ownership of fd. */
void reply_file(struct reply *rep, int status, const char *content_type, int fd, size_t size);
/* The one error shape: {"error":{"code":code,"message":msg,"request_id":id[,"field":field]}}.
 * `field` may be NULL. Replaces any body already set. */
void reply_error(struct reply *rep, const struct request *req, int status, const char *code,
                 const char *field, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* iamport's envelope {"code":code,"message":message,"response":response} (server/http/
 * reply_iamport.c). `message` NULL is null; `response` NULL is null, else this call takes
 * ownership of it. Replaces any body already set; sent in one piece with its Content-Length. */
void reply_iamport(struct reply *rep, int status, int code, const char *message, cJSON *response);

typedef void (*route_handler)(struct request *req, struct reply *rep);

enum route_flags {
    ROUTE_BODY = 1u << 0, /* parse the body (JSON or form) into req->body before the handler */
    ROUTE_PREFIX =
        1u << 1, /* pattern ends in "/<star>": matches the prefix and anything below it */
    ROUTE_MERCHANT = 1u << 2, /* needs a merchant API key (401 before the body is even parsed);
                                 the key's name is in req->merchant */
    ROUTE_IAMPORT = 1u << 3,  /* iamport-compatible: errors dispatch makes (401, 413, 415, 400,
                                 500) use iamport's {code, message, response} envelope */
    ROUTE_INLINE = 1u << 4,   /* the handler never blocks (no PostgreSQL, iamport or lock held
                                 across I/O): it runs on the event thread, not a worker */
};

/* One row of the route table: methods (bitmask of enum http_method) + path pattern → handler.
 * Pattern segments "{name}" capture one path segment into req->params. */
struct route {
    unsigned methods;
    const char *pattern;
    route_handler handler;
    unsigned flags;
    size_t max_body;  /* 0: the configured MAX_BODY_BYTES */
    const char *name; /* stable name used in logs, e.g. "healthz" */
};

enum router_result {
    ROUTER_MATCH,
    ROUTER_NOT_FOUND,
    ROUTER_METHOD_NOT_ALLOWED,
    ROUTER_BAD_PATH, /* the path has an escape that decodes to NUL ("%00"): 400 */
};

/* Maps "GET", "POST", ... to its enum http_method bit; 0 for anything else. */
unsigned http_method_bit(const char *method);

/* Finds the route for method+path. req->path is matched as sent, segment by segment, and only a
 * matched segment is percent-decoded ('+' stays '+'), so "/payments/a%2Fb" is the imp_uid "a/b",
 * never the path "/payments/a/b". On ROUTER_MATCH, *out is the route and req->params are set
 * (decoded copies; a ROUTE_PREFIX route's "path" is the decoded rest). On ROUTER_METHOD_NOT_ALLOWED, `allow` gets a
 * comma-separated list ("GET, HEAD, POST") of the methods the path accepts. A HEAD request
 * matches GET routes. */
enum router_result router_match(const struct route *routes, size_t count, struct request *req,
                                const struct route **out, char *allow, size_t allow_len);

/* Code dispatch runs around the handler of some routes, after authentication and body parsing,
 * for work that needs both the request and the reply but not the route's own logic (billkey's
 * Idempotency-Key, routes/idempotency_wrap.c). A route opts in through its flags alone: the
 * middleware applies when the route has every flag of `route_flags` and the request's method is
 * one of `methods`. Everything is borrowed and must outlive the server. */
struct http_middleware {
    unsigned route_flags; /* enum route_flags the route must all have (0: every route) */
    unsigned methods;     /* enum http_method bits the request's method must be one of */
    /* Runs instead of route->handler and calls route->handler(req, rep) itself, once or not at
     * all (answering from elsewhere). ctx is the `ctx` below. A reply left without a status
     * becomes dispatch's 500, as for a bare handler. */
    void (*wrap)(void *ctx, const struct route *route, struct request *req, struct reply *rep);
    void *ctx;
};

/* What dispatch serves: the route table, the default body cap, the merchant API keys that
 * ROUTE_MERCHANT routes accept (directly or through merchant tokens, which expire by `clock`),
 * the middleware (if any) and the context every handler gets as req->ctx. Everything is
 * borrowed and must outlive the server. */
struct http_site {
    const struct route *routes;
    size_t route_count;
    size_t max_body;                          /* default body cap */
    const struct merchant_key *merchant_keys; /* NULL when none: merchant routes answer 401 */
    size_t merchant_key_count;
    const struct clock *clock;                /* merchant token expiry; NULL: the system clock */
    const struct http_middleware *middleware; /* NULL: every handler runs bare */
    void *ctx;
};

/* The whole pipeline without sockets: route lookup (404/405 + Allow), body cap (413), merchant
 * authentication (401), body parsing for ROUTE_BODY routes (415 / 400 naming the field), then
 * the handler; on ROUTE_IAMPORT routes those errors use iamport's envelope with code -1 (the
 * 401 is exactly {"code":-1,"message":"Unauthorized","response":null}); the handler runs
 * inside site->middleware when that applies to the route and method. Sets req->ctx to
 * site->ctx. Always leaves a complete reply (status set, X-Request-Id and default security
 * headers added). Returns the matched route or NULL. */
const struct route *http_dispatch(const struct http_site *site, struct request *req,
                                  struct reply *rep);
/* An error for a matched route: billkey's one error shape (reply_error with code and field), or
 * on ROUTE_IAMPORT routes iamport's envelope {"code":iamport_code,"message":…,"response":null}
 * with the same message. Dispatch's own errors use iamport_code -1. */
void http_route_error(const struct route *route, const struct request *req, struct reply *rep,
                      int status, int iamport_code, const char *code, const char *field,
                      const char *fmt, ...) __attribute__((format(printf, 8, 9)));
/* The cap that applies to a request for this route (route's max_body, else the default). */
size_t http_route_body_cap(const struct route *route, size_t default_max);

#endif
