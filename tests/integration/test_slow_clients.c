/* Slow and greedy clients over real sockets: the request deadline, the per-address limit and the 503 past the connection limit. */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/core/xalloc.h"
#include "tests/lib/billkeyd_proc.h"
#include "tests/lib/http_client.h"
#include "tests/lib/raw_http.h"
#include "tests/lib/testlib.h"

#define TRICKLERS 16
/* How long a trickler keeps going when nobody cuts it: far past the deadline under test and
 * the suite's timeout guard, never reached when the deadline works. */
#define TRICKLE_GIVE_UP_MS 40000

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Starts billkeyd with env on a fresh database named after prefix; returns the database URL
 * (stop() frees it). */
static char *start(struct billkeyd_proc *p, const char *prefix, const char *const *env)
{
    char *db = testlib_create_database(prefix);
    ck_assert_int_eq(billkeyd_start(p, db, env), 0);
    return db;
}

/* Stops billkeyd, asserting a clean exit (no leaks under ASan), and frees db. */
static void stop(struct billkeyd_proc *p, char *db)
{
    ck_assert_int_eq(billkeyd_stop(p), 0);
    free(db);
}

/* A TCP connection to billkeyd from the loopback address `from` ("127.0.0.2": another client
 * as far as billkeyd can tell). Returns the socket. */
static int connect_from(const struct billkeyd_proc *p, const char *from)
{
    return raw_http_connect(p->port, from, 20);
}

/* Sends one GET /healthz on fd (keep-alive) and reads the answer into buf. Returns the bytes
 * read: 0 when the connection was closed without an answer. */
static ssize_t ask(int fd, char *buf, size_t size)
{
    buf[0] = '\0';
    static const char rq[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    if (raw_http_send(fd, rq, sizeof rq - 1) != 0)
        return 0;
    return raw_http_read_answer(fd, buf, size);
}

/* Asserts that fd is answered 200 to one GET /healthz, and leaves it kept alive. */
static void expect_served(int fd)
{
    char buf[2048];
    ck_assert_int_gt(ask(fd, buf, sizeof buf), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
}

/* Opens n connections from `from`, each served once and kept alive (so billkeyd has accepted
 * every one of them), into fds. */
static void hold(const struct billkeyd_proc *p, const char *from, int *fds, int n)
{
    for (int i = 0; i < n; i++) {
        fds[i] = connect_from(p, from);
        expect_served(fds[i]);
    }
}

static void close_all(int *fds, int n)
{
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

struct trickler {
    const struct billkeyd_proc *p;
    int fd;
    int connected; /* set once the socket is up */
    int cut;       /* 1: billkeyd closed it (end of stream or reset) */
    int answered;  /* 1: something came back instead */
};

/* A request line and headers, one byte every 100 ms, never finished: each byte is activity,
 * so the idle timeout never fires. */
static void *trickle(void *arg)
{
    struct trickler *t = arg;
    static const char rq[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    t->fd = connect_from(t->p, "127.0.0.2");
    __atomic_store_n(&t->connected, 1, __ATOMIC_SEQ_CST);
    long start = now_ms();
    for (size_t i = 0; now_ms() - start < TRICKLE_GIVE_UP_MS; i++) {
        char c = i < sizeof rq - 1 ? rq[i] : 'a';
        if (send(t->fd, &c, 1, MSG_NOSIGNAL) != 1) {
            t->cut = 1;
            break;
        }
        struct pollfd pfd = {.fd = t->fd, .events = POLLIN};
        if (poll(&pfd, 1, 100) > 0) {
            char buf[64];
            ssize_t n = recv(t->fd, buf, sizeof buf, 0);
            if (n > 0)
                t->answered = 1;
            else
                t->cut = 1;
            break;
        }
    }
    close(t->fd);
    return NULL;
}

/* Many clients trickling headers a byte at a time: a normal client is served meanwhile, and
 * every trickler is cut once REQUEST_DEADLINE_MS has passed (before, each byte kept its thread
 * for ever). */
START_TEST(tricklers_are_cut_at_the_deadline_and_others_are_served)
{
    struct billkeyd_proc p;
    const char *env[] = {"REQUEST_DEADLINE_MS=1500", "HTTP_TIMEOUT_SECONDS=600",
                         "PER_IP_CONNECTION_LIMIT=0", "HTTP_MAX_CONNECTIONS=64", NULL};
    char *db = start(&p, "slow_tricklers", env);

    pthread_t threads[TRICKLERS];
    struct trickler t[TRICKLERS];
    memset(t, 0, sizeof t);
    for (int i = 0; i < TRICKLERS; i++) {
        t[i].p = &p;
        ck_assert_int_eq(pthread_create(&threads[i], NULL, trickle, &t[i]), 0);
    }
    for (int i = 0; i < TRICKLERS; i++)
        while (!__atomic_load_n(&t[i].connected, __ATOMIC_SEQ_CST))
            testlib_sleep_ms(10);

    struct http_client_response r;
    char *url = xasprintf("%s/healthz", p.base_url);
    http_client_get(url, NULL, &r);
    ck_assert_int_eq(r.status, 200);
    http_client_response_release(&r);
    free(url);

    for (int i = 0; i < TRICKLERS; i++) {
        pthread_join(threads[i], NULL);
        ck_assert_msg(t[i].cut, "trickler %d was not cut (answered: %d)", i, t[i].answered);
        ck_assert_int_eq(t[i].answered, 0);
    }
    char *log = billkeyd_log(&p);
    ck_assert_ptr_nonnull(strstr(log, "no complete request within 1500 ms"));
    free(log);
    stop(&p, db);
}
END_TEST

/* A connection that delivers its request in time is not cut, and the deadline starts again for
 * its next request: a kept-alive connection is served twice across more than one deadline. */
START_TEST(kept_alive_connections_get_a_fresh_deadline_per_request)
{
    struct billkeyd_proc p;
    const char *env[] = {"REQUEST_DEADLINE_MS=1000", "HTTP_TIMEOUT_SECONDS=600", NULL};
    char *db = start(&p, "slow_keepalive", env);
    int fd = connect_from(&p, "127.0.0.1");
    for (int i = 0; i < 3; i++) {
        expect_served(fd);
        testlib_sleep_ms(600); /* 1800 ms in all: past one deadline, within each wait */
    }
    close(fd);
    stop(&p, db);
}
END_TEST

/* PER_IP_CONNECTION_LIMIT: one address cannot take more connections than that (the next is
 * closed at once, unanswered); another address is still served. */
START_TEST(one_address_cannot_take_every_connection)
{
    struct billkeyd_proc p;
    const char *env[] = {"PER_IP_CONNECTION_LIMIT=4", "REQUEST_DEADLINE_MS=60000",
                         "HTTP_TIMEOUT_SECONDS=600", NULL};
    char *db = start(&p, "slow_per_ip", env);
    int held[4];
    char buf[1024];
    hold(&p, "127.0.0.2", held, 4);
    int fifth = connect_from(&p, "127.0.0.2");
    ck_assert_int_le(ask(fifth, buf, sizeof buf), 0);
    close(fifth);
    int other = connect_from(&p, "127.0.0.1");
    expect_served(other);
    close(other);
    close_all(held, 4);
    stop(&p, db);
}
END_TEST

/* Past HTTP_MAX_CONNECTIONS a connection is answered 503 with Retry-After and closed, not
 * dropped or left waiting; once a connection closes, requests are served again. */
START_TEST(past_the_connection_limit_comes_a_503_with_retry_after)
{
    struct billkeyd_proc p;
    const char *env[] = {"HTTP_MAX_CONNECTIONS=4", "PER_IP_CONNECTION_LIMIT=0",
                         "REQUEST_DEADLINE_MS=3000", "HTTP_TIMEOUT_SECONDS=600", NULL};
    char *db = start(&p, "slow_limit", env);
    int held[4];
    char buf[2048];
    hold(&p, "127.0.0.1", held, 4);
    int extra = connect_from(&p, "127.0.0.1");
    ck_assert_int_gt(ask(extra, buf, sizeof buf), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 503", 12) == 0, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "Retry-After: 3\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\"code\":\"over_capacity\""));
    ck_assert_int_eq(recv(extra, buf, sizeof buf, 0), 0); /* and closed */
    close(extra);

    close(held[0]); /* a slot frees once billkeyd sees the close */
    int served = 0;
    for (int i = 0; i < 200 && !served; i++) {
        int fd = connect_from(&p, "127.0.0.1");
        served = ask(fd, buf, sizeof buf) > 0 && strncmp(buf, "HTTP/1.1 200", 12) == 0;
        close(fd);
        if (!served)
            testlib_sleep_ms(20);
    }
    ck_assert_msg(served, "no request was served after a connection closed");
    close_all(held + 1, 3);
    stop(&p, db);
}
END_TEST

static Suite *suite_slow_clients(void)
{
    Suite *s = suite_create("slow_clients");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, tricklers_are_cut_at_the_deadline_and_others_are_served);
    tcase_add_test(tc, kept_alive_connections_get_a_fresh_deadline_per_request);
    tcase_add_test(tc, one_address_cannot_take_every_connection);
    tcase_add_test(tc, past_the_connection_limit_comes_a_503_with_retry_after);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_slow_clients)
