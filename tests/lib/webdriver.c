/* A tiny W3C WebDriver client: chromedriver under a watchdog, a session, the commands tests use. */
#define _GNU_SOURCE /* pipe2, close_range */
#include "tests/lib/webdriver.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/core/xalloc.h"
#include "tests/lib/http_client.h"
#include "tests/lib/testlib.h"

#define ELEMENT_KEY "element-6066-11e4-a52e-4f735466cecf"
#define COMMAND_TIMEOUT_MS 60000
#define READY_TIMEOUT_MS 20000
#define STOP_GRACE_MS 5000
#define START_ATTEMPTS 3
#define POLL_INTERVAL_MS 50

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum webdriver_status set_error(struct webdriver *wd, enum webdriver_status st,
                                       const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static enum webdriver_status set_error(struct webdriver *wd, enum webdriver_status st,
                                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(wd->error, sizeof wd->error, fmt, ap);
    va_end(ap);
    return st;
}

/* ---- the watchdog and chromedriver (run in children: only plain system calls) ---- */

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* rm -rf dir, never following symlinks out of it. */
static void remove_tree(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Kills the process group (SIGTERM, SIGKILL after STOP_GRACE_MS) and reaps its leader (which
 * may be reaped already). */
static void kill_group(pid_t leader)
{
    int reaped = 0;
    kill(-leader, SIGTERM);
    for (long waited = 0; waited < STOP_GRACE_MS; waited += POLL_INTERVAL_MS) {
        pid_t w = reaped ? 0 : waitpid(leader, NULL, WNOHANG);
        if (w == leader || (w < 0 && errno == ECHILD))
            reaped = 1;
        if (reaped && kill(-leader, 0) != 0 && errno == ESRCH)
            return;
        sleep_ms(POLL_INTERVAL_MS);
    }
    kill(-leader, SIGKILL);
    if (!reaped)
        waitpid(leader, NULL, 0);
}

/* The watchdog, in a process group of its own (so Check's kill of the test's group after a
 * failed test does not take it down before it cleaned up): starts chromedriver as the leader
 * of another new group, tells the test process (one byte on status_fd) if chromedriver exits
 * early, and once the test process closes its end of control_fd (webdriver_stop, or the test
 * process died) kills chromedriver's group and removes the temp folder. Never returns. */
static void watchdog_main(int control_fd, int status_fd, char *const argv[], char *const envp[],
                          const char *log_path, const char *dir)
{
    if (dup2(control_fd, 3) != 3 || dup2(status_fd, 4) != 4)
        _exit(120);
    close_range(5, ~0U, 0); /* other drivers' pipe ends, sockets of the test process */
    setpgid(0, 0);
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    pid_t driver = fork();
    if (driver < 0)
        _exit(121);
    if (driver == 0) {
        setpgid(0, 0);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGPIPE, SIG_DFL);
        close(3);
        close(4);
        int in = open("/dev/null", O_RDONLY);
        int out = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
        if (in < 0 || out < 0)
            _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        close(in);
        close(out);
        execve(argv[0], argv, envp);
        _exit(127);
    }
    setpgid(driver, driver);
    int driver_exited = 0;
    for (;;) {
        struct pollfd pfd = {.fd = 3, .events = POLLIN};
        int ready = poll(&pfd, 1, 100);
        if (ready > 0) {
            char c;
            ssize_t n = read(3, &c, 1);
            if (n == 0 || (n < 0 && errno != EINTR))
                break;
        } else if (ready < 0 && errno != EINTR) {
            break;
        }
        if (!driver_exited && waitpid(driver, NULL, WNOHANG) == driver) {
            driver_exited = 1;
            if (write(4, "x", 1) < 0) { /* the test process is gone: clean up below */
            }
        }
    }
    kill_group(driver);
    remove_tree(dir);
    _exit(0);
}

/* NULL-terminated "NAME=value" list for chromedriver (and so Chromium): PATH, LANG and homes
 * inside the temp folder, so nothing is written to the real home (crash reports, caches).
 * Caller frees each string and the array. */
static char **driver_env(const char *dir)
{
    const char *path = getenv("PATH");
    char **env = xcalloc(8, sizeof *env);
    size_t n = 0;
    env[n++] = xasprintf("PATH=%s", path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
    env[n++] = xasprintf("HOME=%s/home", dir);
    env[n++] = xasprintf("XDG_CONFIG_HOME=%s/config", dir);
    env[n++] = xasprintf("XDG_CACHE_HOME=%s/cache", dir);
    env[n++] = xasprintf("TMPDIR=%s/tmp", dir);
    env[n++] = xstrdup("LANG=C.UTF-8");
    env[n] = NULL;
    return env;
}

static void free_strings(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

/* Forks the watchdog (which starts chromedriver on wd->port). */
static enum webdriver_status spawn(struct webdriver *wd, const char *chromedriver)
{
    int control[2], status[2];
    if (pipe2(control, O_CLOEXEC) != 0)
        return set_error(wd, WEBDRIVER_E_START, "cannot create the watchdog pipe: %s",
                         strerror(errno));
    if (pipe2(status, O_CLOEXEC) != 0) {
        close(control[0]);
        close(control[1]);
        return set_error(wd, WEBDRIVER_E_START, "cannot create the watchdog pipe: %s",
                         strerror(errno));
    }
    char *port_arg = xasprintf("--port=%d", wd->port);
    char *argv[] = {(char *)chromedriver, port_arg, (char *)"--log-level=WARNING", NULL};
    char **envp = driver_env(wd->dir);
    pid_t pid = fork();
    if (pid == 0) {
        close(control[1]);
        close(status[0]);
        watchdog_main(control[0], status[1], argv, envp, wd->log_path, wd->dir);
    }
    close(control[0]);
    close(status[1]);
    free(port_arg);
    free_strings(envp);
    if (pid < 0) {
        close(control[1]);
        close(status[0]);
        return set_error(wd, WEBDRIVER_E_START, "cannot fork the chromedriver watchdog: %s",
                         strerror(errno));
    }
    fcntl(status[0], F_SETFL, O_NONBLOCK);
    wd->watchdog_pid = pid;
    wd->watchdog_fd = control[1];
    wd->status_fd = status[0];
    return WEBDRIVER_OK;
}

/* 1 when the watchdog reported that chromedriver exited (or the watchdog itself is gone). */
static int driver_exited(const struct webdriver *wd)
{
    char c;
    ssize_t n = read(wd->status_fd, &c, 1);
    return n > 0 || n == 0;
}

/* Closes the pipe (the watchdog then kills the group and removes the folder) and reaps it. */
static void stop_watchdog(struct webdriver *wd)
{
    if (wd->watchdog_fd >= 0)
        close(wd->watchdog_fd);
    if (wd->status_fd >= 0)
        close(wd->status_fd);
    wd->watchdog_fd = wd->status_fd = -1;
    if (wd->watchdog_pid <= 0)
        return;
    for (long waited = 0; waited < 3 * STOP_GRACE_MS; waited += POLL_INTERVAL_MS) {
        if (waitpid(wd->watchdog_pid, NULL, WNOHANG) == wd->watchdog_pid) {
            wd->watchdog_pid = 0;
            return;
        }
        sleep_ms(POLL_INTERVAL_MS);
    }
    kill(wd->watchdog_pid, SIGKILL);
    waitpid(wd->watchdog_pid, NULL, 0);
    wd->watchdog_pid = 0;
}

/* ---- HTTP commands ---- */

static enum webdriver_status map_error(struct webdriver *wd, const struct http_client_response *r)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(r->json, "value");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(value, "error");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(value, "message");
    const char *code = cJSON_IsString(error) ? error->valuestring : "unknown error";
    const char *text = cJSON_IsString(message) ? message->valuestring : r->body;
    enum webdriver_status st = strcmp(code, "no such element") == 0 ? WEBDRIVER_E_NO_SUCH_ELEMENT
                               : strcmp(code, "stale element reference") == 0 ? WEBDRIVER_E_STALE
                                                                              : WEBDRIVER_E_COMMAND;
    return set_error(wd, st, "webdriver '%s' (HTTP %ld): %.*s", code, r->status,
                     (int)strcspn(text, "\n"), text);
}

/* Sends one command. path is below base_url; body (taken, may be NULL: no body) is sent as
 * JSON. On WEBDRIVER_OK *value_out (when not NULL) is the answer's "value" (caller deletes). */
static enum webdriver_status command(struct webdriver *wd, const char *method, const char *path,
                                     cJSON *body, cJSON **value_out)
{
    struct http_client_response r;
    enum webdriver_status st = WEBDRIVER_OK;
    char *url = xasprintf("%s%s", wd->base_url, path);
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    struct http_client_request rq = {
        .method = method, .url = url, .body = text, .timeout_ms = COMMAND_TIMEOUT_MS};

    if (value_out)
        *value_out = NULL;
    if (http_client_do(&rq, &r) != 0) {
        st = set_error(wd, WEBDRIVER_E_TRANSPORT,
                       "no answer from chromedriver to %s %s (curl code %d)", method, path,
                       r.curl_code);
        goto out;
    }
    if (r.status != 200 || !cJSON_IsObject(r.json)) {
        st = map_error(wd, &r);
        goto out;
    }
    if (value_out) {
        *value_out = cJSON_DetachItemFromObjectCaseSensitive(r.json, "value");
        if (!*value_out)
            *value_out = cJSON_CreateNull();
    }
out:
    http_client_response_release(&r);
    cJSON_free(text);
    cJSON_Delete(body);
    free(url);
    return st;
}

/* "/session/<id><suffix>"; caller frees. */
static char *session_path(const struct webdriver *wd, const char *suffix)
{
    return xasprintf("/session/%s%s", wd->session_id ? wd->session_id : "none", suffix);
}

/* "/session/<id>/element/<escaped element id><suffix>"; caller frees. */
static char *element_path(const struct webdriver *wd, const struct webdriver_element *el,
                          const char *suffix)
{
    char *esc = curl_easy_escape(NULL, el->id, 0);
    char *path = xasprintf("/session/%s/element/%s%s", wd->session_id ? wd->session_id : "none",
                           esc ? esc : "", suffix);
    curl_free(esc);
    return path;
}

static enum webdriver_status session_command(struct webdriver *wd, const char *method,
                                             const char *suffix, cJSON *body, cJSON **value_out)
{
    char *path = session_path(wd, suffix);
    enum webdriver_status st = command(wd, method, path, body, value_out);
    free(path);
    return st;
}

static enum webdriver_status element_command(struct webdriver *wd, const char *method,
                                             const struct webdriver_element *el, const char *suffix,
                                             cJSON *body, cJSON **value_out)
{
    char *path = element_path(wd, el, suffix);
    enum webdriver_status st = command(wd, method, path, body, value_out);
    free(path);
    return st;
}

/* Takes a string "value" into *out (caller frees); NULL for JSON null. */
static enum webdriver_status take_string(struct webdriver *wd, enum webdriver_status st,
                                         cJSON *value, char **out)
{
    if (st == WEBDRIVER_OK) {
        if (cJSON_IsString(value))
            *out = xstrdup(value->valuestring);
        else if (cJSON_IsNull(value))
            *out = NULL;
        else
            st = set_error(wd, WEBDRIVER_E_COMMAND, "webdriver answered a non-string value");
    }
    cJSON_Delete(value);
    return st;
}

/* ---- start and stop ---- */

static enum webdriver_status wait_ready(struct webdriver *wd)
{
    long deadline = now_ms() + READY_TIMEOUT_MS;
    while (now_ms() < deadline) {
        struct http_client_response r;
        char *url = xasprintf("%s/status", wd->base_url);
        int rc = http_client_get(url, NULL, &r);
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(r.json, "value");
        int ready = rc == 0 && r.status == 200 &&
                    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(value, "ready"));
        http_client_response_release(&r);
        free(url);
        if (ready)
            return WEBDRIVER_OK;
        if (driver_exited(wd))
            break;
        sleep_ms(POLL_INTERVAL_MS);
    }
    char *log = webdriver_log(wd);
    set_error(wd, WEBDRIVER_E_START, "chromedriver on port %d did not become ready: %.600s",
              wd->port, log);
    free(log);
    return WEBDRIVER_E_START;
}

static cJSON *capabilities(const struct webdriver *wd, const char *chromium, int width, int height)
{
    const char *const fixed_args[] = {"--headless=new",
                                      "--no-sandbox",
                                      "--disable-gpu",
                                      "--disable-dev-shm-usage",
                                      "--disable-quic",
                                      "--no-first-run",
                                      "--disable-background-networking",
                                      "--disable-component-update",
                                      "--disable-sync",
                                      NULL};
    cJSON *root = cJSON_CreateObject();
    cJSON *caps = cJSON_AddObjectToObject(root, "capabilities");
    cJSON *always = cJSON_AddObjectToObject(caps, "alwaysMatch");
    cJSON_AddStringToObject(always, "browserName", "chrome");
    cJSON *chrome = cJSON_AddObjectToObject(always, "goog:chromeOptions");
    cJSON_AddStringToObject(chrome, "binary", chromium);
    cJSON *args = cJSON_AddArrayToObject(chrome, "args");
    for (size_t i = 0; fixed_args[i]; i++)
        cJSON_AddItemToArray(args, cJSON_CreateString(fixed_args[i]));
    char *arg = xasprintf("--user-data-dir=%s/profile", wd->dir);
    cJSON_AddItemToArray(args, cJSON_CreateString(arg));
    free(arg);
    arg = xasprintf("--window-size=%d,%d", width, height);
    cJSON_AddItemToArray(args, cJSON_CreateString(arg));
    free(arg);
    /* Desktop windows cannot be narrower than 500px: emulate the phone's viewport (the user
     * agent stays the desktop one, so pages decide "mobile" only from what the test sets). */
    cJSON *emulation = cJSON_AddObjectToObject(chrome, "mobileEmulation");
    cJSON *metrics = cJSON_AddObjectToObject(emulation, "deviceMetrics");
    cJSON_AddNumberToObject(metrics, "width", width);
    cJSON_AddNumberToObject(metrics, "height", height);
    cJSON_AddNumberToObject(metrics, "pixelRatio", 1);
    return root;
}

static enum webdriver_status new_session(struct webdriver *wd, const char *chromium, int width,
                                         int height)
{
    cJSON *value = NULL;
    enum webdriver_status st =
        command(wd, "POST", "/session", capabilities(wd, chromium, width, height), &value);
    if (st != WEBDRIVER_OK)
        return st;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(value, "sessionId");
    if (cJSON_IsString(id) && id->valuestring[0])
        wd->session_id = xstrdup(id->valuestring);
    else
        st = set_error(wd, WEBDRIVER_E_START,
                       "chromedriver answered POST /session without a sessionId");
    cJSON_Delete(value);
    return st;
}

static int is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static enum webdriver_status check_installed(struct webdriver *wd, const char *chromedriver,
                                             const char *chromium)
{
    const char *missing = !is_executable_file(chromedriver) ? chromedriver
                          : !is_executable_file(chromium)   ? chromium
                                                            : NULL;
    if (!missing)
        return WEBDRIVER_OK;
    return set_error(
        wd, WEBDRIVER_E_NOT_INSTALLED,
        "the browser test needs chromium and chromedriver, but '%s' is not an executable "
        "file: `scripts/deps.sh test` installs them (Debian packages chromium and "
        "chromium-driver; scripts/test.sh always does)",
        missing);
}

/* Makes the temp folder and its sub-folders; returns 0 or -1. */
static int make_dirs(struct webdriver *wd)
{
    static const char *const subdirs[] = {"home", "config", "cache", "tmp", "profile", NULL};
    char tmpl[] = "/tmp/billkey-webdriver.XXXXXX";
    if (!mkdtemp(tmpl))
        return -1;
    wd->dir = xstrdup(tmpl);
    wd->log_path = xasprintf("%s/chromedriver.log", wd->dir);
    for (size_t i = 0; subdirs[i]; i++) {
        char *sub = xasprintf("%s/%s", wd->dir, subdirs[i]);
        int rc = mkdir(sub, 0700);
        free(sub);
        if (rc != 0)
            return -1;
    }
    return 0;
}

enum webdriver_status webdriver_start(struct webdriver *wd, const struct webdriver_options *opt)
{
    const char *chromedriver =
        opt && opt->chromedriver ? opt->chromedriver : WEBDRIVER_CHROMEDRIVER;
    const char *chromium = opt && opt->chromium ? opt->chromium : WEBDRIVER_CHROMIUM;
    int width = opt && opt->window_width > 0 ? opt->window_width : 375;
    int height = opt && opt->window_height > 0 ? opt->window_height : 800;
    enum webdriver_status st;

    memset(wd, 0, sizeof *wd);
    wd->watchdog_fd = wd->status_fd = -1;
    st = check_installed(wd, chromedriver, chromium);
    if (st != WEBDRIVER_OK)
        return st;
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        if (make_dirs(wd) != 0) {
            st = set_error(wd, WEBDRIVER_E_IO,
                           "cannot create the browser's temp folder under /tmp: %s",
                           strerror(errno));
        } else {
            wd->port = testlib_free_port();
            snprintf(wd->base_url, sizeof wd->base_url, "http://127.0.0.1:%d", wd->port);
            st = spawn(wd, chromedriver);
        }
        if (st == WEBDRIVER_OK)
            st = wait_ready(wd);
        if (st == WEBDRIVER_OK)
            st = new_session(wd, chromium, width, height);
        if (st == WEBDRIVER_OK)
            return WEBDRIVER_OK;
        char saved[WEBDRIVER_ERROR_LEN];
        memcpy(saved, wd->error, sizeof saved);
        int port_taken = strstr(saved, "port not available") != NULL ||
                         strstr(saved, "Address already in use") != NULL;
        webdriver_stop(wd);
        memcpy(wd->error, saved, sizeof saved);
        if (!port_taken)
            break;
    }
    return st;
}

void webdriver_stop(struct webdriver *wd)
{
    if (wd->session_id) {
        char *path = session_path(wd, "");
        command(wd, "DELETE", path, NULL, NULL);
        free(path);
    }
    stop_watchdog(wd);
    if (wd->dir) /* normally gone already: the watchdog removes it */
        remove_tree(wd->dir);
    free(wd->session_id);
    free(wd->dir);
    free(wd->log_path);
    memset(wd, 0, sizeof *wd);
    wd->watchdog_fd = wd->status_fd = -1;
}

char *webdriver_log(const struct webdriver *wd)
{
    char *text = wd->log_path ? testlib_read_file(wd->log_path, NULL) : NULL;
    return text ? text : xstrdup("");
}

/* ---- navigation, elements, scripts, frames ---- */

enum webdriver_status webdriver_navigate(struct webdriver *wd, const char *url)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "url", url);
    return session_command(wd, "POST", "/url", body, NULL);
}

enum webdriver_status webdriver_current_url(struct webdriver *wd, char **url_out)
{
    cJSON *value = NULL;
    enum webdriver_status st = session_command(wd, "GET", "/url", NULL, &value);
    return take_string(wd, st, value, url_out);
}

enum webdriver_status webdriver_find(struct webdriver *wd, const char *css,
                                     struct webdriver_element *out)
{
    cJSON *value = NULL;
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "using", "css selector");
    cJSON_AddStringToObject(body, "value", css);
    enum webdriver_status st = session_command(wd, "POST", "/element", body, &value);
    if (st != WEBDRIVER_OK)
        return st;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(value, ELEMENT_KEY);
    if (cJSON_IsString(id) && strlen(id->valuestring) < sizeof out->id)
        snprintf(out->id, sizeof out->id, "%s", id->valuestring);
    else
        st = set_error(wd, WEBDRIVER_E_COMMAND,
                       "webdriver found '%s' but answered no usable element "
                       "reference",
                       css);
    cJSON_Delete(value);
    return st;
}

enum webdriver_status webdriver_click(struct webdriver *wd, const struct webdriver_element *el)
{
    return element_command(wd, "POST", el, "/click", cJSON_CreateObject(), NULL);
}

enum webdriver_status webdriver_clear(struct webdriver *wd, const struct webdriver_element *el)
{
    return element_command(wd, "POST", el, "/clear", cJSON_CreateObject(), NULL);
}

enum webdriver_status webdriver_send_keys(struct webdriver *wd, const struct webdriver_element *el,
                                          const char *text)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "text", text);
    return element_command(wd, "POST", el, "/value", body, NULL);
}

enum webdriver_status webdriver_text(struct webdriver *wd, const struct webdriver_element *el,
                                     char **text_out)
{
    cJSON *value = NULL;
    enum webdriver_status st = element_command(wd, "GET", el, "/text", NULL, &value);
    char *text = NULL;
    st = take_string(wd, st, value, &text);
    if (st == WEBDRIVER_OK)
        *text_out = text ? text : xstrdup("");
    return st;
}

enum webdriver_status webdriver_attribute(struct webdriver *wd, const struct webdriver_element *el,
                                          const char *name, char **value_out)
{
    cJSON *value = NULL;
    char *esc = curl_easy_escape(NULL, name, 0);
    char *suffix = xasprintf("/attribute/%s", esc ? esc : "");
    curl_free(esc);
    enum webdriver_status st = element_command(wd, "GET", el, suffix, NULL, &value);
    free(suffix);
    return take_string(wd, st, value, value_out);
}

enum webdriver_status webdriver_selected(struct webdriver *wd, const struct webdriver_element *el,
                                         int *selected_out)
{
    cJSON *value = NULL;
    enum webdriver_status st = element_command(wd, "GET", el, "/selected", NULL, &value);
    if (st == WEBDRIVER_OK) {
        if (cJSON_IsBool(value))
            *selected_out = cJSON_IsTrue(value);
        else
            st = set_error(wd, WEBDRIVER_E_COMMAND,
                           "webdriver answered a non-boolean selected state");
    }
    cJSON_Delete(value);
    return st;
}

enum webdriver_status webdriver_execute(struct webdriver *wd, const char *script,
                                        const char *args_json, cJSON **result_out)
{
    cJSON *args = cJSON_Parse(args_json ? args_json : "[]");
    if (!cJSON_IsArray(args)) {
        cJSON_Delete(args);
        return set_error(wd, WEBDRIVER_E_COMMAND, "script arguments are not a JSON array: '%s'",
                         args_json ? args_json : "(null)");
    }
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "script", script);
    cJSON_AddItemToObject(body, "args", args);
    cJSON *value = NULL;
    enum webdriver_status st = session_command(wd, "POST", "/execute/sync", body, &value);
    if (result_out)
        *result_out = value;
    else
        cJSON_Delete(value);
    return st;
}

enum webdriver_status webdriver_switch_to_frame(struct webdriver *wd,
                                                const struct webdriver_element *frame)
{
    cJSON *body = cJSON_CreateObject();
    cJSON *ref = cJSON_AddObjectToObject(body, "id");
    cJSON_AddStringToObject(ref, ELEMENT_KEY, frame->id);
    return session_command(wd, "POST", "/frame", body, NULL);
}

enum webdriver_status webdriver_switch_to_top(struct webdriver *wd)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddNullToObject(body, "id");
    return session_command(wd, "POST", "/frame", body, NULL);
}

enum webdriver_status webdriver_window_handles(struct webdriver *wd, cJSON **handles_out)
{
    cJSON *value = NULL;
    enum webdriver_status st = session_command(wd, "GET", "/window/handles", NULL, &value);
    if (st == WEBDRIVER_OK && !cJSON_IsArray(value))
        st = set_error(wd, WEBDRIVER_E_COMMAND,
                       "webdriver answered window handles that are no array");
    if (st == WEBDRIVER_OK)
        *handles_out = value;
    else
        cJSON_Delete(value);
    return st;
}

enum webdriver_status webdriver_switch_to_window(struct webdriver *wd, const char *handle)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "handle", handle);
    return session_command(wd, "POST", "/window", body, NULL);
}

/* ---- waiting ---- */

enum webdriver_status webdriver_wait_element(struct webdriver *wd, const char *css, long timeout_ms,
                                             struct webdriver_element *out)
{
    long deadline = now_ms() + timeout_ms;
    for (;;) {
        enum webdriver_status st = webdriver_find(wd, css, out);
        if (st != WEBDRIVER_E_NO_SUCH_ELEMENT)
            return st;
        if (now_ms() >= deadline)
            return set_error(wd, WEBDRIVER_E_TIMEOUT, "no element matched '%s' within %ld ms", css,
                             timeout_ms);
        sleep_ms(POLL_INTERVAL_MS);
    }
}

static int truthy(const cJSON *v)
{
    if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
        return 0;
    if (cJSON_IsNumber(v))
        return v->valuedouble != 0;
    if (cJSON_IsString(v))
        return v->valuestring[0] != '\0';
    return 1;
}

enum webdriver_status webdriver_wait_script(struct webdriver *wd, const char *script,
                                            long timeout_ms, cJSON **result_out)
{
    long deadline = now_ms() + timeout_ms;
    char last_error[WEBDRIVER_ERROR_LEN] = "";
    if (result_out)
        *result_out = NULL;
    for (;;) {
        cJSON *value = NULL;
        enum webdriver_status st = webdriver_execute(wd, script, NULL, &value);
        if (st == WEBDRIVER_OK && truthy(value)) {
            if (result_out)
                *result_out = value;
            else
                cJSON_Delete(value);
            return WEBDRIVER_OK;
        }
        cJSON_Delete(value);
        if (st == WEBDRIVER_E_TRANSPORT)
            return st;
        if (st != WEBDRIVER_OK)
            memcpy(last_error, wd->error, sizeof last_error);
        if (now_ms() >= deadline)
            return set_error(wd, WEBDRIVER_E_TIMEOUT,
                             "script '%.200s' stayed falsy for %ld ms%s%.400s", script, timeout_ms,
                             last_error[0] ? "; last error: " : "", last_error);
        sleep_ms(POLL_INTERVAL_MS);
    }
}

/* ---- screenshots ---- */

enum webdriver_status webdriver_screenshot(struct webdriver *wd, const char *path)
{
    cJSON *value = NULL;
    enum webdriver_status st = session_command(wd, "GET", "/screenshot", NULL, &value);
    unsigned char *png = NULL;
    FILE *f = NULL;
    if (st != WEBDRIVER_OK)
        goto out;
    if (!cJSON_IsString(value)) {
        st =
            set_error(wd, WEBDRIVER_E_COMMAND, "webdriver answered a screenshot that is no string");
        goto out;
    }
    size_t b64_len = strlen(value->valuestring);
    png = xmalloc(b64_len / 4 * 3 + 3);
    int n = b64_len % 4 == 0
                ? EVP_DecodeBlock(png, (const unsigned char *)value->valuestring, (int)b64_len)
                : -1;
    if (n < 0) {
        st =
            set_error(wd, WEBDRIVER_E_COMMAND, "webdriver answered a screenshot that is no base64");
        goto out;
    }
    for (size_t i = b64_len; i > 0 && value->valuestring[i - 1] == '='; i--)
        n--; /* EVP_DecodeBlock counts the padding as zero bytes */
    f = fopen(path, "wb");
    if (!f || fwrite(png, 1, (size_t)n, f) != (size_t)n) {
        st = set_error(wd, WEBDRIVER_E_IO, "cannot write the screenshot '%s': %s", path,
                       strerror(errno));
        goto out;
    }
out:
    if (f && fclose(f) != 0 && st == WEBDRIVER_OK)
        st = set_error(wd, WEBDRIVER_E_IO, "cannot write the screenshot '%s': %s", path,
                       strerror(errno));
    free(png);
    cJSON_Delete(value);
    return st;
}
