/* Runs helper programs as child processes for tests: spawn, wait for a port, stop, read the log. */
#include "tests/lib/child_proc.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/core/xalloc.h"
#include "tests/lib/testlib.h"

#define POLL_MS 10
#define START_TIMEOUT_MS 15000
#define STOP_TIMEOUT_MS 20000

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* In the child: stdout+stderr to log_path, optionally die with the parent, exec. Never returns. */
static _Noreturn void exec_child(const char *bin, const char *const *argv, const char *const *env,
                                 const char *log_path, bool die_with_parent, pid_t parent)
{
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        _exit(126);
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
    if (die_with_parent) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) /* the parent died before prctl took effect */
            _exit(125);
    }
    if (env)
        execve(bin, (char *const *)argv, (char *const *)env);
    else
        execv(bin, (char *const *)argv);
    _exit(127);
}

pid_t child_spawn(const char *bin, const char *const *argv, const char *const *env,
                  const char *log_path, bool die_with_parent)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        exec_child(bin, argv, env, log_path, die_with_parent, parent);
    return pid;
}

/* Polls for up to timeout_ms (0 = no limit) until pid exits. Returns true with *status filled
 * when it did, false when time ran out. */
static bool wait_exit(pid_t pid, int *status, long timeout_ms)
{
    if (timeout_ms == 0) {
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
            ;
        return true;
    }
    for (long waited = 0; waited < timeout_ms; waited += POLL_MS) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return true;
        sleep_ms(POLL_MS);
    }
    return false;
}

static void print_log(const char *name, const char *what, const char *log_path)
{
    char *log = child_read_log(log_path);
    fprintf(stderr, "%s %s:\n%s\n", name, what, log);
    free(log);
}

char *child_read_log(const char *log_path)
{
    char *text = log_path ? testlib_read_file(log_path, NULL) : NULL;
    return text ? text : xstrdup("");
}

int child_wait_port(pid_t pid, int (*read_port)(const char *port_source), const char *port_source,
                    const char *name, const char *log_path)
{
    for (long waited = 0; waited < START_TIMEOUT_MS; waited += POLL_MS) {
        int port = read_port(port_source);
        if (port > 0)
            return port;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            print_log(name, "exited during start-up", log_path);
            return -1;
        }
        sleep_ms(POLL_MS);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

int child_stop(pid_t pid, const char *name, const char *log_path)
{
    int status = 0, rc = -1;
    kill(pid, SIGTERM);
    if (wait_exit(pid, &status, STOP_TIMEOUT_MS))
        rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    else if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    if (rc != 0) {
        char what[48];
        snprintf(what, sizeof what, "exit status %d; its log", rc);
        print_log(name, what, log_path);
    }
    return rc;
}

int child_run_once(const char *bin, const char *const *argv_tail, const char *const *env,
                   bool die_with_parent, long timeout_ms, char **output)
{
    char tmpl[] = "/tmp/child-proc-once.XXXXXX";
    int fd = mkstemp(tmpl);
    ck_assert_int_ge(fd, 0);
    close(fd);

    const char *argv[CHILD_MAX_ARGS] = {bin};
    size_t n = 1;
    for (size_t i = 0; argv_tail && argv_tail[i] && n < CHILD_MAX_ARGS - 1; i++)
        argv[n++] = argv_tail[i];
    argv[n] = NULL;

    pid_t pid = child_spawn(bin, argv, env, tmpl, die_with_parent);
    int status = 0;
    bool exited = wait_exit(pid, &status, timeout_ms);
    if (!exited) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    *output = child_read_log(tmpl);
    unlink(tmpl);
    return exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
