/* Starts and stops a real iamport-sandbox process for tests, and drives its control API. */
#include "tests/lib/sandbox_proc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/core/xalloc.h"
#include "tests/lib/child_proc.h"
#include "tests/lib/testlib.h"

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
    return child_read_log(p->log_path);
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

int sandbox_start(struct sandbox_proc *p, const char *const *extra_args)
{
    const char *bin = testlib_env("IAMPORT_SANDBOX_BIN");
    char tmpl[] = "/tmp/iamport-sandbox-test.XXXXXX";
    const char *argv[CHILD_MAX_ARGS];
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
        ck_assert_msg(n < CHILD_MAX_ARGS - 1, "too many sandbox arguments");
        argv[n++] = extra_args[i];
    }
    argv[n] = NULL;

    p->pid = child_spawn(bin, argv, NULL, p->log_path, true);
    p->port = child_wait_port(p->pid, read_port, p->port_file, "iamport-sandbox", p->log_path);
    if (p->port <= 0) {
        proc_release(p);
        return -1;
    }
    snprintf(p->base_url, sizeof p->base_url, "http://127.0.0.1:%d", p->port);
    return 0;
}

int sandbox_stop(struct sandbox_proc *p)
{
    int rc = -1;
    if (p->pid > 0) /* else never started, or already reaped by the caller */
        rc = child_stop(p->pid, "iamport-sandbox", p->log_path);
    proc_release(p);
    return rc;
}

int sandbox_run_once(const char *const *argv_tail, char **output)
{
    return child_run_once(testlib_env("IAMPORT_SANDBOX_BIN"), argv_tail, NULL, true, 10000, output);
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
