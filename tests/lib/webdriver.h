/* A tiny W3C WebDriver client (libcurl + cJSON) for Debian's chromedriver + headless Chromium. */
#ifndef BILLKEY_TESTS_WEBDRIVER_H
#define BILLKEY_TESTS_WEBDRIVER_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <sys/types.h>

#define WEBDRIVER_CHROMEDRIVER "/usr/bin/chromedriver"
#define WEBDRIVER_CHROMIUM "/usr/bin/chromium"
#define WEBDRIVER_ERROR_LEN 1024
#define WEBDRIVER_ELEMENT_ID_LEN 128

/* What a call ended with; the message is in wd->error (never holds secrets: it is what the
 * driver or the browser said). */
enum webdriver_status {
    WEBDRIVER_OK = 0,
    WEBDRIVER_E_NOT_INSTALLED,   /* chromedriver or chromium is not an executable file */
    WEBDRIVER_E_START,           /* chromedriver did not become ready, or no session */
    WEBDRIVER_E_TRANSPORT,       /* no HTTP answer from chromedriver */
    WEBDRIVER_E_NO_SUCH_ELEMENT, /* the selector matched nothing ("no such element") */
    WEBDRIVER_E_STALE,           /* the element left the document ("stale element reference") */
    WEBDRIVER_E_COMMAND,         /* any other WebDriver error ("javascript error", ...) */
    WEBDRIVER_E_TIMEOUT,         /* a webdriver_wait_* helper gave up */
    WEBDRIVER_E_IO,              /* a local file could not be written */
};

/* Where the binaries are and how large the window is; zero-initialise and set what differs.
 * NULL paths take WEBDRIVER_CHROMEDRIVER / WEBDRIVER_CHROMIUM, 0 sizes 375 x 800 (a phone). */
struct webdriver_options {
    const char *chromedriver;
    const char *chromium;
    int window_width;
    int window_height;
};

/* One chromedriver process with one browser session. Everything is owned by the struct and
 * freed by webdriver_stop(). The processes run in their own process group under a watchdog
 * child that kills the group and removes the temporary folder as soon as the test process is
 * gone (however it ends: a failed assertion, a Check timeout's SIGKILL), so nothing leaks. */
struct webdriver {
    pid_t watchdog_pid; /* the watchdog child; chromedriver is its child */
    int watchdog_fd;    /* write end of the pipe the watchdog waits on; -1 when closed */
    int status_fd;      /* read end of the watchdog's "chromedriver exited" pipe; -1 closed */
    int port;           /* chromedriver's port */
    char base_url[64];  /* "http://127.0.0.1:<port>" */
    char *dir;          /* owned mkdtemp folder: user-data-dir, XDG homes, driver log */
    char *log_path;     /* owned: chromedriver's output (inside dir) */
    char *session_id;   /* owned; NULL until a session exists */
    char error[WEBDRIVER_ERROR_LEN]; /* what the last failed call said */
};

/* A found element: the WebDriver element reference, copied. */
struct webdriver_element {
    char id[WEBDRIVER_ELEMENT_ID_LEN];
};

/* Checks that both binaries are executable files (WEBDRIVER_E_NOT_INSTALLED otherwise, the
 * message says `scripts/deps.sh test` installs them), makes a fresh temp folder, starts
 * chromedriver on a free port (another port when that one was taken meanwhile), waits (up to
 * 20 s) for GET /status to say ready, and opens a session with headless Chromium (no network:
 * background networking, component updates, sync and QUIC off; a fresh --user-data-dir and
 * HOME/XDG folders in the temp folder; the viewport emulates a phone of the option's size with
 * the desktop user agent). opt may be NULL. On failure everything started is stopped and
 * removed again (wd->error says why; wd needs no webdriver_stop). */
enum webdriver_status webdriver_start(struct webdriver *wd, const struct webdriver_options *opt);
/* Deletes the session (the browser quits), stops chromedriver (SIGTERM, SIGKILL after 5 s; the
 * watchdog kills whatever is left in the group), reaps it and removes the temp folder. Frees
 * what wd owns; safe on a zeroed or already stopped struct. */
void webdriver_stop(struct webdriver *wd);
/* Everything chromedriver logged so far; caller frees (never NULL). */
char *webdriver_log(const struct webdriver *wd);

/* Loads url in the current top-level browsing context and waits for the page load. */
enum webdriver_status webdriver_navigate(struct webdriver *wd, const char *url);
/* The current top-level URL; *url_out is set (caller frees) only on WEBDRIVER_OK. */
enum webdriver_status webdriver_current_url(struct webdriver *wd, char **url_out);

/* The first element matching a CSS selector in the current frame. */
enum webdriver_status webdriver_find(struct webdriver *wd, const char *css,
                                     struct webdriver_element *out);
enum webdriver_status webdriver_click(struct webdriver *wd, const struct webdriver_element *el);
/* Clears a text input, then types text into it. */
enum webdriver_status webdriver_clear(struct webdriver *wd, const struct webdriver_element *el);
enum webdriver_status webdriver_send_keys(struct webdriver *wd, const struct webdriver_element *el,
                                          const char *text);
/* The rendered text; *text_out (caller frees) set only on WEBDRIVER_OK. */
enum webdriver_status webdriver_text(struct webdriver *wd, const struct webdriver_element *el,
                                     char **text_out);
/* An attribute's value; *value_out (caller frees) is NULL when the attribute is absent. Set
 * only on WEBDRIVER_OK. */
enum webdriver_status webdriver_attribute(struct webdriver *wd, const struct webdriver_element *el,
                                          const char *name, char **value_out);
/* The checked/selected state of a checkbox, radio or option (1 or 0 in *selected_out). */
enum webdriver_status webdriver_selected(struct webdriver *wd, const struct webdriver_element *el,
                                         int *selected_out);

/* Runs `script` (a function body: use `return`) synchronously in the current frame with
 * args_json (a JSON array text, NULL = []). *result_out (caller deletes; may be NULL when not
 * wanted) is the returned value ("null" JSON when nothing). A thrown error is
 * WEBDRIVER_E_COMMAND with the message in wd->error. */
enum webdriver_status webdriver_execute(struct webdriver *wd, const char *script,
                                        const char *args_json, cJSON **result_out);

/* Switches into an <iframe> element of the current frame / back to the top-level document. */
enum webdriver_status webdriver_switch_to_frame(struct webdriver *wd,
                                                const struct webdriver_element *frame);
enum webdriver_status webdriver_switch_to_top(struct webdriver *wd);
/* Every window handle (a JSON array of strings; caller deletes) / switches to one. */
enum webdriver_status webdriver_window_handles(struct webdriver *wd, cJSON **handles_out);
enum webdriver_status webdriver_switch_to_window(struct webdriver *wd, const char *handle);

/* Polls webdriver_find every 50 ms until it matches or timeout_ms passes (WEBDRIVER_E_TIMEOUT,
 * the message names the selector). Other errors end the wait at once. */
enum webdriver_status webdriver_wait_element(struct webdriver *wd, const char *css, long timeout_ms,
                                             struct webdriver_element *out);
/* Polls `script` (as webdriver_execute, no args) until it returns a truthy value, which is
 * stored in *result_out (caller deletes; may be NULL). Script errors are retried (a page may be
 * navigating) until the timeout; the timeout message names the script and its last error. */
enum webdriver_status webdriver_wait_script(struct webdriver *wd, const char *script,
                                            long timeout_ms, cJSON **result_out);

/* Writes a PNG screenshot of the current page to path (for debugging failed tests). */
enum webdriver_status webdriver_screenshot(struct webdriver *wd, const char *path);

#endif
