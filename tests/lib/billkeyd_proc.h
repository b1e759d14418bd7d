/* Starts and stops a real billkeyd process for integration tests (free port, captured log). */
#ifndef BILLKEY_TESTS_BILLKEYD_PROC_H
#define BILLKEY_TESTS_BILLKEYD_PROC_H

#include <sys/types.h>

struct billkeyd_proc {
    pid_t pid;
    int port;
    char *dir;      /* owned: temp folder holding the log */
    char *log_path; /* owned */
    char base_url[64];
};

/* Starts $BILLKEYD with a minimal environment: PORT=0, LISTEN_ADDR=127.0.0.1, the given
 * DATABASE_URL, dummy iamport credentials, STATIC_DIR=<source>/static, LOG_LEVEL=debug, plus
 * `extra_env` ("NAME=value" strings, NULL-terminated; may be NULL) which override those. Waits
 * until the log says it listens. Returns 0, or -1 (the process is killed, *p released). */
int billkeyd_start(struct billkeyd_proc *p, const char *database_url, const char *const *extra_env);
/* Sends SIGTERM and waits up to 20 s. Returns the exit status (0 = clean, which under ASan also
 * means no leaks), or -1 when it had to be killed. Frees what *p owns. */
int billkeyd_stop(struct billkeyd_proc *p);
/* Sends SIGKILL (a crash: no shutdown runs), reaps the process and frees what *p owns. Returns 0
 * when it died of that signal, -1 otherwise. */
int billkeyd_kill(struct billkeyd_proc *p);
/* Everything billkeyd logged so far; caller frees. */
char *billkeyd_log(const struct billkeyd_proc *p);

/* Runs $BILLKEYD with the given arguments and exactly the given environment (NULL-terminated
 * "NAME=value" list), capturing stdout+stderr into *output (caller frees). Returns the exit
 * status, or -1 when it did not exit normally. */
int billkeyd_run_once(const char *const *argv_tail, const char *const *env, char **output);

#endif
