/* HTTP/1.1 over a bare TCP socket for tests that need what a client library hides: held, slow or half-sent requests. */
#ifndef BILLKEY_TESTS_RAW_HTTP_H
#define BILLKEY_TESTS_RAW_HTTP_H

#include <stddef.h>
#include <sys/types.h>

/* A TCP connection to 127.0.0.1:port from the loopback address `from` ("127.0.0.2": another
 * client as far as the server can tell; NULL: any), with a receive timeout of timeout_s.
 * Returns the socket (the caller closes it); aborts the test when it cannot connect. */
int raw_http_connect(int port, const char *from, int timeout_s);
/* Sends all len bytes of data. Returns 0, or -1 when the peer stopped reading (reset or
 * closed). */
int raw_http_send(int fd, const char *data, size_t len);
/* Reads one answer into buf (NUL-terminated): its headers and Content-Length bytes of body, or
 * what came before the connection closed or the receive timeout passed. Returns the bytes read:
 * 0 when it closed at once. */
ssize_t raw_http_read_answer(int fd, char *buf, size_t size);

#endif
