/* Runs helper programs as child processes for tests: spawn, wait for a port, stop, read the log. */
#ifndef BILLKEY_TESTS_CHILD_PROC_H
#define BILLKEY_TESTS_CHILD_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* Most arguments (with argv[0] and the closing NULL) child_run_once passes on; more are cut. */
#define CHILD_MAX_ARGS 32

/* Forks and runs `bin` with argv (NULL-terminated, argv[0] included; borrowed) and env
 * (NULL-terminated "NAME=value" list, or NULL to inherit this process's environment), stdout and
 * stderr going to log_path (created or truncated, mode 0600). With die_with_parent the child gets
 * SIGTERM when the test process dies. Aborts the running Check test when fork fails. Returns the
 * child's pid. */
pid_t child_spawn(const char *bin, const char *const *argv, const char *const *env,
                  const char *log_path, bool die_with_parent);

/* Polls every 10 ms for up to 15 s until read_port(port_source) returns a port > 0, and returns
 * it. Returns -1 when the child exits first (it is reaped; `name` and its log at log_path are
 * printed to stderr) or when time runs out (it is killed with SIGKILL and reaped). */
int child_wait_port(pid_t pid, int (*read_port)(const char *port_source), const char *port_source,
                    const char *name, const char *log_path);

/* Sends SIGTERM and waits up to 20 s, then SIGKILL. Returns the exit status (0 = clean, which
 * under ASan also means no leaks), or -1 when it did not exit normally by itself. When the
 * status is not 0, `name` and the log at log_path are printed to stderr. */
int child_stop(pid_t pid, const char *name, const char *log_path);

/* The whole file at log_path (NULL allowed), or "" when there is none; caller frees. */
char *child_read_log(const char *log_path);

/* Runs `bin` with argv_tail (NULL-terminated, may be NULL) and env (as child_spawn), capturing
 * stdout+stderr into *output (caller frees). timeout_ms > 0 bounds the wait (then SIGKILL);
 * 0 waits as long as it takes. Returns the exit status, or -1 when it did not exit normally
 * within the time. */
int child_run_once(const char *bin, const char *const *argv_tail, const char *const *env,
                   bool die_with_parent, long timeout_ms, char **output);

#endif
