/* Open connections and the deadline for receiving each request: a watchdog cuts connections that take longer. */
#ifndef BILLKEY_CONN_DEADLINE_H
#define BILLKEY_CONN_DEADLINE_H

#include <stddef.h>

struct conn_deadline;
struct conn_entry;

/* Tracks connections and starts the watchdog thread, which shuts down (shutdown(2), so the
 * connection's own thread sees the end of the stream and closes it) every connection that has
 * been receiving a request for longer than deadline_ms: from its accept, or from the end of
 * its previous reply, to the moment the request's headers and body are all in. Slow clients
 * (a byte at a time resets the idle timeout) hold a thread for at most that long. `served` is
 * how many connections are served; later ones are marked over the limit. Returns NULL with
 * *err (caller frees) when the thread cannot start. Caller frees with conn_deadline_free(). */
struct conn_deadline *conn_deadline_new(int deadline_ms, size_t served, char **err);
/* Stops the watchdog and frees everything; entries still open are freed too. NULL is fine. */
void conn_deadline_free(struct conn_deadline *cd);

/* A new connection on socket fd from `peer` (copied; for the log), receiving its first request
 * from now. Owned by cd; the caller hands it back to conn_deadline_remove() once, just before
 * the socket is closed (the watchdog never touches an fd after that). */
struct conn_entry *conn_deadline_add(struct conn_deadline *cd, int fd, const char *peer);
void conn_deadline_remove(struct conn_deadline *cd, struct conn_entry *e);
/* The request is in (the handler runs and the reply goes out): no deadline until
 * conn_deadline_next(), which starts the wait for the connection's next request. */
void conn_deadline_pause(struct conn_deadline *cd, struct conn_entry *e);
void conn_deadline_next(struct conn_deadline *cd, struct conn_entry *e);
/* 1 when the connection was accepted while `served` others were open: it gets a 503. */
int conn_deadline_over_limit(const struct conn_entry *e);

#endif
