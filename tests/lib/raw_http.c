/* HTTP/1.1 over a bare TCP socket for tests that need what a client library hides: held, slow or half-sent requests. */
#include "tests/lib/raw_http.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

int raw_http_connect(int port, const char *from, int timeout_s)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    if (from) {
        struct sockaddr_in src = {.sin_family = AF_INET};
        inet_pton(AF_INET, from, &src.sin_addr);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&src, sizeof src), 0);
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    struct timeval tv = {.tv_sec = timeout_s, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

int raw_http_send(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t raw_http_read_answer(int fd, char *buf, size_t size)
{
    size_t got = 0;
    for (;;) {
        buf[got] = '\0';
        const char *end = strstr(buf, "\r\n\r\n");
        const char *cl = strstr(buf, "Content-Length: ");
        if (end && cl && got >= (size_t)(end + 4 - buf) + strtoul(cl + 16, NULL, 10))
            return (ssize_t)got;
        if (got == size - 1)
            return (ssize_t)got;
        ssize_t n = recv(fd, buf + got, size - 1 - got, 0);
        if (n <= 0)
            return (ssize_t)got;
        got += (size_t)n;
    }
}
