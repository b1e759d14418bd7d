/* billkeyd over real HTTP: health, readiness following PostgreSQL, error shapes, static files,
 * configuration checks, logs and clean shutdown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "db/migrate.h"
#include "server/config.h"
#include "server/core/utf8.h"
#include "server/core/xalloc.h"
#include "tests/lib/billkeyd_proc.h"
#include "tests/lib/db_test.h"
#include "tests/lib/http_client.h"
#include "tests/lib/raw_http.h"
#include "tests/lib/testlib.h"

#define MERCHANT_KEY "merchant-key-0123456789abcdef"
#define MERCHANT_KEYS_ENV "BILLKEY_API_KEYS=shop:" MERCHANT_KEY

static char *url(const struct billkeyd_proc *p, const char *path)
{
    return xasprintf("%s%s", p->base_url, path);
}

/* GETs path until it answers `want` or timeout_ms passes; returns the last status. */
static long wait_status(const struct billkeyd_proc *p, const char *path, long want, long timeout_ms)
{
    char *u = url(p, path);
    long got = testlib_wait_http_status(u, want, timeout_ms, 100);
    free(u);
    return got;
}

static const char *error_code(const struct http_client_response *r)
{
    return testlib_error_field(r->json, "code");
}

/* Starts billkeyd (extra env may be NULL) on a fresh database named after db_prefix, asserting
 * it started; returns the database URL (the caller passes it to stop_billkeyd()). */
static char *start_billkeyd(struct billkeyd_proc *p, const char *db_prefix, const char *const *env)
{
    char *db = testlib_create_database(db_prefix);
    ck_assert_int_eq(billkeyd_start(p, db, env), 0);
    return db;
}

/* Stops billkeyd, asserting a clean exit, and frees db. */
static void stop_billkeyd(struct billkeyd_proc *p, char *db)
{
    ck_assert_int_eq(billkeyd_stop(p), 0);
    free(db);
}

/* scripts/pg.sh <verb> <dir> on this test's own PostgreSQL cluster. */
static void own_postgres(const char *verb, const char *dir)
{
    const char *args[] = {verb, dir, NULL};
    free(testlib_pg_script(args));
}

/* Creates a cluster of the test's own in a new directory (dir: a mkdtemp template, filled in)
 * and starts it; returns its URL (caller frees). */
static char *own_postgres_create(char *dir)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    const char *args[] = {"start", dir, NULL};
    return testlib_pg_script(args);
}

/* Stops the test's own cluster and removes its directory. */
static void own_postgres_remove(const char *dir)
{
    own_postgres("stop", dir);
    char *rm = xasprintf("rm -rf '%s'", dir);
    ck_assert_int_eq(system(rm), 0);
    free(rm);
}

START_TEST(health_and_readiness)
{
    struct billkeyd_proc p;
    char *db = start_billkeyd(&p, "server_ready", NULL);

    char *u = url(&p, "/healthz");
    struct http_client_response r;
    ck_assert_int_eq(http_client_get(u, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "{\"status\":\"ok\"}");
    http_client_response_release(&r);
    free(u);

    ck_assert_int_eq(wait_status(&p, "/readyz", 200, 15000), 200);
    u = url(&p, "/readyz");
    http_client_get(u, NULL, &r);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(r.json, "status")->valuestring, "ready");
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(r.json, "schema_version")->valueint,
                     db_migrations_latest());
    http_client_response_release(&r);
    free(u);

    stop_billkeyd(&p, db);
}
END_TEST

START_TEST(error_shapes_over_http)
{
    struct billkeyd_proc p;
    char *db = start_billkeyd(&p, "server_errors", NULL);
    struct http_client_response r;

    /* 404 with the one error shape and the request id echoed */
    char *u = url(&p, "/no/such/route");
    const char *hdrs[] = {"X-Request-Id: test-req-42", NULL};
    struct http_client_request rq = {.url = u, .headers = hdrs};
    ck_assert_int_eq(http_client_do(&rq, &r), 0);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(error_code(&r), "not_found");
    cJSON *e = cJSON_GetObjectItemCaseSensitive(r.json, "error");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(e, "request_id")->valuestring, "test-req-42");
    char *rid = http_client_header(&r, "X-Request-Id");
    ck_assert_str_eq(rid, "test-req-42");
    free(rid);
    http_client_response_release(&r);
    free(u);

    /* 405 with Allow */
    u = url(&p, "/healthz");
    ck_assert_int_eq(http_client_json("POST", u, "{}", NULL, &r), 0);
    ck_assert_int_eq(r.status, 405);
    ck_assert_str_eq(error_code(&r), "method_not_allowed");
    char *allow = http_client_header(&r, "Allow");
    ck_assert_str_eq(allow, "GET, HEAD");
    free(allow);
    http_client_response_release(&r);

    /* HEAD works where GET does */
    struct http_client_request head = {.method = "HEAD", .url = u};
    ck_assert_int_eq(http_client_do(&head, &r), 0);
    ck_assert_int_eq(r.status, 200);
    http_client_response_release(&r);

    /* 413: a body over MAX_BODY_BYTES (64 KiB by default) is refused */
    size_t big_len = 70 * 1024;
    char *big = xmalloc(big_len + 1);
    memset(big, 'a', big_len);
    big[big_len] = '\0';
    struct http_client_request post_big = {
        .method = "GET", .url = u, .body = big, .content_type = "application/json"};
    ck_assert_int_eq(http_client_do(&post_big, &r), 0);
    ck_assert_int_eq(r.status, 413);
    ck_assert_str_eq(error_code(&r), "payload_too_large");
    http_client_response_release(&r);
    free(big);
    free(u);

    /* a bad X-Request-Id is replaced, never reflected */
    u = url(&p, "/healthz");
    const char *bad_hdrs[] = {"X-Request-Id: <script>alert(1)</script>", NULL};
    struct http_client_request bad = {.url = u, .headers = bad_hdrs};
    ck_assert_int_eq(http_client_do(&bad, &r), 0);
    rid = http_client_header(&r, "X-Request-Id");
    ck_assert_ptr_nonnull(rid);
    ck_assert_ptr_null(strchr(rid, '<'));
    free(rid);
    http_client_response_release(&r);
    free(u);

    stop_billkeyd(&p, db);
}
END_TEST

START_TEST(static_files_and_traversal)
{
    struct billkeyd_proc p;
    char *db = start_billkeyd(&p, "server_static", NULL);
    struct http_client_response r;

    char *u = url(&p, "/");
    ck_assert_int_eq(http_client_get(u, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "text/html; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(r.body, "<title>billkey</title>"));
    char *h = http_client_header(&r, "Content-Security-Policy");
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(strstr(h, "default-src 'self'"));
    free(h);
    h = http_client_header(&r, "X-Content-Type-Options");
    ck_assert_str_eq(h, "nosniff");
    free(h);
    h = http_client_header(&r, "Cache-Control");
    ck_assert_str_eq(h, "public, max-age=300");
    free(h);
    http_client_response_release(&r);
    free(u);

    u = url(&p, "/static/app.css");
    ck_assert_int_eq(http_client_get(u, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "text/css; charset=utf-8");
    http_client_response_release(&r);
    free(u);

    /* the OpenAPI document (its content is checked against the route table by test_openapi) */
    u = url(&p, "/openapi.json");
    ck_assert_int_eq(http_client_get(u, NULL, &r), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "application/json");
    ck_assert_ptr_nonnull(r.json);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(r.json, "openapi")->valuestring, "3.1.0");
    http_client_response_release(&r);
    free(u);

    static const struct {
        const char *path;
        long status;
    } hostile[] = {
        {"/static/../README.md", 400},
        {"/static/..%2fREADME.md", 400},
        {"/static/%2e%2e/README.md", 400},
        {"/static/%252e%252e/README.md", 400},
        {"/static/./index.html", 400},
        {"/static/..\\README.md", 400},
        {"/static/.git/config", 403},
        {"/static/missing.html", 404},
        {"/static/", 404},
    };
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        u = url(&p, hostile[i].path);
        struct http_client_request rq = {.url = u, .path_as_is = 1};
        ck_assert_int_eq(http_client_do(&rq, &r), 0);
        ck_assert_msg(r.status == hostile[i].status, "%s: got %ld, want %ld", hostile[i].path,
                      r.status, hostile[i].status);
        ck_assert_ptr_null(strstr(r.body, "billkey is a small"));
        http_client_response_release(&r);
        free(u);
    }
    stop_billkeyd(&p, db);
}
END_TEST

/* A request with the merchant key (GET, or POST of json_body when it is not NULL); returns
 * the HTTP status. */
static long merchant_status(const struct billkeyd_proc *p, const char *path, const char *json_body)
{
    char *u = url(p, path);
    struct http_client_response r;
    if (json_body)
        http_client_json("POST", u, json_body, MERCHANT_KEY, &r);
    else
        http_client_get(u, MERCHANT_KEY, &r);
    long status = r.status;
    http_client_response_release(&r);
    free(u);
    return status;
}

static long merchant_get_status(const struct billkeyd_proc *p, const char *path)
{
    return merchant_status(p, path, NULL);
}

/* POST /api/checkouts (PAYCO, no charge: nothing reaches iamport); returns the HTTP status. */
static long merchant_checkout_status(const struct billkeyd_proc *p)
{
    return merchant_status(p, "/api/checkouts",
                           "{\"customer_id\":\"c-1\",\"pg\":\"payco\",\"amount\":9900,"
                           "\"name\":\"plan\"}");
}

/* readyz follows PostgreSQL: 200, then 503 while it is stopped, then 200 again, with no restart
 * of billkeyd; healthz stays 200 throughout. Uses its own PostgreSQL so it can stop it. */
START_TEST(readiness_follows_postgres)
{
    char dir[] = "/tmp/billkey-pgtest.XXXXXX";
    char *dburl = own_postgres_create(dir);

    struct billkeyd_proc p;
    const char *env[] = {"DB_ACQUIRE_TIMEOUT_MS=500", MERCHANT_KEYS_ENV, NULL};
    ck_assert_int_eq(billkeyd_start(&p, dburl, env), 0);
    ck_assert_int_eq(wait_status(&p, "/readyz", 200, 15000), 200);
    ck_assert_int_eq(merchant_get_status(&p, "/api/customers/c-1"), 200);

    own_postgres("stop", dir);
    ck_assert_int_eq(wait_status(&p, "/readyz", 503, 15000), 503);
    ck_assert_int_eq(wait_status(&p, "/healthz", 200, 1000), 200);
    /* routes that need the database answer 503 too, never 500 or a hang */
    ck_assert_int_eq(merchant_get_status(&p, "/api/customers/c-1"), 503);
    ck_assert_int_eq(merchant_checkout_status(&p), 503);

    own_postgres("start", dir);
    ck_assert_int_eq(wait_status(&p, "/readyz", 200, 20000), 200);
    ck_assert_int_eq(merchant_get_status(&p, "/api/customers/c-1"), 200);
    ck_assert_int_eq(merchant_checkout_status(&p), 201);

    ck_assert_int_eq(billkeyd_stop(&p), 0);
    own_postgres_remove(dir);
    free(dburl);
}
END_TEST

/* PostgreSQL down at start-up: billkeyd serves (healthz 200, readyz 503), migrates once the
 * database appears, and never exits for it. */
START_TEST(starts_while_postgres_is_down)
{
    char dir[] = "/tmp/billkey-pgtest.XXXXXX";
    char *dburl = own_postgres_create(dir);
    own_postgres("stop", dir);

    struct billkeyd_proc p;
    ck_assert_int_eq(billkeyd_start(&p, dburl, NULL), 0);
    ck_assert_int_eq(wait_status(&p, "/healthz", 200, 2000), 200);
    ck_assert_int_eq(wait_status(&p, "/readyz", 503, 2000), 503);
    testlib_sleep_ms(1500);
    ck_assert_int_eq(wait_status(&p, "/readyz", 503, 100), 503);

    own_postgres("start", dir);
    ck_assert_int_eq(wait_status(&p, "/readyz", 200, 20000), 200);
    char *log = billkeyd_log(&p);
    ck_assert_ptr_nonnull(strstr(log, "migrations not applied, retrying"));
    ck_assert_ptr_nonnull(strstr(log, "\"msg\":\"migrations applied\""));
    free(log);

    ck_assert_int_eq(billkeyd_stop(&p), 0);
    own_postgres_remove(dir);
    free(dburl);
}
END_TEST

START_TEST(check_config_and_help)
{
    char *out = NULL;
    const char *args[] = {"--check-config", NULL};
    const char *bad_env[] = {"PORT=80x", "LOG_LEVEL=loud", "IAMPORT_API_SECRET=supersecret-value-1",
                             "BILLKEY_API_KEYS=shop-without-separator-key", NULL};
    ck_assert_int_eq(billkeyd_run_once(args, bad_env, &out), 2);
    ck_assert_ptr_nonnull(strstr(out, "PORT: '80x' is not an integer"));
    ck_assert_ptr_nonnull(strstr(out, "LOG_LEVEL"));
    ck_assert_ptr_nonnull(strstr(out, "DATABASE_URL: required but not set"));
    ck_assert_ptr_nonnull(strstr(out, "IAMPORT_API_KEY: required but not set"));
    ck_assert_ptr_nonnull(strstr(out, "BILLKEY_API_KEYS"));
    ck_assert_ptr_null(strstr(out, "supersecret"));
    ck_assert_ptr_null(strstr(out, "shop-without-separator-key"));
    free(out);

    const char *good_env[] = {"DATABASE_URL=postgresql:///x", "IAMPORT_API_KEY=k",
                              "IAMPORT_API_SECRET=s", NULL};
    ck_assert_int_eq(billkeyd_run_once(args, good_env, &out), 0);
    ck_assert_str_eq(out, "configuration ok\n");
    free(out);

    /* SANDBOX_MODE=1 with the real iamport (the default URL) is refused by --check-config and
     * at start-up, before anything listens; with a loopback sandbox it is fine. */
    const char *sandbox_real[] = {"DATABASE_URL=postgresql:///x", "IAMPORT_API_KEY=k",
                                  "IAMPORT_API_SECRET=s", "SANDBOX_MODE=1", NULL};
    ck_assert_int_eq(billkeyd_run_once(args, sandbox_real, &out), 2);
    ck_assert_ptr_nonnull(strstr(out,
                                 "SANDBOX_MODE: 1 needs IAMPORT_BASE_URL on a loopback "
                                 "address (the iamport sandbox), not 'https://api.iamport.kr'"));
    free(out);
    const char *no_args[] = {NULL};
    ck_assert_int_eq(billkeyd_run_once(no_args, sandbox_real, &out), 2);
    ck_assert_ptr_nonnull(strstr(out, "SANDBOX_MODE: 1 needs IAMPORT_BASE_URL"));
    free(out);
    const char *sandbox_local[] = {"DATABASE_URL=postgresql:///x",
                                   "IAMPORT_API_KEY=k",
                                   "IAMPORT_API_SECRET=s",
                                   "SANDBOX_MODE=1",
                                   "IAMPORT_BASE_URL=http://127.0.0.1:9",
                                   NULL};
    ck_assert_int_eq(billkeyd_run_once(args, sandbox_local, &out), 0);
    ck_assert_str_eq(out, "configuration ok\n");
    free(out);

    const char *help[] = {"--help", NULL};
    ck_assert_int_eq(billkeyd_run_once(help, good_env, &out), 0);
    for (size_t i = 0; i < config_var_count(); i++) {
        struct config_var_info info;
        config_var_info(i, &info);
        ck_assert_msg(strstr(out, info.name) != NULL, "--help does not list %s", info.name);
    }
    free(out);

    const char *unknown[] = {"--frobnicate", NULL};
    ck_assert_int_eq(billkeyd_run_once(unknown, good_env, &out), 2);
    ck_assert_ptr_nonnull(strstr(out, "unknown argument '--frobnicate'"));
    free(out);
}
END_TEST

START_TEST(logs_are_json_lines_without_secrets)
{
    struct billkeyd_proc p;
    const char *env[] = {"IAMPORT_API_SECRET=very-secret-iamport-value", MERCHANT_KEYS_ENV, NULL};
    char *db = start_billkeyd(&p, "server_logs2", env);
    ck_assert_int_eq(wait_status(&p, "/readyz", 200, 15000), 200);
    char *u = url(&p, "/healthz");
    struct http_client_response r;
    const char *hdrs[] = {"X-Request-Id: log-check-1", "Authorization: Bearer " MERCHANT_KEY, NULL};
    struct http_client_request rq = {.url = u, .headers = hdrs};
    http_client_do(&rq, &r);
    http_client_response_release(&r);
    free(u);

    /* The access line is written when the connection completes, just after the reply was
     * sent: wait for it rather than racing it. */
    char *log = billkeyd_log(&p);
    for (int i = 0; i < 100 && !strstr(log, "\"request_id\":\"log-check-1\""); i++) {
        free(log);
        testlib_sleep_ms(50);
        log = billkeyd_log(&p);
    }
    ck_assert_ptr_null(strstr(log, "very-secret-iamport-value"));
    ck_assert_ptr_null(strstr(log, MERCHANT_KEY));
    int saw_request = 0;
    for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *j = cJSON_Parse(line);
        ck_assert_msg(j != NULL, "log line is not JSON: %s", line);
        ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(j, "time"));
        ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(j, "level"));
        ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(j, "msg"));
        cJSON *rid = cJSON_GetObjectItemCaseSensitive(j, "request_id");
        if (cJSON_IsString(rid) && strcmp(rid->valuestring, "log-check-1") == 0) {
            saw_request = 1;
            ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "msg")->valuestring, "request");
            ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "route")->valuestring, "healthz");
            ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(j, "status")->valueint, 200);
            ck_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "duration_ms")));
        }
        cJSON_Delete(j);
    }
    ck_assert_int_eq(saw_request, 1);
    free(log);
    stop_billkeyd(&p, db);
}
END_TEST

/* SIGTERM while a request is half uploaded: the request still completes (200), new connections
 * are refused, and billkeyd exits 0 once it is done. */
START_TEST(graceful_shutdown_finishes_in_flight_requests)
{
    struct billkeyd_proc p;
    char *db = start_billkeyd(&p, "server_shutdown", NULL);

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p.port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    const char *head = "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 10\r\nConnection: close\r\n\r\n{\"a\":";
    ck_assert_int_eq(write(fd, head, strlen(head)), (ssize_t)strlen(head));
    testlib_sleep_ms(200);

    kill(p.pid, SIGTERM);
    testlib_sleep_ms(300);
    /* still running: it waits for the in-flight request */
    ck_assert_int_eq(waitpid(p.pid, NULL, WNOHANG), 0);
    /* no new connections */
    int fd2 = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ne(connect(fd2, (struct sockaddr *)&sa, sizeof sa), 0);
    close(fd2);

    ck_assert_int_eq(write(fd, "12}  ", 5), 5);
    char buf[2048];
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buf - 1 && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
        got += (size_t)n;
    buf[got] = '\0';
    close(fd);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "in-flight reply: %s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "{\"status\":\"ok\"}"));

    stop_billkeyd(&p, db); /* reaps the already-exiting process */
}
END_TEST

/* An idle connection is closed after HTTP_TIMEOUT_SECONDS (a slow client cannot hold a thread). */
START_TEST(idle_connections_time_out)
{
    struct billkeyd_proc p;
    const char *env[] = {"HTTP_TIMEOUT_SECONDS=1", NULL};
    char *db = start_billkeyd(&p, "server_idle", env);

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p.port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    const char *partial = "GET /healthz HTTP/1.1\r\nHost: x\r\n"; /* headers never finished */
    ck_assert_int_eq(write(fd, partial, strlen(partial)), (ssize_t)strlen(partial));
    struct timeval tv = {.tv_sec = 5, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf); /* 0 (closed) within ~1 s, not the 5 s read timeout */
    ck_assert_msg(n <= 0, "idle connection was answered instead of closed");
    ck_assert_msg(n == 0, "connection not closed by billkeyd within 5 s");
    close(fd);
    stop_billkeyd(&p, db);
}
END_TEST

/* Connects to billkeyd on 127.0.0.1 with a receive timeout; returns the socket. */
static int raw_connect(const struct billkeyd_proc *p, int timeout_s)
{
    return raw_http_connect(p->port, NULL, timeout_s);
}

/* Writes all of data; returns 0, or -1 when the peer stopped reading (reset or closed). */
static int raw_write(int fd, const char *data, size_t len)
{
    return raw_http_send(fd, data, len);
}

/* Reads until the peer closes or the receive timeout passes; returns what arrived (caller
 * frees) and sets *closed to 1 when the peer closed the connection. */
static char *raw_read_all(int fd, int *closed)
{
    size_t cap = 4096, got = 0;
    char *buf = xmalloc(cap);
    *closed = 0;
    for (;;) {
        if (got + 1024 > cap)
            buf = xrealloc(buf, cap *= 2);
        ssize_t n = recv(fd, buf + got, cap - got - 1, 0);
        if (n == 0) {
            *closed = 1;
            break;
        }
        if (n < 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    return buf;
}

/* Number of "HTTP/1.1 " status lines in a raw response stream. */
static int count_status_lines(const char *raw)
{
    int n = 0;
    for (const char *s = strstr(raw, "HTTP/1.1 "); s; s = strstr(s + 1, "HTTP/1.1 "))
        n++;
    return n;
}

/* Sends `req` (len bytes) on a new connection and returns everything answered until the
 * server closes (or 5 s pass); caller frees. */
static char *raw_exchange(const struct billkeyd_proc *p, const char *req, size_t len, int *closed)
{
    int fd = raw_connect(p, 5);
    raw_write(fd, req, len);
    char *out = raw_read_all(fd, closed);
    close(fd);
    return out;
}

/* Expect: 100-continue with a Content-Length over the route's cap: 413 at once, without a
 * "100 Continue" that would invite the body, and the connection is closed. */
START_TEST(oversized_expect_continue_is_refused_before_the_body)
{
    struct billkeyd_proc p;
    char *db = start_billkeyd(&p, "server_expect", NULL);
    const char *req = "POST /payments/complete HTTP/1.1\r\nHost: x\r\n"
                      "Content-Type: application/json\r\nContent-Length: 1000000\r\n"
                      "Expect: 100-continue\r\n\r\n";
    int closed = 0;
    char *out = raw_exchange(&p, req, strlen(req), &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 413", 12) == 0, "reply: %s", out);
    ck_assert_ptr_null(strstr(out, "100 Continue"));
    ck_assert_ptr_nonnull(strstr(out, "payload_too_large"));
    ck_assert_int_eq(closed, 1);
    free(out);
    stop_billkeyd(&p, db);
}
END_TEST

/* A chunked body (no Content-Length) that grows past the cap gets 413, and the server does not
 * keep reading an endless body: it closes the connection while the client is still sending. */
START_TEST(chunked_body_over_the_cap)
{
    struct billkeyd_proc p;
    char *db = start_billkeyd(&p, "server_chunked", NULL);

    /* a finished chunked body of 8 KiB against the 4 KiB cap of /payments/complete */
    const char *head = "POST /payments/complete HTTP/1.1\r\nHost: x\r\n"
                       "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    char chunk[1024 + 16];
    int n = snprintf(chunk, sizeof chunk, "400\r\n");
    memset(chunk + n, 'a', 1024);
    memcpy(chunk + n + 1024, "\r\n", 2);
    size_t chunk_len = (size_t)n + 1024 + 2;
    int fd = raw_connect(&p, 5);
    ck_assert_int_eq(raw_write(fd, head, strlen(head)), 0);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(raw_write(fd, chunk, chunk_len), 0);
    ck_assert_int_eq(raw_write(fd, "0\r\n\r\n", 5), 0);
    int closed = 0;
    char *out = raw_read_all(fd, &closed);
    close(fd);
    ck_assert_msg(strncmp(out, "HTTP/1.1 413", 12) == 0, "reply: %s", out);
    ck_assert_ptr_nonnull(strstr(out, "payload_too_large"));
    free(out);

    /* an endless chunked body: billkeyd stops reading it (closes the connection) long before
     * 64 MiB; libmicrohttpd 0.9.75 cannot queue the 413 in the middle of an upload */
    fd = raw_connect(&p, 1);
    ck_assert_int_eq(raw_write(fd, head, strlen(head)), 0);
    int refused = 0;
    for (int i = 0; i < 64 * 1024 && !refused; i++) /* up to 64 MiB */
        refused = raw_write(fd, chunk, chunk_len) != 0;
    out = raw_read_all(fd, &closed);
    close(fd);
    ck_assert_msg(refused, "billkeyd read 64 MiB of a body capped at 4 KiB");
    ck_assert_str_eq(out, "");
    free(out);

    ck_assert_int_eq(wait_status(&p, "/healthz", 200, 2000), 200);
    stop_billkeyd(&p, db);
}
END_TEST

/* Hostile framing: NUL bytes in a body, a huge URL, huge and many headers, HEAD, a pipelined
 * request after an early 413. Each gets one exact answer and billkeyd stays healthy. */
START_TEST(hostile_framing)
{
    struct billkeyd_proc p;
    char *db = start_billkeyd(&p, "server_framing", NULL);
    int closed = 0;
    char *out;

    /* NUL bytes inside a JSON body are not silently cut off: 400 malformed_body */
    static const char nul_req[] = "POST /payments/complete HTTP/1.1\r\nHost: x\r\n"
                                  "Content-Type: application/json\r\nContent-Length: 12\r\n"
                                  "Connection: close\r\n\r\n{\"a\":\"b\"}\0\0x";
    out = raw_exchange(&p, nul_req, sizeof nul_req - 1, &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 400", 12) == 0, "reply: %s", out);
    ck_assert_ptr_nonnull(strstr(out, "malformed_body"));
    free(out);

    /* a 100 KB URL: refused by the HTTP layer (414), not a crash */
    size_t long_len = 100 * 1024;
    char *long_req = xmalloc(long_len + 128);
    int n = snprintf(long_req, 128, "GET /static/");
    memset(long_req + n, 'a', long_len);
    snprintf(long_req + n + long_len, 128, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    out = raw_exchange(&p, long_req, strlen(long_req), &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 414", 12) == 0, "reply: %.200s", out);
    free(out);

    /* one 100 KB header value: 431 */
    n = snprintf(long_req, 128, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(long_req + n, 'b', long_len);
    snprintf(long_req + n + long_len, 128, "\r\nConnection: close\r\n\r\n");
    out = raw_exchange(&p, long_req, strlen(long_req), &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 431", 12) == 0, "reply: %.200s", out);
    free(out);

    /* 200 small headers fit the header memory: answered normally */
    size_t used = (size_t)snprintf(long_req, 128, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < 200; i++)
        used += (size_t)snprintf(long_req + used, 64, "X-H%d: v\r\n", i);
    used += (size_t)snprintf(long_req + used, 64, "Connection: close\r\n\r\n");
    out = raw_exchange(&p, long_req, used, &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 200", 12) == 0, "reply: %.200s", out);
    free(out);
    free(long_req);

    /* HEAD of a static file: the GET headers, Content-Length of the file, no body */
    static const char head_req[] = "HEAD /static/app.css HTTP/1.1\r\nHost: x\r\n"
                                   "Connection: close\r\n\r\n";
    out = raw_exchange(&p, head_req, sizeof head_req - 1, &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 200", 12) == 0, "reply: %s", out);
    char *css_path = testlib_source_path("static/app.css");
    size_t css_len = 0;
    char *css = testlib_read_file(css_path, &css_len);
    ck_assert_ptr_nonnull(css);
    char want_cl[64];
    snprintf(want_cl, sizeof want_cl, "Content-Length: %zu\r\n", css_len);
    ck_assert_msg(strstr(out, want_cl) != NULL, "no '%s' in %s", want_cl, out);
    char *end = strstr(out, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    ck_assert_str_eq(end + 4, "");
    ck_assert_int_eq(closed, 1);
    free(css);
    free(css_path);
    free(out);

    /* after an early 413 the rest of the stream is not parsed as a new request */
    static const char pipelined[] =
        "POST /payments/complete HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    out = raw_exchange(&p, pipelined, sizeof pipelined - 1, &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 413", 12) == 0, "reply: %s", out);
    ck_assert_int_eq(count_status_lines(out), 1);
    ck_assert_int_eq(closed, 1);
    free(out);

    /* a path that is not UTF-8: the error body and the access log line stay UTF-8 */
    static const char bad_utf8[] = "GET /static/\xff\xfe%C3 HTTP/1.1\r\nHost: x\r\n"
                                   "X-Request-Id: bad-utf8-path\r\nConnection: close\r\n\r\n";
    out = raw_exchange(&p, bad_utf8, sizeof bad_utf8 - 1, &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 404", 12) == 0, "reply: %s", out);
    ck_assert(utf8_valid(out));
    free(out);
    static const char bad_method[] = "BR\xff\xfeW /healthz HTTP/1.1\r\nHost: x\r\n"
                                     "X-Request-Id: bad-utf8-method\r\nConnection: close\r\n\r\n";
    out = raw_exchange(&p, bad_method, sizeof bad_method - 1, &closed);
    ck_assert_msg(strncmp(out, "HTTP/1.1 405", 12) == 0, "reply: %s", out);
    free(out);
    char *log = billkeyd_log(&p);
    for (int i = 0; i < 100 && !(strstr(log, "\"request_id\":\"bad-utf8-path\"") &&
                                 strstr(log, "\"request_id\":\"bad-utf8-method\""));
         i++) {
        free(log);
        testlib_sleep_ms(50);
        log = billkeyd_log(&p);
    }
    ck_assert_ptr_nonnull(strstr(log, "\"request_id\":\"bad-utf8-path\""));
    ck_assert_msg(utf8_valid(log), "log is not UTF-8");
    free(log);

    ck_assert_int_eq(wait_status(&p, "/healthz", 200, 2000), 200);
    stop_billkeyd(&p, db);
}
END_TEST

/* A keep-alive request that completes during shutdown is answered with "Connection: close" and
 * the connection is closed after it, so the client does not send another request on a
 * connection that is about to be dropped. */
START_TEST(replies_during_shutdown_close_the_connection)
{
    struct billkeyd_proc p;
    char *db = start_billkeyd(&p, "server_shutdown_close", NULL);

    int fd = raw_connect(&p, 5);
    const char *head = "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Content-Length: 10\r\n\r\n{\"a\":";
    ck_assert_int_eq(raw_write(fd, head, strlen(head)), 0);
    testlib_sleep_ms(200);
    kill(p.pid, SIGTERM);
    testlib_sleep_ms(300);
    ck_assert_int_eq(raw_write(fd, "12}  ", 5), 0);
    int closed = 0;
    char *out = raw_read_all(fd, &closed);
    close(fd);
    ck_assert_msg(strncmp(out, "HTTP/1.1 200", 12) == 0, "reply: %s", out);
    ck_assert_msg(strstr(out, "\r\nConnection: close\r\n") != NULL, "reply: %s", out);
    ck_assert_int_eq(closed, 1);
    free(out);
    stop_billkeyd(&p, db);
}
END_TEST

/* Sends SIGTERM and waits up to timeout_ms for billkeyd to exit. Returns the milliseconds it
 * took (and *status the wait status), or -1 when it was still running (it is then killed). */
static long sigterm_and_time_exit(struct billkeyd_proc *p, long timeout_ms, int *status)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    kill(p->pid, SIGTERM);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        if (waitpid(p->pid, status, WNOHANG) == p->pid)
            return ms;
        if (ms > timeout_ms) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, status, 0);
            return -1;
        }
        testlib_sleep_ms(50);
    }
}

/* Frees what billkeyd_start allocated for a process that was already reaped. */
static void release_reaped(struct billkeyd_proc *p)
{
    char *log = xasprintf("%s/billkeyd.log", p->dir);
    unlink(log);
    rmdir(p->dir);
    free(log);
    free(p->dir);
    free(p->log_path);
    memset(p, 0, sizeof *p);
}

/* A request stuck in its handler (here: /readyz waiting for a table lock that is never
 * released) cannot keep billkeyd from exiting: SIGTERM ends the process shortly after
 * SHUTDOWN_TIMEOUT_SECONDS, saying why, with a non-zero status. */
START_TEST(shutdown_is_bounded_when_a_handler_is_stuck)
{
    struct billkeyd_proc p;
    const char *env[] = {"SHUTDOWN_TIMEOUT_SECONDS=1", NULL};
    char *db = start_billkeyd(&p, "server_stuck_handler", env);
    ck_assert_int_eq(wait_status(&p, "/readyz", 200, 15000), 200);

    PGconn *holder = db_test_connect(db);
    free(db_test_query(holder, "BEGIN; LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE",
                       NULL));
    int fd = raw_connect(&p, 1);
    static const char req[] = "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    ck_assert_int_eq(raw_write(fd, req, sizeof req - 1), 0);
    testlib_sleep_ms(500); /* the handler is now waiting for the lock */

    int status = 0;
    long ms = sigterm_and_time_exit(&p, 20000, &status);
    char *log = billkeyd_log(&p);
    free(db_test_query(holder, "ROLLBACK", NULL));
    PQfinish(holder);
    close(fd);
    ck_assert_msg(ms >= 0, "billkeyd still running 20 s after SIGTERM");
    ck_assert_msg(ms < 15000, "billkeyd took %ld ms to exit", ms);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 1);
    ck_assert_ptr_nonnull(strstr(log, "shutdown did not finish"));
    free(log);
    release_reaped(&p);
    free(db);
}
END_TEST

/* The migrator blocked on the migration lock (another process holds it) does not keep
 * billkeyd from exiting after SIGTERM. */
START_TEST(shutdown_is_bounded_when_the_migrator_is_stuck)
{
    char *db = testlib_create_database("server_stuck_migrator");
    PGconn *holder = db_test_connect(db);
    free(db_test_query(holder, "BEGIN; SELECT pg_advisory_xact_lock(7091318301185636641)", NULL));

    struct billkeyd_proc p;
    const char *env[] = {"SHUTDOWN_TIMEOUT_SECONDS=1", NULL};
    ck_assert_int_eq(billkeyd_start(&p, db, env), 0);
    ck_assert_int_eq(wait_status(&p, "/healthz", 200, 5000), 200);
    testlib_sleep_ms(500); /* the migrator is now waiting for the lock */

    int status = 0;
    long ms = sigterm_and_time_exit(&p, 20000, &status);
    free(db_test_query(holder, "ROLLBACK", NULL));
    PQfinish(holder);
    ck_assert_msg(ms >= 0, "billkeyd still running 20 s after SIGTERM");
    ck_assert_msg(ms < 15000, "billkeyd took %ld ms to exit", ms);
    ck_assert(WIFEXITED(status));
    release_reaped(&p);
    free(db);
}
END_TEST

static Suite *suite_server(void)
{
    Suite *s = suite_create("server");
    TCase *tc = tcase_create("http");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, health_and_readiness);
    tcase_add_test(tc, error_shapes_over_http);
    tcase_add_test(tc, static_files_and_traversal);
    tcase_add_test(tc, readiness_follows_postgres);
    tcase_add_test(tc, starts_while_postgres_is_down);
    tcase_add_test(tc, check_config_and_help);
    tcase_add_test(tc, logs_are_json_lines_without_secrets);
    tcase_add_test(tc, graceful_shutdown_finishes_in_flight_requests);
    tcase_add_test(tc, idle_connections_time_out);
    tcase_add_test(tc, oversized_expect_continue_is_refused_before_the_body);
    tcase_add_test(tc, chunked_body_over_the_cap);
    tcase_add_test(tc, hostile_framing);
    tcase_add_test(tc, replies_during_shutdown_close_the_connection);
    tcase_add_test(tc, shutdown_is_bounded_when_a_handler_is_stuck);
    tcase_add_test(tc, shutdown_is_bounded_when_the_migrator_is_stuck);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_server)
