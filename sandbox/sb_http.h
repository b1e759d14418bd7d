/* The sandbox's libmicrohttpd glue: bodies, fault injection, request log, dispatch to sb_routes. */
#ifndef BILLKEY_SB_HTTP_H
#define BILLKEY_SB_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define SB_MAX_BODY_BYTES (1024 * 1024)

struct sb_server;

/* Binds listen_addr (an IPv4 or IPv6 literal) on port (0 = any) and starts serving with a thread
 * per connection. On success returns 0, sets *out (caller stops it with sb_server_stop) and
 * *bound_port; on failure returns -1 with a message in err (errlen bytes). */
int sb_server_start(const char *listen_addr, int port, struct sb_server **out, int *bound_port,
                    char *err, size_t errlen);
/* Wakes requests sleeping in latency/hang faults, stops the daemon, frees the server. */
void sb_server_stop(struct sb_server *server);

/* Sleeps up to ms milliseconds; returns early (1) when the server is stopping, else 0. */
int sb_sleep_ms(int64_t ms);

#endif
