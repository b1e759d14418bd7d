/* Starts and stops a real billkeyd process for integration tests (free port, captured log). */
#include "tests/lib/billkeyd_proc.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/xalloc.h"
#include "tests/lib/testlib.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Builds the child's environment: defaults, passthrough of sanitizer options, then overrides. */
static char **build_env(const char *database_url, const char *const *extra_env)
{
    char *static_dir = testlib_source_path("static");
    const char *defaults[] = {"PORT=0", "LISTEN_ADDR=127.0.0.1", "IAMPORT_API_KEY=test_key",
                              "IAMPORT_API_SECRET=test_secret_value", "LOG_LEVEL=debug",
                              "IAMPORT_BASE_URL=http://127.0.0.1:9", NULL};
    const char *passthrough[] = {"PATH", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL};
    size_t cap = 64, n = 0;
    char **env = xcalloc(cap, sizeof *env);

    for (size_t i = 0; defaults[i]; i++)
        env[n++] = xstrdup(defaults[i]);
    env[n++] = xasprintf("STATIC_DIR=%s", static_dir);
    if (database_url)
        env[n++] = xasprintf("DATABASE_URL=%s", database_url);
    for (size_t i = 0; passthrough[i]; i++) {
        const char *v = getenv(passthrough[i]);
        if (v)
            env[n++] = xasprintf("%s=%s", passthrough[i], v);
    }
    for (size_t i = 0; extra_env && extra_env[i]; i++) {
        size_t klen = strcspn(extra_env[i], "=");
        for (size_t k = 0; k < n; k++) {
            if (strncmp(env[k], extra_env[i], klen + 1) == 0) {
                free(env[k]);
                env[k] = env[--n];
                env[n] = NULL;
                break;
            }
        }
        if (n + 2 >= cap)
            env = xrealloc(env, (cap *= 2) * sizeof *env);
        env[n++] = xstrdup(extra_env[i]);
    }
    env[n] = NULL;
    free(static_dir);
    return env;
}

static void free_env(char **env)
{
    for (size_t i = 0; env[i]; i++)
        free(env[i]);
    free(env);
}

static void proc_release(struct billkeyd_proc *p)
{
    if (p->log_path)
        unlink(p->log_path);
    if (p->dir)
        rmdir(p->dir);
    free(p->log_path);
    free(p->dir);
    memset(p, 0, sizeof *p);
}

char *billkeyd_log(const struct billkeyd_proc *p)
{
    char *text = testlib_read_file(p->log_path, NULL);
    return text ? text : xstrdup("");
}

static int find_port(const char *log)
{
    const char *line = strstr(log, "\"msg\":\"listening\"");
    if (!line)
        return 0;
    const char *port = strstr(line, "\"port\":");
    return port ? atoi(port + 7) : 0;
}

int billkeyd_start(struct billkeyd_proc *p, const char *database_url, const char *const *extra_env)
{
    const char *bin = testlib_env("BILLKEYD");
    char tmpl[] = "/tmp/billkeyd-test.XXXXXX";

    memset(p, 0, sizeof *p);
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    p->dir = xstrdup(tmpl);
    p->log_path = xasprintf("%s/billkeyd.log", p->dir);

    char **env = build_env(database_url, extra_env);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(p->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            _exit(126);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        execle(bin, bin, (char *)NULL, env);
        _exit(127);
    }
    free_env(env);
    p->pid = pid;

    for (int i = 0; i < 1500; i++) {
        char *log = billkeyd_log(p);
        p->port = find_port(log);
        free(log);
        if (p->port > 0) {
            snprintf(p->base_url, sizeof p->base_url, "http://127.0.0.1:%d", p->port);
            return 0;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            char *log2 = billkeyd_log(p);
            fprintf(stderr, "billkeyd exited during start-up:\n%s\n", log2);
            free(log2);
            proc_release(p);
            return -1;
        }
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    proc_release(p);
    return -1;
}

int billkeyd_stop(struct billkeyd_proc *p)
{
    int status = 0, rc = -1;
    if (p->pid <= 0)
        return -1;
    kill(p->pid, SIGTERM);
    for (int i = 0; i < 2000; i++) {
        pid_t w = waitpid(p->pid, &status, WNOHANG);
        if (w == p->pid) {
            rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            break;
        }
        sleep_ms(10);
    }
    if (rc == -1 && waitpid(p->pid, &status, WNOHANG) == 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
    }
    if (rc != 0) {
        char *log = billkeyd_log(p);
        fprintf(stderr, "billkeyd exit status %d; its log:\n%s\n", rc, log);
        free(log);
    }
    proc_release(p);
    return rc;
}

int billkeyd_run_once(const char *const *argv_tail, const char *const *env, char **output)
{
    const char *bin = testlib_env("BILLKEYD");
    char tmpl[] = "/tmp/billkeyd-once.XXXXXX";
    int fd = mkstemp(tmpl);
    ck_assert_int_ge(fd, 0);

    const char *argv[16] = {bin};
    size_t n = 1;
    for (size_t i = 0; argv_tail && argv_tail[i] && n < 15; i++)
        argv[n++] = argv_tail[i];
    argv[n] = NULL;

    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        execve(bin, (char *const *)argv, (char *const *)env);
        _exit(127);
    }
    close(fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    *output = testlib_read_file(tmpl, NULL);
    if (!*output)
        *output = xstrdup("");
    unlink(tmpl);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
