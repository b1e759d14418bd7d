/* Starts and stops a real iamport-sandbox process for tests, and drives its control API. */
#include "tests/lib/sandbox_proc.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/xalloc.h"
#include "tests/lib/testlib.h"

#define MAX_ARGS 32

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void proc_release(struct sandbox_proc *p)
{
    if (p->port_file)
        unlink(p->port_file);
    if (p->log_path)
        unlink(p->log_path);
    if (p->dir)
        rmdir(p->dir);
    free(p->port_file);
    free(p->log_path);
    free(p->dir);
    memset(p, 0, sizeof *p);
}

char *sandbox_log(const struct sandbox_proc *p)
{
    char *text = p->log_path ? testlib_read_file(p->log_path, NULL) : NULL;
    return text ? text : xstrdup("");
}

char *sandbox_url(const struct sandbox_proc *p, const char *path)
{
    return xasprintf("%s%s", p->base_url, path);
}

/* Reads a complete "<port>\n" from the port file; 0 while it is not there yet. */
static int read_port(const char *path)
{
    char *text = testlib_read_file(path, NULL);
    int port = 0;
    if (text && strchr(text, '\n'))
        port = atoi(text);
    free(text);
    return port;
}

/* In the child: stdout+stderr to log_path, die with the parent, exec. Never returns. */
static void exec_child(const char *bin, const char *const *argv, const char *log_path, pid_t parent)
{
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        _exit(126);
    dup2(fd, 1);
    dup2(fd, 2);
    close(fd);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) /* the parent died before prctl took effect */
        _exit(125);
    execv(bin, (char *const *)argv);
    _exit(127);
}

int sandbox_start(struct sandbox_proc *p, const char *const *extra_args)
{
    const char *bin = testlib_env("IAMPORT_SANDBOX_BIN");
    char tmpl[] = "/tmp/iamport-sandbox-test.XXXXXX";
    const char *argv[MAX_ARGS];
    size_t n = 0;

    memset(p, 0, sizeof *p);
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    p->dir = xstrdup(tmpl);
    p->port_file = xasprintf("%s/port", p->dir);
    p->log_path = xasprintf("%s/sandbox.log", p->dir);
    argv[n++] = bin;
    argv[n++] = "--port";
    argv[n++] = "0";
    argv[n++] = "--port-file";
    argv[n++] = p->port_file;
    for (size_t i = 0; extra_args && extra_args[i]; i++) {
        ck_assert_msg(n < MAX_ARGS - 1, "too many sandbox arguments");
        argv[n++] = extra_args[i];
    }
    argv[n] = NULL;

    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        exec_child(bin, argv, p->log_path, parent);
    p->pid = pid;

    for (int i = 0; i < 1500; i++) {
        p->port = read_port(p->port_file);
        if (p->port > 0) {
            snprintf(p->base_url, sizeof p->base_url, "http://127.0.0.1:%d", p->port);
            return 0;
        }
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            char *log = sandbox_log(p);
            fprintf(stderr, "iamport-sandbox exited during start-up:\n%s\n", log);
            free(log);
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

int sandbox_stop(struct sandbox_proc *p)
{
    int status = 0, rc = -1;
    if (p->pid <= 0) { /* never started, or already reaped by the caller */
        proc_release(p);
        return -1;
    }
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
        char *log = sandbox_log(p);
        fprintf(stderr, "iamport-sandbox exit status %d; its log:\n%s\n", rc, log);
        free(log);
    }
    proc_release(p);
    return rc;
}

int sandbox_run_once(const char *const *argv_tail, char **output)
{
    const char *bin = testlib_env("IAMPORT_SANDBOX_BIN");
    char tmpl[] = "/tmp/iamport-sandbox-once.XXXXXX";
    int fd = mkstemp(tmpl);
    ck_assert_int_ge(fd, 0);
    close(fd);

    const char *argv[MAX_ARGS] = {bin};
    size_t n = 1;
    for (size_t i = 0; argv_tail && argv_tail[i] && n < MAX_ARGS - 1; i++)
        argv[n++] = argv_tail[i];
    argv[n] = NULL;

    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        exec_child(bin, argv, tmpl, parent);
    int status = 0, exited = 0;
    for (int i = 0; i < 1000 && !exited; i++) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            exited = 1;
        else
            sleep_ms(10);
    }
    if (!exited) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    *output = testlib_read_file(tmpl, NULL);
    if (!*output)
        *output = xstrdup("");
    unlink(tmpl);
    return exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

long sandbox_call_auth(const struct sandbox_proc *p, const char *method, const char *path,
                       const char *token, const char *json_body, const char *form_body,
                       struct http_client_response *out)
{
    char *url = sandbox_url(p, path);
    char *auth = token ? xasprintf("Authorization: Bearer %s", token) : NULL;
    const char *headers[] = {auth, NULL};
    struct http_client_request rq = {
        .method = method,
        .url = url,
        .headers = headers,
        .content_type = form_body ? "application/x-www-form-urlencoded" : "application/json",
        .body = form_body ? form_body : json_body,
    };
    http_client_do(&rq, out);
    free(url);
    free(auth);
    return out->status;
}

long sandbox_call(const struct sandbox_proc *p, const char *method, const char *path,
                  const char *json_body, struct http_client_response *out)
{
    return sandbox_call_auth(p, method, path, NULL, json_body, NULL, out);
}

cJSON *sandbox_ctl(const struct sandbox_proc *p, const char *method, const char *path,
                   const char *json_body)
{
    struct http_client_response r;
    long status = sandbox_call(p, method, path, json_body, &r);
    ck_assert_msg(status == 200, "%s %s -> %ld (curl %d): %s", method, path, status, r.curl_code,
                  r.body);
    cJSON *json = r.json;
    r.json = NULL;
    http_client_response_release(&r);
    return json;
}

char *sandbox_token(const struct sandbox_proc *p)
{
    struct http_client_response r;
    long status = sandbox_call(
        p, "POST", "/users/getToken",
        "{\"imp_key\":\"" SANDBOX_IMP_KEY "\",\"imp_secret\":\"" SANDBOX_IMP_SECRET "\"}", &r);
    ck_assert_msg(status == 200, "getToken -> %ld: %s", status, r.body);
    const cJSON *token =
        cJSON_GetObjectItemCaseSensitive(http_client_body_response(&r), "access_token");
    ck_assert_msg(cJSON_IsString(token), "getToken without access_token: %s", r.body);
    char *copy = xstrdup(token->valuestring);
    http_client_response_release(&r);
    return copy;
}

void sandbox_add_customer(const struct sandbox_proc *p, const char *customer_uid, const char *pg)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "customer_uid", customer_uid);
    cJSON_AddStringToObject(body, "pg_provider", pg ? pg : "kakaopay");
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(sandbox_ctl(p, "POST", "/__sandbox/customers", text));
    cJSON_free(text);
    cJSON_Delete(body);
}
