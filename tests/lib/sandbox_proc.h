/* Starts and stops a real iamport-sandbox process for tests, and drives its control API. */
#ifndef BILLKEY_TESTS_SANDBOX_PROC_H
#define BILLKEY_TESTS_SANDBOX_PROC_H

#include <sys/types.h>
#include <cjson/cJSON.h>

#include "tests/lib/http_client.h"

#define SANDBOX_IMP_KEY "imp_sandbox_key"
#define SANDBOX_IMP_SECRET "imp_sandbox_secret"

struct sandbox_proc {
    pid_t pid;
    int port;
    char *dir;         /* owned: mkdtemp folder with the port file and the log */
    char *port_file;   /* owned */
    char *log_path;    /* owned: the sandbox's stderr */
    char base_url[64]; /* "http://127.0.0.1:<port>" */
};

/* Starts $IAMPORT_SANDBOX_BIN --port 0 --port-file <dir>/port plus extra_args (NULL-terminated,
 * may be NULL) and waits (up to 15 s) until the port file appears. The child gets SIGTERM if
 * the calling process dies (so a failed Check test never leaks it). Returns 0, or -1 (the child
 * is killed, *p released; its log is printed to stderr). */
int sandbox_start(struct sandbox_proc *p, const char *const *extra_args);
/* SIGTERM, then waits up to 20 s (SIGKILL after). Returns the exit status (0 = clean, which
 * under ASan also means no leaks), or -1 when it did not exit by itself (or p->pid is 0: the
 * caller reaped it). Always frees what *p owns and removes its temp folder. */
int sandbox_stop(struct sandbox_proc *p);
/* Everything the sandbox logged so far; caller frees. */
char *sandbox_log(const struct sandbox_proc *p);
/* base_url + path; caller frees. */
char *sandbox_url(const struct sandbox_proc *p, const char *path);

/* Runs $IAMPORT_SANDBOX_BIN once with argv_tail (NULL-terminated), capturing stdout+stderr into
 * *output (caller frees). Waits at most 10 s (then kills it). Returns the exit status, or -1. */
int sandbox_run_once(const char *const *argv_tail, char **output);

/* Calls the sandbox: method + path (e.g. "/__sandbox/ledger") with an optional JSON body.
 * Fills *out (caller releases). Returns the HTTP status, or 0 on a transport error. */
long sandbox_call(const struct sandbox_proc *p, const char *method, const char *path,
                  const char *json_body, struct http_client_response *out);
/* Same with a bearer token (may be NULL) and a form body instead of JSON when form_body set. */
long sandbox_call_auth(const struct sandbox_proc *p, const char *method, const char *path,
                       const char *token, const char *json_body, const char *form_body,
                       struct http_client_response *out);

/* Control API shorthand: aborts the running Check test unless the call returns 200; returns the
 * parsed JSON body (caller deletes with cJSON_Delete; NULL when the body is not JSON). */
cJSON *sandbox_ctl(const struct sandbox_proc *p, const char *method, const char *path,
                   const char *json_body);
/* POST /users/getToken with the default key/secret; returns the access token (caller frees).
 * Aborts the test when it fails. */
char *sandbox_token(const struct sandbox_proc *p);
/* POST /__sandbox/customers {"customer_uid": uid, "pg_provider": pg (NULL = kakaopay)}; aborts
 * the test when it fails. */
void sandbox_add_customer(const struct sandbox_proc *p, const char *customer_uid, const char *pg);

#endif
