/* The libmicrohttpd daemon: an event loop turns connections into struct request, workers run http_dispatch, replies go out. */
#ifndef BILLKEY_HTTP_SERVER_H
#define BILLKEY_HTTP_SERVER_H

#include <stddef.h>

#include "server/http/http.h"

struct http_server;

/* Connections accepted past max_connections only to be answered 503 (see http_server_start). */
#define HTTP_OVERFLOW_CONNECTIONS(max) ((max) / 8 + 4)

struct http_server_options {
    const char *listen_addr; /* IPv4 or IPv6 literal */
    int port;                /* 0: pick a free port */
    int timeout_seconds;     /* idle connection timeout */
    unsigned max_connections;
    const struct http_site *site; /* borrowed; must outlive the server */
    /* How long a connection may take to deliver one request (headers and body), from its accept
     * or the end of its previous reply; past it the connection is closed. 0: no deadline. */
    int request_deadline_ms;
    unsigned per_ip_connection_limit; /* open connections per client address; 0: no limit */
    unsigned workers;                 /* threads running the handlers that may block (>= 1) */
    size_t queue_limit; /* complete requests waiting for a free worker; past it: 503 */
};

/* Binds and starts serving: a few event threads read requests and write replies for every
 * connection (an idle or slow connection costs no thread); a complete request whose handler
 * may block (PostgreSQL, iamport) runs on one of opts->workers threads while its connection is
 * suspended, or waits in a queue of opts->queue_limit; past that it is answered 503
 * over_capacity with Retry-After. Routes flagged ROUTE_INLINE, and requests answered without a
 * handler (404/405, early 413 and 503), are answered on the event thread. Up to max_connections
 * connections are served; HTTP_OVERFLOW_CONNECTIONS(max) more are accepted only to be answered
 * 503 with Retry-After once their request is in (and closed); past both, libmicrohttpd stops
 * accepting and new connections wait in the kernel's backlog. Returns the server, which the
 * caller stops with http_server_stop(), or NULL with *err (caller frees) saying what failed. */
struct http_server *http_server_start(const struct http_server_options *opts, char **err);
/* The bound port (useful when opts->port was 0). */
int http_server_port(const struct http_server *srv);
/* Graceful stop: stops accepting, waits up to grace_seconds for in-flight requests, lets every
 * request already handed to a worker finish (however long it takes), then closes every
 * connection and frees the server. */
void http_server_stop(struct http_server *srv, int grace_seconds);

#endif
