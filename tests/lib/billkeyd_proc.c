/* Starts and stops a real billkeyd process for integration tests (free port, captured log). */
#include "tests/lib/billkeyd_proc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/core/xalloc.h"
#include "tests/lib/child_proc.h"
#include "tests/lib/testlib.h"

/* Builds the child's environment: defaults, passthrough of sanitizer options, then overrides. */
static char **build_env(const char *database_url, const char *const *extra_env)
{
    char *static_dir = testlib_source_path("static");
    const char *defaults[] = {"PORT=0",
                              "LISTEN_ADDR=127.0.0.1",
                              "IAMPORT_API_KEY=test_key",
                              "IAMPORT_API_SECRET=test_secret_value",
                              "LOG_LEVEL=debug",
                              "IAMPORT_BASE_URL=http://127.0.0.1:9",
                              NULL};
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
    return child_read_log(p->log_path);
}

/* The port from the log's "listening" line; 0 while it is not there yet. */
static int find_port(const char *log_path)
{
    char *log = child_read_log(log_path);
    const char *line = strstr(log, "\"msg\":\"listening\"");
    const char *port = line ? strstr(line, "\"port\":") : NULL;
    int n = port ? atoi(port + 7) : 0;
    free(log);
    return n;
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
    const char *argv[] = {bin, NULL};
    p->pid = child_spawn(bin, argv, (const char *const *)env, p->log_path, false);
    free_env(env);
    p->port = child_wait_port(p->pid, find_port, p->log_path, "billkeyd", p->log_path);
    if (p->port <= 0) {
        proc_release(p);
        return -1;
    }
    snprintf(p->base_url, sizeof p->base_url, "http://127.0.0.1:%d", p->port);
    return 0;
}

int billkeyd_stop(struct billkeyd_proc *p)
{
    if (p->pid <= 0)
        return -1;
    int rc = child_stop(p->pid, "billkeyd", p->log_path);
    proc_release(p);
    return rc;
}

int billkeyd_kill(struct billkeyd_proc *p)
{
    if (p->pid <= 0)
        return -1;
    int status = 0;
    kill(p->pid, SIGKILL);
    pid_t got = waitpid(p->pid, &status, 0);
    proc_release(p);
    return got > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : -1;
}

int billkeyd_run_once(const char *const *argv_tail, const char *const *env, char **output)
{
    return child_run_once(testlib_env("BILLKEYD"), argv_tail, env, false, 0, output);
}
