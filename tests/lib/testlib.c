/* Shared helpers for the Check suites: runner, env lookups, file reading, pg.sh, polling. */
#include "tests/lib/testlib.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/core/xalloc.h"
#include "tests/lib/http_client.h"

int testlib_run_suite(Suite *s)
{
    xalloc_init_cjson(); /* as billkeyd's main does; forked tests inherit it */
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

const char *testlib_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        ck_abort_msg("environment variable %s is not set (run the suite via scripts/test.sh)",
                     name);
    return v;
}

char *testlib_source_path(const char *rel)
{
    const char *root = getenv("BILLKEY_SOURCE_DIR");
    if (!root || !*root)
        root = BILLKEY_SOURCE_DIR;
    return xasprintf("%s/%s", root, rel);
}

char *testlib_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2)
            buf = xrealloc(buf, cap *= 2);
    }
    fclose(f);
    buf[len] = '\0';
    if (len_out)
        *len_out = len;
    return buf;
}

char *testlib_pg_script(const char *const *args)
{
    char *script = testlib_source_path("scripts/pg.sh");
    char *cmd = xasprintf("bash '%s'", script);
    for (size_t i = 0; args && args[i]; i++) {
        char *next = xasprintf("%s '%s'", cmd, args[i]);
        free(cmd);
        cmd = next;
    }
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run '%s'", cmd);
    char line[1024] = "";
    if (!fgets(line, sizeof line, p))
        line[0] = '\0';
    int rc = pclose(p);
    ck_assert_msg(rc == 0, "'%s' failed (exit %d)", cmd, rc);
    line[strcspn(line, "\r\n")] = '\0';
    free(script);
    free(cmd);
    return xstrdup(line);
}

char *testlib_create_database(const char *prefix)
{
    static unsigned counter;
    const char *pgdir = testlib_env("BILLKEY_TEST_PGDIR");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* pid + wall-clock nanoseconds + counter: unique across Check's forked test processes and
     * across pid reuse on a long-lived cluster. */
    char *name = xasprintf("%s_%ld_%lld%09ld_%u", prefix, (long)getpid(), (long long)ts.tv_sec,
                           ts.tv_nsec, __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
    const char *args[] = {"createdb", pgdir, name, NULL};
    char *url = testlib_pg_script(args);
    ck_assert_msg(url[0] != '\0', "pg.sh createdb '%s' printed no URL", name);
    free(name);
    return url;
}

int testlib_free_port(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof addr;
    int port = 0;

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_msg(fd >= 0, "cannot create a socket to find a free port");
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    close(fd);
    ck_assert_msg(port > 0, "cannot bind 127.0.0.1:0 to find a free port");
    return port;
}

void testlib_sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

long testlib_wait_http_status(const char *url, long want, long timeout_ms, long step_ms)
{
    long got = 0;
    for (long waited = 0;; waited += step_ms) {
        struct http_client_response r;
        http_client_get(url, NULL, &r);
        got = r.status;
        http_client_response_release(&r);
        if (got == want || waited >= timeout_ms)
            break;
        testlib_sleep_ms(step_ms);
    }
    return got;
}

const char *testlib_error_field(const cJSON *json, const char *member)
{
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(json, "error");
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(error, member);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}
