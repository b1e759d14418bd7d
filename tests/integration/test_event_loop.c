/* The event loop over real sockets: connections cost no thread, a full worker queue answers 503, suspended requests finish on shutdown. */
#include <check.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/core/xalloc.h"
#include "tests/lib/billkeyd_proc.h"
#include "tests/lib/db_test.h"
#include "tests/lib/http_client.h"
#include "tests/lib/raw_http.h"
#include "tests/lib/testlib.h"

#define IDLE_CONNECTIONS 500
#define TRICKLERS 50

static char *url(const struct billkeyd_proc *p, const char *path)
{
    return xasprintf("%s%s", p->base_url, path);
}

/* Starts billkeyd with env on a fresh database named after prefix, ready (migrated); returns
 * the database URL (stop() frees it). */
static char *start(struct billkeyd_proc *p, const char *prefix, const char *const *env)
{
    char *db = testlib_create_database(prefix);
    ck_assert_int_eq(billkeyd_start(p, db, env), 0);
    char *u = url(p, "/readyz");
    ck_assert_int_eq(testlib_wait_http_status(u, 200, 15000, 100), 200);
    free(u);
    return db;
}

/* Stops billkeyd, asserting a clean exit (no leaks under ASan), and frees db. */
static void stop(struct billkeyd_proc *p, char *db)
{
    ck_assert_int_eq(billkeyd_stop(p), 0);
    free(db);
}

/* The "Threads:" line of /proc/<pid>/status. */
static int thread_count(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    char *status = testlib_read_file(path, NULL);
    ck_assert_ptr_nonnull(status);
    const char *line = strstr(status, "\nThreads:");
    ck_assert_ptr_nonnull(line);
    int n = atoi(line + strlen("\nThreads:"));
    free(status);
    return n;
}

/* The thread count once start-up threads (the migrator) are gone: two reads 300 ms apart agree. */
static int settled_thread_count(pid_t pid)
{
    int last = thread_count(pid);
    for (int i = 0; i < 30; i++) {
        testlib_sleep_ms(300);
        int now = thread_count(pid);
        if (now == last)
            return now;
        last = now;
    }
    ck_abort_msg("billkeyd's thread count never settled (last %d)", last);
    return -1;
}

static int connect_to(const struct billkeyd_proc *p)
{
    return raw_http_connect(p->port, NULL, 20);
}

static void send_all(int fd, const char *data)
{
    ck_assert_int_eq(raw_http_send(fd, data, strlen(data)), 0);
}

/* Asserts that one GET /healthz on fd (kept alive) is answered 200. */
static void expect_healthz(int fd)
{
    char buf[2048];
    send_all(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    raw_http_read_answer(fd, buf, sizeof buf);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
}

/* Asserts that GET path answers want. */
static void expect_get(const struct billkeyd_proc *p, const char *path, long want)
{
    struct http_client_response r;
    char *u = url(p, path);
    http_client_get(u, NULL, &r);
    ck_assert_msg(r.status == want, "GET %s: %ld, want %ld: %s", path, r.status, want, r.body);
    http_client_response_release(&r);
    free(u);
}

/* 500 idle kept-alive connections and 50 clients trickling their request a byte at a time are
 * held open while other requests (on the event loop and on the workers) are served: billkeyd's
 * thread count does not move. With a thread per connection it would grow by 550. */
START_TEST(open_connections_cost_no_thread)
{
    struct billkeyd_proc p;
    const char *env[] = {"HTTP_MAX_CONNECTIONS=1000",
                         "PER_IP_CONNECTION_LIMIT=0",
                         "REQUEST_DEADLINE_MS=60000",
                         "HTTP_TIMEOUT_SECONDS=600",
                         "HTTP_WORKERS=8",
                         NULL};
    char *db = start(&p, "evloop_threads", env);
    expect_get(&p, "/readyz", 200);
    int threads = settled_thread_count(p.pid);
    ck_assert_msg(threads < 64, "%d threads before any connection", threads);

    static int idle[IDLE_CONNECTIONS], slow[TRICKLERS];
    for (int i = 0; i < IDLE_CONNECTIONS; i++) {
        idle[i] = connect_to(&p);
        expect_healthz(idle[i]); /* accepted and served: now idle, kept alive */
    }
    for (int i = 0; i < TRICKLERS; i++)
        slow[i] = connect_to(&p);
    ck_assert_int_eq(thread_count(p.pid), threads);

    static const char rq[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: trickle\r\n";
    for (size_t i = 0; i < sizeof rq - 1; i++) {
        char c[2] = {rq[i], '\0'};
        for (int t = 0; t < TRICKLERS; t++)
            send_all(slow[t], c);
        if (i % 8 == 0) {
            expect_get(&p, "/readyz", 200);  /* a worker */
            expect_get(&p, "/healthz", 200); /* the event loop */
            ck_assert_int_eq(thread_count(p.pid), threads);
        }
        testlib_sleep_ms(50);
    }
    /* every one of them is still open and served */
    for (int t = 0; t < TRICKLERS; t++) {
        char buf[2048];
        send_all(slow[t], "\r\n");
        raw_http_read_answer(slow[t], buf, sizeof buf);
        ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "trickler %d: %s", t, buf);
    }
    for (int i = 0; i < IDLE_CONNECTIONS; i++)
        expect_healthz(idle[i]);
    ck_assert_int_eq(thread_count(p.pid), threads);

    for (int i = 0; i < IDLE_CONNECTIONS; i++)
        close(idle[i]);
    for (int t = 0; t < TRICKLERS; t++)
        close(slow[t]);
    stop(&p, db);
}
END_TEST

/* Holds PostgreSQL's lock on schema_migrations, so /readyz's handler waits; returns the
 * holding connection (release() lets go). */
static PGconn *block_readyz(const char *db)
{
    PGconn *holder = db_test_connect(db);
    free(db_test_query(holder, "BEGIN; LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE",
                       NULL));
    return holder;
}

static void release(PGconn *holder)
{
    free(db_test_query(holder, "ROLLBACK", NULL));
    PQfinish(holder);
}

/* Waits until `n` sessions wait for the lock on schema_migrations (handlers on workers). */
static void wait_lock_waiters(PGconn *pg, int n)
{
    for (int i = 0; i < 300; i++) {
        if (db_test_count(pg, "SELECT count(*) FROM pg_locks WHERE NOT granted AND "
                              "relation = 'schema_migrations'::regclass") == n)
            return;
        testlib_sleep_ms(50);
    }
    ck_abort_msg("%d handler(s) never waited for the lock", n);
}

/* Sends GET path on a new connection (kept alive); returns the socket. */
static int send_get(const struct billkeyd_proc *p, const char *path)
{
    int fd = connect_to(p);
    char *rq = xasprintf("GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    send_all(fd, rq);
    free(rq);
    return fd;
}

/* One worker busy and one request queued (HTTP_QUEUE_LIMIT=1): the next request that needs a
 * worker is answered at once 503 over_capacity with Retry-After (iamport's envelope on an
 * iamport route), the event loop still answers /healthz, and once the worker is free the
 * waiting requests complete and new ones are served. */
START_TEST(a_full_queue_answers_503_with_retry_after)
{
    struct billkeyd_proc p;
    const char *env[] = {"HTTP_WORKERS=1", "HTTP_QUEUE_LIMIT=1", NULL};
    char *db = start(&p, "evloop_queue", env);
    PGconn *holder = block_readyz(db);
    int running = send_get(&p, "/readyz");
    wait_lock_waiters(holder, 1);
    int queued = send_get(&p, "/readyz");
    testlib_sleep_ms(300); /* read and queued by the event loop */

    struct http_client_response r;
    char *u = url(&p, "/readyz");
    http_client_get(u, NULL, &r);
    free(u);
    ck_assert_int_eq(r.status, 503);
    char *retry = http_client_header(&r, "Retry-After");
    ck_assert_str_eq(retry, "1");
    free(retry);
    ck_assert_str_eq(testlib_error_field(r.json, "code"), "over_capacity");
    http_client_response_release(&r);

    u = url(&p, "/payments/imp_full_queue");
    http_client_get(u, NULL, &r);
    free(u);
    ck_assert_int_eq(r.status, 503);
    retry = http_client_header(&r, "Retry-After");
    ck_assert_str_eq(retry, "1");
    free(retry);
    ck_assert_int_eq(http_client_code(&r), -1);
    ck_assert_ptr_nonnull(http_client_message(&r));
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r.json, "response")));
    http_client_response_release(&r);

    expect_get(&p, "/healthz", 200); /* inline: no worker needed */

    release(holder);
    char buf[2048];
    raw_http_read_answer(running, buf, sizeof buf);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    raw_http_read_answer(queued, buf, sizeof buf);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    close(running);
    close(queued);
    expect_get(&p, "/readyz", 200);
    stop(&p, db);
}
END_TEST

/* SIGTERM while requests wait on their worker (one running, two queued, every connection
 * suspended): billkeyd keeps running until they are done, each is answered 200 with
 * "Connection: close", and it exits 0. */
START_TEST(suspended_requests_finish_during_graceful_shutdown)
{
    struct billkeyd_proc p;
    const char *env[] = {"HTTP_WORKERS=1", "HTTP_QUEUE_LIMIT=4", NULL};
    char *db = start(&p, "evloop_shutdown", env);
    PGconn *holder = block_readyz(db);
    int fds[3];
    fds[0] = send_get(&p, "/readyz");
    wait_lock_waiters(holder, 1);
    fds[1] = send_get(&p, "/readyz");
    fds[2] = send_get(&p, "/readyz");
    testlib_sleep_ms(300); /* read and queued by the event loop */

    kill(p.pid, SIGTERM);
    testlib_sleep_ms(500);
    ck_assert_int_eq(waitpid(p.pid, NULL, WNOHANG), 0); /* waits for them */
    release(holder);
    for (int i = 0; i < 3; i++) {
        char buf[2048];
        raw_http_read_answer(fds[i], buf, sizeof buf);
        ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "request %d: %s", i, buf);
        ck_assert_msg(strstr(buf, "\r\nConnection: close\r\n") != NULL, "request %d: %s", i, buf);
        ck_assert_ptr_nonnull(strstr(buf, "\"status\":\"ready\""));
        close(fds[i]);
    }
    stop(&p, db); /* reaps the exiting process: exit 0 */
}
END_TEST

/* A handler that takes longer than HTTP_TIMEOUT_SECONDS is still answered: a suspended
 * connection is not idle. */
START_TEST(a_slow_handler_outlives_the_idle_timeout)
{
    struct billkeyd_proc p;
    const char *env[] = {"HTTP_TIMEOUT_SECONDS=1", NULL};
    char *db = start(&p, "evloop_slow_handler", env);
    PGconn *holder = block_readyz(db);
    int fd = send_get(&p, "/readyz");
    wait_lock_waiters(holder, 1);
    testlib_sleep_ms(2500); /* past the idle timeout, twice */
    release(holder);
    char buf[2048];
    raw_http_read_answer(fd, buf, sizeof buf);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    close(fd);
    stop(&p, db);
}
END_TEST

/* Connections the request deadline cuts (shutdown(2) by the watchdog) are closed by the event
 * loop and give their slot back: with HTTP_MAX_CONNECTIONS=4 taken by four silent clients, once
 * they are cut four new clients are served, not answered 503. (A connection whose close were
 * reported twice would be freed twice: ASan ends billkeyd, and stop() fails.) */
START_TEST(connections_cut_at_the_deadline_free_their_slot)
{
    struct billkeyd_proc p;
    const char *env[] = {"HTTP_MAX_CONNECTIONS=4", "PER_IP_CONNECTION_LIMIT=0",
                         "REQUEST_DEADLINE_MS=1000", "HTTP_TIMEOUT_SECONDS=600", NULL};
    char *db = start(&p, "evloop_cut", env);
    int silent[4];
    for (int i = 0; i < 4; i++) {
        silent[i] = connect_to(&p);
        send_all(silent[i], "GET /healthz HTTP/1.1\r\n"); /* never finished */
    }
    for (int i = 0; i < 4; i++) {
        char buf[64];
        ck_assert_int_le(recv(silent[i], buf, sizeof buf, 0), 0); /* cut, unanswered */
        close(silent[i]);
    }
    int served = 0;
    for (int i = 0; i < 100 && served < 4; i++) {
        int fd = connect_to(&p);
        char buf[2048];
        send_all(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        raw_http_read_answer(fd, buf, sizeof buf);
        close(fd);
        if (strncmp(buf, "HTTP/1.1 200", 12) == 0)
            served++;
        else
            testlib_sleep_ms(20); /* the close of a cut connection not seen yet */
    }
    ck_assert_int_eq(served, 4);
    stop(&p, db);
}
END_TEST

static Suite *suite_event_loop(void)
{
    Suite *s = suite_create("event_loop");
    TCase *tc = tcase_create("event_loop");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, open_connections_cost_no_thread);
    tcase_add_test(tc, a_full_queue_answers_503_with_retry_after);
    tcase_add_test(tc, suspended_requests_finish_during_graceful_shutdown);
    tcase_add_test(tc, a_slow_handler_outlives_the_idle_timeout);
    tcase_add_test(tc, connections_cut_at_the_deadline_free_their_slot);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_event_loop)
