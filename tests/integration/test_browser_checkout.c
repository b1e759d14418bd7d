/* Real-browser test: headless Chromium drives static/checkout.html against billkeyd + sandbox. */
#include <curl/curl.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "routes/routes.h"
#include "routes/route_env.h"
#include "server/config.h"
#include "server/http/http.h"
#include "server/core/xalloc.h"
#include "tests/lib/billkeyd_proc.h"
#include "tests/lib/db_test.h"
#include "tests/lib/http_client.h"
#include "tests/lib/sandbox_proc.h"
#include "tests/lib/testlib.h"
#include "tests/lib/webdriver.h"

#define STEP_TIMEOUT_MS 20000
#define MERCHANT_KEY_NAME "browser"
#define MERCHANT_KEY "browser-test-merchant-key-7f3a9c"
#define SANDBOX_CARD_NAME "신한카드"
#define SANDBOX_CARD_NUMBER "4092-12**-****-1234"
#define BASIC_PLAN_AMOUNT "9900"
#define USER_CANCEL_MSG "사용자가 결제를 취소하셨습니다"

/* ------------------------------------------------------------------------------------------ */
/* The Content-Security-Policy of static pages names the SDK's origin (no processes needed).  */

#define CSP_WITH(origin)                                                                           \
    "default-src 'self'; script-src 'self'" origin "; style-src 'self'; img-src 'self' data:; "    \
    "connect-src 'self'" origin "; frame-src 'self'" origin "; object-src 'none'; "                \
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

static const struct {
    const char *sdk_url;
    const char *csp;
} csp_cases[] = {
    {"https://cdn.iamport.kr/v1/iamport.js", CSP_WITH(" https://cdn.iamport.kr")},
    {"http://127.0.0.1:41234/v1/iamport.js", CSP_WITH(" http://127.0.0.1:41234")},
    {"HTTPS://CDN.Iamport.KR:8443/v1/iamport.js", CSP_WITH(" https://cdn.iamport.kr:8443")},
    {"http://[::1]:9/v1/iamport.js", CSP_WITH(" http://[::1]:9")},
    {"https://cdn.iamport.kr", CSP_WITH(" https://cdn.iamport.kr")},
    /* user info is never copied into a header */
    {"https://user:s3cret@cdn.iamport.kr/v1/iamport.js", CSP_WITH(" https://cdn.iamport.kr")},
    {"https://a@b@cdn.iamport.kr/x.js", CSP_WITH(" https://cdn.iamport.kr")},
    /* hostile: nothing that could add a source, a keyword or a directive gets in */
    {"https://cdn.iamport.kr;script-src/x.js", CSP_WITH("")},
    {"https://cdn.iamport.kr;/x.js", CSP_WITH("")},
    {"https://*.iamport.kr/v1/iamport.js", CSP_WITH("")},
    {"https://cdn.iamport.kr'unsafe-inline'/x", CSP_WITH("")},
    {"https://cdn.iamport.kr\"/x", CSP_WITH("")},
    {"https://cdn.iamport.kr,evil.example/x", CSP_WITH("")},
    {"https://cdn.iamport.kr%3B/x", CSP_WITH("")},
    {"https://cdn.iamport.kr:99999/x", CSP_WITH("")},
    {"https://cdn.iamport.kr:0/x", CSP_WITH("")},
    {"https://cdn.iamport.kr:443x/x", CSP_WITH("")},
    {"https://cdn.iamport.kr:/x", CSP_WITH("")},
    {"https://:443/x", CSP_WITH("")},
    {"https:///x", CSP_WITH("")},
    {"https://[::1/x", CSP_WITH("")},
    {"https://[]/x", CSP_WITH("")},
    {"https://[::1]x/x", CSP_WITH("")},
    {"https://[::1;]/x", CSP_WITH("")},
    {"https://-evil/x", CSP_WITH("")},
    {"https://.evil/x", CSP_WITH("")},
    {"javascript:alert(1)", CSP_WITH("")},
    {"data:text/javascript,alert(1)", CSP_WITH("")},
    {"//cdn.iamport.kr/v1/iamport.js", CSP_WITH("")},
    {"", CSP_WITH("")},
    {NULL, CSP_WITH("")},
};

/* GETs path through the real route table with cfg (no sockets); fills rep (caller releases). */
static void get_static(const struct config *cfg, const char *path, struct reply *rep)
{
    struct route_env env = {.static_dir = cfg->static_dir, .iamport_sdk_url = cfg->iamport_sdk_url};
    struct http_site site = {.routes = billkey_routes,
                             .route_count = billkey_route_count,
                             .max_body = 1024,
                             .ctx = &env};
    struct request req;
    memset(&req, 0, sizeof req);
    req.method = xstrdup("GET");
    req.method_bit = http_method_bit("GET");
    req.path = xstrdup(path);
    reply_init(rep);
    http_dispatch(&site, &req, rep);
    request_release(&req);
}

START_TEST(csp_names_the_sdk_origin_and_nothing_else)
{
    struct config cfg;
    struct reply rep;
    memset(&cfg, 0, sizeof cfg);
    cfg.static_dir = testlib_source_path("static");
    cfg.iamport_sdk_url = csp_cases[_i].sdk_url ? xstrdup(csp_cases[_i].sdk_url) : NULL;

    static const char *const paths[] = {"/static/checkout.html", "/", "/static/checkout.js"};
    for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
        get_static(&cfg, paths[k], &rep);
        ck_assert_msg(rep.status == 200, "GET %s answered %d", paths[k], rep.status);
        ck_assert_str_eq(reply_header(&rep, "Content-Security-Policy"), csp_cases[_i].csp);
        reply_release(&rep);
    }
    free(cfg.static_dir);
    free(cfg.iamport_sdk_url);
}
END_TEST

START_TEST(csp_is_computed_per_request_from_the_config)
{
    struct config a, b;
    struct reply rep;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.static_dir = b.static_dir = testlib_source_path("static");
    a.iamport_sdk_url = xstrdup("http://127.0.0.1:1111/v1/iamport.js");
    b.iamport_sdk_url = xstrdup("https://cdn.iamport.kr/v1/iamport.js");
    for (int round = 0; round < 2; round++) {
        get_static(&a, "/static/checkout.html", &rep);
        ck_assert_str_eq(reply_header(&rep, "Content-Security-Policy"),
                         CSP_WITH(" http://127.0.0.1:1111"));
        reply_release(&rep);
        get_static(&b, "/static/checkout.html", &rep);
        ck_assert_str_eq(reply_header(&rep, "Content-Security-Policy"),
                         CSP_WITH(" https://cdn.iamport.kr"));
        reply_release(&rep);
    }
    free(a.static_dir);
    free(a.iamport_sdk_url);
    free(b.iamport_sdk_url);
}
END_TEST

/* 1 when html has an attribute like onclick= / onload= (an inline event handler). */
static int has_inline_handler(const char *html)
{
    for (const char *p = html; (p = strstr(p, " on")) != NULL; p++) {
        const char *q = p + 3;
        while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z'))
            q++;
        if (q > p + 3 && *q == '=')
            return 1;
    }
    return 0;
}

/* The page itself: no inline script or handler (the CSP forbids them), stable ids, no
 * innerHTML, no resource from elsewhere. */
START_TEST(page_files_follow_the_csp_rules)
{
    char *html_path = testlib_source_path("static/checkout.html");
    char *js_path = testlib_source_path("static/checkout.js");
    char *html = testlib_read_file(html_path, NULL);
    char *js = testlib_read_file(js_path, NULL);
    ck_assert_ptr_nonnull(html);
    ck_assert_ptr_nonnull(js);

    ck_assert_ptr_nonnull(strstr(html, "<script src=\"/static/checkout.js\" defer></script>"));
    const char *script = html;
    int scripts = 0;
    while ((script = strstr(script, "<script")) != NULL) {
        scripts++;
        ck_assert_msg(strncmp(script, "<script src=\"/static/", 21) == 0,
                      "checkout.html has a script that is not a local file: %.60s", script);
        script++;
    }
    ck_assert_int_eq(scripts, 1);
    ck_assert(has_inline_handler("<b onclick=\"x()\">") && has_inline_handler("<i x onLoad=y>"));
    ck_assert(!has_inline_handler("turn on the light") && !has_inline_handler("a on= b"));
    ck_assert_msg(!has_inline_handler(html), "checkout.html has an inline on...= handler");
    ck_assert_ptr_null(strstr(html, "style=")); /* no inline styles */
    ck_assert_ptr_null(strstr(html, "javascript:"));
    ck_assert_ptr_null(strstr(html, "http://"));
    ck_assert_ptr_null(strstr(html, "https://"));
    static const char *const ids[] = {
        "id=\"customer-id\"", "id=\"buyer-tel\"", "id=\"charge-now\"", "id=\"mobile\"",
        "id=\"naver-popup\"", "id=\"register\"",  "id=\"result\"",     "id=\"pg-list\""};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        ck_assert_msg(strstr(html, ids[i]) != NULL, "checkout.html lacks %s", ids[i]);

    static const char *const js_forbidden[] = {"innerHTML", "outerHTML", "insertAdjacentHTML",
                                               "document.write", "eval("};
    for (size_t i = 0; i < sizeof js_forbidden / sizeof js_forbidden[0]; i++)
        ck_assert_msg(strstr(js, js_forbidden[i]) == NULL, "checkout.js uses %s", js_forbidden[i]);
    static const char *const js_required[] = {"'/payments/complete'", "'/demo/checkouts'",
                                              "'/checkout/config'"};
    for (size_t i = 0; i < sizeof js_required / sizeof js_required[0]; i++)
        ck_assert_msg(strstr(js, js_required[i]) != NULL, "checkout.js lacks %s", js_required[i]);
    free(html);
    free(js);
    free(html_path);
    free(js_path);
}
END_TEST

/* ------------------------------------------------------------------------------------------ */
/* The WebDriver client itself.                                                               */

START_TEST(missing_browser_fails_with_the_install_hint)
{
    struct webdriver wd;
    struct webdriver_options missing_driver = {.chromedriver = "/nonexistent/chromedriver"};
    ck_assert_int_eq(webdriver_start(&wd, &missing_driver), WEBDRIVER_E_NOT_INSTALLED);
    ck_assert_ptr_nonnull(strstr(wd.error, "'/nonexistent/chromedriver'"));
    ck_assert_ptr_nonnull(strstr(wd.error, "`scripts/deps.sh test` installs them"));
    ck_assert_ptr_null(wd.dir);
    ck_assert_int_eq(wd.watchdog_pid, 0);

    struct webdriver_options missing_browser = {.chromium = "/nonexistent/chromium"};
    ck_assert_int_eq(webdriver_start(&wd, &missing_browser), WEBDRIVER_E_NOT_INSTALLED);
    ck_assert_ptr_nonnull(strstr(wd.error, "'/nonexistent/chromium'"));
    ck_assert_ptr_nonnull(strstr(wd.error, "`scripts/deps.sh test` installs them"));

    char tmpl[] = "/tmp/billkey-not-executable.XXXXXX";
    int fd = mkstemp(tmpl);
    ck_assert_int_ge(fd, 0);
    close(fd);
    chmod(tmpl, 0644);
    struct webdriver_options not_executable = {.chromedriver = tmpl};
    ck_assert_int_eq(webdriver_start(&wd, &not_executable), WEBDRIVER_E_NOT_INSTALLED);
    unlink(tmpl);
    struct webdriver_options directory = {.chromium = "/tmp"};
    ck_assert_int_eq(webdriver_start(&wd, &directory), WEBDRIVER_E_NOT_INSTALLED);
    webdriver_stop(&wd); /* harmless on a struct that holds nothing */
}
END_TEST

/* A "chromedriver" that exits at once: reported quickly (not after the 20 s ready timeout),
 * with nothing left behind. */
START_TEST(driver_that_exits_is_reported_at_once)
{
    struct webdriver wd;
    struct webdriver_options exits = {.chromedriver = "/bin/false"};
    time_t started = time(NULL);
    ck_assert_int_eq(webdriver_start(&wd, &exits), WEBDRIVER_E_START);
    ck_assert_int_le(time(NULL) - started, 5);
    ck_assert_ptr_nonnull(strstr(wd.error, "did not become ready"));
    ck_assert_ptr_null(wd.dir);
    ck_assert_int_eq(wd.watchdog_pid, 0);
    ck_assert_int_eq(wd.watchdog_fd, -1);
}
END_TEST

/* Window sizes: a phone (the iamport SDK treats narrow windows as mobile) and a PC. */
enum viewport { VIEW_PHONE, VIEW_DESKTOP };

/* Starts the real browser or fails the test saying how to install it (never skips). */
static void start_browser(struct webdriver *wd, enum viewport view)
{
    struct webdriver_options opt = {.window_width = view == VIEW_PHONE ? 375 : 1280,
                                    .window_height = 800};
    enum webdriver_status st = webdriver_start(wd, &opt);
    ck_assert_msg(st == WEBDRIVER_OK, "cannot start headless Chromium: %s", wd->error);
}

/* Drives the sandbox's own window page (no billkeyd): navigation, attributes, text, clicks,
 * scripts, waits, screenshots and the temp folder's removal. */
START_TEST(webdriver_drives_a_real_page)
{
    struct sandbox_proc sb;
    struct webdriver wd;
    struct webdriver_element el;
    ck_assert_int_eq(sandbox_start(&sb, NULL), 0);
    start_browser(&wd, VIEW_PHONE);
    char *dir = xstrdup(wd.dir);

    const char *params = "%7B%22pg%22%3A%22payco%22%2C%22customer_uid%22%3A%22cu_wd_1%22%2C"
                         "%22merchant_uid%22%3A%22bk_wd_1%22%2C%22name%22%3A%22%3Cb%3Ex%3C%2Fb%3E"
                         "%22%2C%22amount%22%3A9900%7D";
    char *window_url = xasprintf("%s/__sandbox/window?params=%s&mobile=0", sb.base_url, params);
    ck_assert_int_eq(webdriver_navigate(&wd, window_url), WEBDRIVER_OK);
    char *current = NULL;
    ck_assert_int_eq(webdriver_current_url(&wd, &current), WEBDRIVER_OK);
    ck_assert_str_eq(current, window_url);
    free(current);

    ck_assert_int_eq(webdriver_find(&wd, "#pg-window", &el), WEBDRIVER_OK);
    char *attr = NULL;
    ck_assert_int_eq(webdriver_attribute(&wd, &el, "data-pg", &attr), WEBDRIVER_OK);
    ck_assert_str_eq(attr, "payco");
    free(attr);
    ck_assert_int_eq(webdriver_attribute(&wd, &el, "data-no-such-attribute", &attr), WEBDRIVER_OK);
    ck_assert_ptr_null(attr);
    ck_assert_int_eq(webdriver_find(&wd, "#order-name", &el), WEBDRIVER_OK);
    char *text = NULL;
    ck_assert_int_eq(webdriver_text(&wd, &el, &text), WEBDRIVER_OK);
    ck_assert_str_eq(text, "<b>x</b>"); /* escaped by the sandbox, read back as text */
    free(text);

    ck_assert_int_eq(webdriver_find(&wd, "#no-such-thing", &el), WEBDRIVER_E_NO_SUCH_ELEMENT);
    ck_assert_int_eq(webdriver_wait_element(&wd, "#no-such-thing", 200, &el), WEBDRIVER_E_TIMEOUT);
    ck_assert_ptr_nonnull(strstr(wd.error, "'#no-such-thing'"));
    ck_assert_int_eq(webdriver_find(&wd, "###", &el), WEBDRIVER_E_COMMAND);

    cJSON *value = NULL;
    ck_assert_int_eq(
        webdriver_execute(&wd, "return arguments[0] + arguments[1];", "[40, 2]", &value),
        WEBDRIVER_OK);
    ck_assert(cJSON_IsNumber(value) && value->valueint == 42);
    cJSON_Delete(value);
    ck_assert_int_eq(webdriver_execute(&wd, "throw new Error('boom');", NULL, NULL),
                     WEBDRIVER_E_COMMAND);
    ck_assert_ptr_nonnull(strstr(wd.error, "boom"));
    ck_assert_int_eq(webdriver_execute(&wd, "return 1;", "{\"not\":\"an array\"}", NULL),
                     WEBDRIVER_E_COMMAND);
    ck_assert_int_eq(webdriver_wait_script(&wd, "return 0;", 200, NULL), WEBDRIVER_E_TIMEOUT);
    ck_assert_int_eq(webdriver_wait_script(&wd, "return window.innerWidth;", 2000, &value),
                     WEBDRIVER_OK);
    ck_assert_int_eq(value->valueint, 375); /* the phone-sized window */
    cJSON_Delete(value);

    char *png = xasprintf("%s/shot.png", dir);
    ck_assert_int_eq(webdriver_screenshot(&wd, png), WEBDRIVER_OK);
    size_t png_len = 0;
    char *bytes = testlib_read_file(png, &png_len);
    ck_assert_ptr_nonnull(bytes);
    ck_assert_uint_gt(png_len, 100);
    ck_assert_int_eq(memcmp(bytes, "\x89PNG\r\n\x1a\n", 8), 0);
    free(bytes);
    ck_assert_int_eq(webdriver_screenshot(&wd, "/nonexistent/dir/shot.png"), WEBDRIVER_E_IO);

    cJSON *handles = NULL;
    ck_assert_int_eq(webdriver_window_handles(&wd, &handles), WEBDRIVER_OK);
    ck_assert_int_eq(cJSON_GetArraySize(handles), 1);
    ck_assert_int_eq(webdriver_switch_to_window(&wd, cJSON_GetArrayItem(handles, 0)->valuestring),
                     WEBDRIVER_OK);
    cJSON_Delete(handles);

    ck_assert_int_eq(webdriver_find(&wd, "#decline", &el), WEBDRIVER_OK);
    ck_assert_int_eq(webdriver_click(&wd, &el), WEBDRIVER_OK);
    ck_assert_int_eq(webdriver_wait_element(&wd, "#result-status", STEP_TIMEOUT_MS, &el),
                     WEBDRIVER_OK);
    ck_assert_int_eq(webdriver_text(&wd, &el, &text), WEBDRIVER_OK);
    ck_assert_str_eq(text, "failure");
    free(text);

    webdriver_stop(&wd);
    struct stat st;
    ck_assert_msg(stat(dir, &st) != 0, "webdriver_stop left its temp folder '%s'", dir);
    ck_assert_ptr_null(wd.session_id);
    ck_assert_int_eq(sandbox_stop(&sb), 0);
    free(png);
    free(dir);
    free(window_url);
}
END_TEST

/* ------------------------------------------------------------------------------------------ */
/* billkeyd + sandbox + browser. Expectations are recorded (not asserted) while processes run,  */
/* so a failure still stops billkeyd and the sandbox before the test fails.                     */

struct browser_env {
    struct webdriver wd;
    struct sandbox_proc sandbox;
    struct billkeyd_proc billkeyd;
    int billkeyd_running;
    char *database_url; /* owned */
    char *sdk_url;      /* owned: what billkeyd got as IAMPORT_SDK_URL */
    char failure[4096]; /* the first failed expectation; "" while all is well */
};

static int expect(struct browser_env *env, int ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first failure (with the page's URL and a screenshot path); returns ok. */
static int expect(struct browser_env *env, int ok, const char *fmt, ...)
{
    if (ok || env->failure[0])
        return ok && !env->failure[0];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(env->failure, sizeof env->failure, fmt, ap);
    va_end(ap);
    if (env->wd.session_id) {
        char *url = NULL;
        char *png = xasprintf("/tmp/billkey-browser-failure-%ld.png", (long)getpid());
        webdriver_switch_to_top(&env->wd);
        if (webdriver_current_url(&env->wd, &url) == WEBDRIVER_OK) {
            size_t n = strlen(env->failure);
            snprintf(env->failure + n, sizeof env->failure - n, " [page: %s]", url ? url : "?");
        }
        if (webdriver_screenshot(&env->wd, png) == WEBDRIVER_OK) {
            size_t n = strlen(env->failure);
            snprintf(env->failure + n, sizeof env->failure - n, " [screenshot: %s]", png);
        }
        free(url);
        free(png);
    }
    return 0;
}

static int wd_ok(struct browser_env *env, enum webdriver_status st, const char *what)
{
    return expect(env, st == WEBDRIVER_OK, "%s: %s", what, env->wd.error);
}

static char *billkey_url(const struct browser_env *env, const char *path)
{
    return xasprintf("%s%s", env->billkeyd.base_url, path);
}

/* Polls GET /readyz until 200 (migrations applied), for up to 10 s. */
static int wait_ready(struct browser_env *env)
{
    char *url = billkey_url(env, "/readyz");
    long status = testlib_wait_http_status(url, 200, 10000, 50);
    free(url);
    return expect(env, status == 200, "billkeyd never became ready (GET /readyz: %ld)", status);
}

/* Starts the browser (view), the sandbox and billkeyd (SANDBOX_MODE = sandbox_mode; sdk_url
 * NULL: the sandbox's SDK). Fails the test (nothing left running) when any cannot start. */
static void env_start(struct browser_env *env, enum viewport view, int sandbox_mode,
                      const char *sdk_url)
{
    memset(env, 0, sizeof *env);
    start_browser(&env->wd, view);
    if (sandbox_start(&env->sandbox, NULL) != 0) {
        webdriver_stop(&env->wd);
        ck_abort_msg("cannot start iamport-sandbox");
    }
    env->database_url = testlib_create_database("browser");
    env->sdk_url = sdk_url ? xstrdup(sdk_url) : sandbox_url(&env->sandbox, "/v1/iamport.js");
    for (int attempt = 0; attempt < 3 && !env->billkeyd_running; attempt++) {
        int port = testlib_free_port();
        char *port_env = xasprintf("PORT=%d", port);
        char *public_env = xasprintf("PUBLIC_BASE_URL=http://127.0.0.1:%d", port);
        char *sdk_env = xasprintf("IAMPORT_SDK_URL=%s", env->sdk_url);
        char *base_env = xasprintf("IAMPORT_BASE_URL=%s", env->sandbox.base_url);
        const char *extra[] = {port_env,
                               public_env,
                               sandbox_mode ? "SANDBOX_MODE=1" : "SANDBOX_MODE=0",
                               "IMP_CODE=imp_sandbox",
                               sdk_env,
                               base_env,
                               "IAMPORT_API_KEY=" SANDBOX_IMP_KEY,
                               "IAMPORT_API_SECRET=" SANDBOX_IMP_SECRET,
                               "BILLKEY_API_KEYS=" MERCHANT_KEY_NAME ":" MERCHANT_KEY,
                               "NAVERPAY_PRODUCT_CODE=billkey-browser-test",
                               NULL};
        env->billkeyd_running = billkeyd_start(&env->billkeyd, env->database_url, extra) == 0;
        free(port_env);
        free(public_env);
        free(sdk_env);
        free(base_env);
    }
    if (!env->billkeyd_running) {
        webdriver_stop(&env->wd);
        sandbox_stop(&env->sandbox);
        ck_abort_msg("cannot start billkeyd");
    }
    wait_ready(env);
}

/* Stops everything, then fails the test with the first recorded failure (and billkeyd's log). */
static void env_finish(struct browser_env *env)
{
    webdriver_stop(&env->wd);
    if (env->failure[0]) {
        char *log = billkeyd_log(&env->billkeyd);
        size_t len = strlen(log);
        fprintf(stderr, "billkeyd log (last 6000 bytes):\n%s\n",
                log + (len > 6000 ? len - 6000 : 0));
        free(log);
    }
    int billkeyd_rc = billkeyd_stop(&env->billkeyd);
    int sandbox_rc = sandbox_stop(&env->sandbox);
    expect(env, billkeyd_rc == 0, "billkeyd did not exit cleanly (status %d)", billkeyd_rc);
    expect(env, sandbox_rc == 0, "iamport-sandbox did not exit cleanly (status %d)", sandbox_rc);
    free(env->database_url);
    free(env->sdk_url);
    ck_assert_msg(env->failure[0] == '\0', "%s", env->failure);
}

/* ---- database checks (libpq, straight from the tables) ---- */

/* Runs sql with text params; returns the result or NULL (failure recorded). Caller PQclears. */
static PGresult *db_query(struct browser_env *env, const char *sql, int nparams,
                          const char *const *params)
{
    char *err = NULL;
    PGresult *res = db_test_select(env->database_url, sql, nparams, params, &err);
    expect(env, res != NULL, "%s", err ? err : "");
    free(err);
    return res;
}

/* What the registrations table says about the one registration of customer_id. */
struct stored_registration {
    char merchant_uid[64];
    char customer_uid[96];
    char status[16];
    char pg_provider[16];
};

/* Expects exactly `want_rows` registrations of customer_id (0 or 1) and fills *out for one. */
static int load_registration(struct browser_env *env, const char *customer_id, int want_rows,
                             struct stored_registration *out)
{
    const char *params[] = {customer_id};
    memset(out, 0, sizeof *out);
    PGresult *res = db_query(env,
                             "SELECT merchant_uid, customer_uid, status, pg_provider FROM "
                             "registrations WHERE customer_id = $1",
                             1, params);
    if (!res)
        return 0;
    int ok =
        expect(env, PQntuples(res) == want_rows, "customer '%s' has %d registrations, expected %d",
               customer_id, PQntuples(res), want_rows);
    if (ok && want_rows == 1) {
        snprintf(out->merchant_uid, sizeof out->merchant_uid, "%s", PQgetvalue(res, 0, 0));
        snprintf(out->customer_uid, sizeof out->customer_uid, "%s", PQgetvalue(res, 0, 1));
        snprintf(out->status, sizeof out->status, "%s", PQgetvalue(res, 0, 2));
        snprintf(out->pg_provider, sizeof out->pg_provider, "%s", PQgetvalue(res, 0, 3));
    }
    PQclear(res);
    return ok;
}

/* Expects the one billing key of customer_id: active, the right PG and the sandbox's card. */
static int expect_billing_key(struct browser_env *env, const char *customer_id,
                              const struct stored_registration *reg)
{
    const char *params[] = {customer_id};
    PGresult *res = db_query(env,
                             "SELECT customer_uid, pg_provider, status, card_name, card_number "
                             "FROM billing_keys WHERE customer_id = $1",
                             1, params);
    if (!res)
        return 0;
    int ok = expect(env, PQntuples(res) == 1, "customer '%s' has %d billing keys, expected 1",
                    customer_id, PQntuples(res)) &&
             expect(env, strcmp(PQgetvalue(res, 0, 0), reg->customer_uid) == 0,
                    "billing key customer_uid '%s', registration has '%s'", PQgetvalue(res, 0, 0),
                    reg->customer_uid) &&
             expect(env, strcmp(PQgetvalue(res, 0, 1), reg->pg_provider) == 0,
                    "billing key pg_provider '%s', expected '%s'", PQgetvalue(res, 0, 1),
                    reg->pg_provider) &&
             expect(env, strcmp(PQgetvalue(res, 0, 2), "active") == 0,
                    "billing key status '%s', expected 'active'", PQgetvalue(res, 0, 2)) &&
             expect(env, strcmp(PQgetvalue(res, 0, 3), SANDBOX_CARD_NAME) == 0,
                    "billing key card_name '%s'", PQgetvalue(res, 0, 3)) &&
             expect(env, strcmp(PQgetvalue(res, 0, 4), SANDBOX_CARD_NUMBER) == 0,
                    "billing key card_number '%s'", PQgetvalue(res, 0, 4));
    PQclear(res);
    return ok;
}

static int expect_no_billing_key(struct browser_env *env, const char *customer_id)
{
    const char *params[] = {customer_id};
    PGresult *res = db_query(env, "SELECT 1 FROM billing_keys WHERE customer_id = $1", 1, params);
    if (!res)
        return 0;
    int ok = expect(env, PQntuples(res) == 0, "customer '%s' has %d billing keys, expected none",
                    customer_id, PQntuples(res));
    PQclear(res);
    return ok;
}

/* The money side of a registration: with charge_now exactly one paid charge of the plan's
 * amount (KakaoPay: the issuance itself under the registration's merchant_uid; the others: a
 * 'first_charge' under a new merchant_uid), charged exactly once in the sandbox's ledger;
 * without it no payment row and nothing charged. */
static int expect_first_payment(struct browser_env *env, const struct stored_registration *reg,
                                int charge_now)
{
    const char *params[] = {reg->merchant_uid};
    PGresult *res = db_query(env,
                             "SELECT merchant_uid, kind, status, amount FROM payments WHERE "
                             "registration_merchant_uid = $1 OR merchant_uid = $1",
                             1, params);
    if (!res)
        return 0;
    int kakao = strcmp(reg->pg_provider, "kakaopay") == 0;
    char charged_uid[64] = "";
    int ok = expect(env, PQntuples(res) == (charge_now ? 1 : 0),
                    "registration '%s' has %d payment rows, expected %d", reg->merchant_uid,
                    PQntuples(res), charge_now ? 1 : 0);
    if (ok && charge_now) {
        const char *uid = PQgetvalue(res, 0, 0), *kind = PQgetvalue(res, 0, 1);
        snprintf(charged_uid, sizeof charged_uid, "%s", uid);
        ok = expect(env, strcmp(kind, kakao ? "issue" : "first_charge") == 0,
                    "payment kind '%s' for a %s charge_now registration", kind, reg->pg_provider) &&
             expect(env,
                    kakao ? strcmp(uid, reg->merchant_uid) == 0
                          : strcmp(uid, reg->merchant_uid) != 0 && strncmp(uid, "bkp_", 4) == 0,
                    "payment merchant_uid '%s' (registration '%s')", uid, reg->merchant_uid) &&
             expect(env, strcmp(PQgetvalue(res, 0, 2), "paid") == 0, "payment status '%s'",
                    PQgetvalue(res, 0, 2)) &&
             expect(env, strcmp(PQgetvalue(res, 0, 3), BASIC_PLAN_AMOUNT) == 0,
                    "payment amount '%s'", PQgetvalue(res, 0, 3));
    }
    PQclear(res);
    if (!ok)
        return 0;

    struct http_client_response r;
    long status = sandbox_call(&env->sandbox, "GET", "/__sandbox/ledger", NULL, &r);
    const cJSON *charges = cJSON_GetObjectItemCaseSensitive(r.json, "charges");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(r.json, "total_paid");
    ok = expect(env, status == 200 && cJSON_IsObject(charges) && cJSON_IsNumber(total),
                "GET /__sandbox/ledger answered %ld: %s", status, r.body);
    if (ok && charge_now) {
        const cJSON *entry = cJSON_GetObjectItemCaseSensitive(charges, charged_uid);
        const cJSON *count = cJSON_GetObjectItemCaseSensitive(entry, "count");
        const cJSON *amount = cJSON_GetObjectItemCaseSensitive(entry, "amount");
        ok = expect(env,
                    cJSON_GetArraySize(charges) == 1 && cJSON_IsNumber(count) &&
                        count->valueint == 1 && cJSON_IsNumber(amount) &&
                        amount->valueint == 9900 && total->valueint == 9900,
                    "the sandbox should have charged '%s' once with 9900: %s", charged_uid, r.body);
    } else if (ok) {
        ok = expect(env, cJSON_GetArraySize(charges) == 0 && total->valueint == 0,
                    "the sandbox charged something without charge_now: %s", r.body);
    }
    http_client_response_release(&r);
    return ok;
}

/* GET /api/customers/{id} (merchant key) lists exactly the registered key. */
static int expect_customer_view(struct browser_env *env, const char *customer_id,
                                const struct stored_registration *reg)
{
    char *esc = curl_easy_escape(NULL, customer_id, 0);
    char *path = xasprintf("/api/customers/%s", esc);
    char *url = billkey_url(env, path);
    struct http_client_response r;
    http_client_get(url, MERCHANT_KEY, &r);
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(r.json, "billing_keys");
    const cJSON *key = cJSON_GetArrayItem(keys, 0);
    const cJSON *uid = cJSON_GetObjectItemCaseSensitive(key, "customer_uid");
    int ok = expect(env,
                    r.status == 200 && cJSON_GetArraySize(keys) == 1 && cJSON_IsString(uid) &&
                        strcmp(uid->valuestring, reg->customer_uid) == 0,
                    "GET %s answered %ld: %s", path, r.status, r.body);
    http_client_response_release(&r);
    curl_free(esc);
    free(path);
    free(url);
    return ok;
}

/* ---- driving the page ---- */

/* Opens the checkout page and waits until it is ready to register (config + SDK loaded). */
static int open_checkout(struct browser_env *env)
{
    char *url = billkey_url(env, "/static/checkout.html");
    cJSON *state = NULL;
    int ok = wd_ok(env, webdriver_navigate(&env->wd, url), "open the checkout page") &&
             wd_ok(env,
                   webdriver_wait_script(
                       &env->wd,
                       "var r = document.getElementById('result');"
                       "if (r && r.getAttribute('data-status')) return 'result: ' + r.textContent;"
                       "return document.getElementById('register').disabled ? null : 'ready';",
                       STEP_TIMEOUT_MS, &state),
                   "wait for the checkout page to get ready") &&
             expect(env, strcmp(state->valuestring, "ready") == 0,
                    "the checkout page did not get ready: %s", state->valuestring);
    cJSON_Delete(state);
    free(url);
    return ok;
}

static int click(struct browser_env *env, const char *css)
{
    struct webdriver_element el;
    char what[160];
    snprintf(what, sizeof what, "click '%s'", css);
    return wd_ok(env, webdriver_wait_element(&env->wd, css, STEP_TIMEOUT_MS, &el), what) &&
           wd_ok(env, webdriver_click(&env->wd, &el), what);
}

static int type_into(struct browser_env *env, const char *css, const char *text)
{
    struct webdriver_element el;
    char what[160];
    snprintf(what, sizeof what, "type into '%s'", css);
    return wd_ok(env, webdriver_wait_element(&env->wd, css, STEP_TIMEOUT_MS, &el), what) &&
           wd_ok(env, webdriver_clear(&env->wd, &el), what) &&
           wd_ok(env, webdriver_send_keys(&env->wd, &el, text), what);
}

/* Sets a checkbox to `want` by clicking it when it differs. */
static int set_checkbox(struct browser_env *env, const char *css, int want)
{
    struct webdriver_element el;
    int selected = 0;
    if (!wd_ok(env, webdriver_wait_element(&env->wd, css, STEP_TIMEOUT_MS, &el), css) ||
        !wd_ok(env, webdriver_selected(&env->wd, &el, &selected), css))
        return 0;
    return selected == want || wd_ok(env, webdriver_click(&env->wd, &el), css);
}

/* What the user fills in before pressing "register". */
struct form_input {
    const char *provider;
    const char *customer_id;
    const char *buyer_tel;  /* NULL: leave empty */
    const char *buyer_name; /* NULL: leave empty */
    int charge_now;
    int mobile;
    int naver_popup; /* naverpay only; -1: leave the box as the page set it */
};

static int fill_and_register(struct browser_env *env, const struct form_input *in)
{
    char pg_css[64];
    snprintf(pg_css, sizeof pg_css, "#pg-%s", in->provider);
    int ok = click(env, pg_css) && type_into(env, "#customer-id", in->customer_id) &&
             (!in->buyer_tel || type_into(env, "#buyer-tel", in->buyer_tel)) &&
             (!in->buyer_name || type_into(env, "#buyer-name", in->buyer_name)) &&
             set_checkbox(env, "#charge-now", in->charge_now) &&
             set_checkbox(env, "#mobile", in->mobile) &&
             (strcmp(in->provider, "naverpay") != 0 || in->naver_popup < 0 ||
              set_checkbox(env, "#naver-popup", in->naver_popup));
    return ok && click(env, "#register");
}

/* Answers the sandbox's PG window (button "approve" or "decline") after checking how it was
 * opened: an iframe over the page (callback) or a top-level navigation (redirect). */
static int answer_window(struct browser_env *env, int redirect, const char *button)
{
    struct webdriver_element el;
    char *mode = NULL;
    char button_css[32];
    snprintf(button_css, sizeof button_css, "#%s", button);
    int ok;
    if (!redirect) {
        ok = wd_ok(
                 env,
                 webdriver_wait_element(&env->wd, "iframe#imp-sandbox-frame", STEP_TIMEOUT_MS, &el),
                 "wait for the PG window's iframe") &&
             wd_ok(env, webdriver_switch_to_frame(&env->wd, &el), "switch into the PG window");
    } else {
        char *script = xasprintf("return location.origin === '%s' && "
                                 "document.getElementById('pg-window') !== null;",
                                 env->sandbox.base_url);
        ok = wd_ok(env, webdriver_wait_script(&env->wd, script, STEP_TIMEOUT_MS, NULL),
                   "wait for the browser to navigate to the PG window");
        free(script);
    }
    ok = ok &&
         wd_ok(env, webdriver_wait_element(&env->wd, "#pg-window", STEP_TIMEOUT_MS, &el),
               "find the PG window") &&
         wd_ok(env, webdriver_attribute(&env->wd, &el, "data-mode", &mode), "read data-mode") &&
         expect(env, mode && strcmp(mode, redirect ? "redirect" : "callback") == 0,
                "the PG window runs in '%s' mode, expected '%s'", mode ? mode : "(none)",
                redirect ? "redirect" : "callback") &&
         click(env, button_css);
    free(mode);
    if (ok && !redirect)
        ok = wd_ok(env, webdriver_switch_to_top(&env->wd), "switch back to the checkout page");
    return ok;
}

/* The checkout page's result box once it has a data-status. */
struct page_result {
    char status[16];
    char text[2048];
    char merchant_uid[64];
};

static int wait_page_result(struct browser_env *env, struct page_result *out)
{
    cJSON *v = NULL;
    memset(out, 0, sizeof *out);
    int ok = wd_ok(
        env,
        webdriver_wait_script(&env->wd,
                              "var r = document.getElementById('result');"
                              "if (!r || !r.getAttribute('data-status')) return null;"
                              "return {status: r.getAttribute('data-status'), text: r.innerText,"
                              " merchant_uid: r.getAttribute('data-merchant-uid') || ''};",
                              STEP_TIMEOUT_MS, &v),
        "wait for the checkout page's result");
    if (ok) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "status");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "text");
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(v, "merchant_uid");
        snprintf(out->status, sizeof out->status, "%s", cJSON_IsString(s) ? s->valuestring : "");
        snprintf(out->text, sizeof out->text, "%s", cJSON_IsString(t) ? t->valuestring : "");
        snprintf(out->merchant_uid, sizeof out->merchant_uid, "%s",
                 cJSON_IsString(m) ? m->valuestring : "");
    }
    cJSON_Delete(v);
    return ok;
}

/* billkey's landing page (/payments/complete/mobile) after a redirect flow. */
static int wait_landing(struct browser_env *env, struct page_result *out)
{
    cJSON *v = NULL;
    memset(out, 0, sizeof *out);
    int ok = wd_ok(
        env,
        webdriver_wait_script(&env->wd,
                              "if (location.pathname !== '/payments/complete/mobile' ||"
                              " document.readyState !== 'complete') return null;"
                              "var r = document.getElementById('result');"
                              "return {status: r ? (r.getAttribute('data-status') || '') : '',"
                              " text: document.body.innerText};",
                              STEP_TIMEOUT_MS, &v),
        "wait for billkey's landing page");
    if (ok) {
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "status");
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "text");
        snprintf(out->status, sizeof out->status, "%s", cJSON_IsString(s) ? s->valuestring : "");
        snprintf(out->text, sizeof out->text, "%s", cJSON_IsString(t) ? t->valuestring : "");
    }
    cJSON_Delete(v);
    return ok;
}

/* Nothing on the page is wider than the window (375px on a phone). */
static int expect_fits_window(struct browser_env *env, const char *where)
{
    cJSON *v = NULL;
    int ok = wd_ok(env,
                   webdriver_execute(&env->wd,
                                     "return [document.documentElement.scrollWidth, "
                                     "window.innerWidth];",
                                     NULL, &v),
                   "measure the page width");
    const cJSON *content = cJSON_GetArrayItem(v, 0), *window = cJSON_GetArrayItem(v, 1);
    ok = ok && expect(env,
                      cJSON_IsNumber(content) && cJSON_IsNumber(window) &&
                          content->valueint <= window->valueint,
                      "%s is wider (%d px) than the %d px window", where,
                      content ? content->valueint : -1, window ? window->valueint : -1);
    cJSON_Delete(v);
    return ok;
}

/* Expects an element matching css to be absent (e.g. markup injected through a field). */
static int expect_absent(struct browser_env *env, const char *css, const char *where)
{
    struct webdriver_element el;
    enum webdriver_status st = webdriver_find(&env->wd, css, &el);
    return expect(env, st == WEBDRIVER_E_NO_SUCH_ELEMENT,
                  "'%s' exists on %s (status %d): markup "
                  "from a field was rendered as HTML",
                  css, where, (int)st);
}

/* ---- the PG x flow matrix ---- */

struct flow_case {
    const char *provider;
    enum viewport view; /* a phone-sized window is "mobile" to the SDK */
    int mobile_toggle;  /* tick the page's "mobile" box (?mobile=1: mobile on any width) */
    int naver_popup;    /* naverpay: popup (callback) or page redirect; -1 the page's default */
    int charge_now;
    int redirect; /* the sandbox window must redirect (else call back) */
};

static const struct flow_case flow_cases[] = {
    /* PAYCO and KakaoPay call back on PC and mobile; KakaoPay charges at issuance */
    {"payco", VIEW_DESKTOP, 0, 1, 0, 0},
    {"payco", VIEW_PHONE, 1, 1, 1, 0},
    {"kakaopay", VIEW_DESKTOP, 0, 1, 0, 0},
    {"kakaopay", VIEW_PHONE, 1, 1, 1, 0},
    /* KICC: PC callback, mobile m_redirect_url (a phone, or the toggle on a PC) */
    {"kicc", VIEW_DESKTOP, 0, 1, 1, 0},
    {"kicc", VIEW_PHONE, 0, 1, 0, 1},
    {"kicc", VIEW_DESKTOP, 1, 1, 1, 1},
    /* CHAI redirects on PC too */
    {"chai", VIEW_DESKTOP, 0, 1, 0, 1},
    {"chai", VIEW_PHONE, 1, 1, 1, 1},
    /* NaverPay: naverPopupMode true → callback, false → redirect, on PC and mobile */
    {"naverpay", VIEW_DESKTOP, 0, 1, 0, 0},
    {"naverpay", VIEW_PHONE, 1, 1, 1, 0},
    {"naverpay", VIEW_DESKTOP, 0, 0, 0, 1},
    {"naverpay", VIEW_PHONE, 1, 0, 1, 1},
    /* left alone, the page picks the redirect on mobile and the popup on PC (issue #12) */
    {"naverpay", VIEW_PHONE, 1, -1, 1, 1},
    {"naverpay", VIEW_DESKTOP, 0, -1, 0, 0},
};

static char *random_customer_id(const char *provider)
{
    return xasprintf("browser-%s-%ld-%d", provider, (long)getpid(), rand() % 1000000);
}

START_TEST(registers_every_pg_in_every_flow)
{
    const struct flow_case *c = &flow_cases[_i];
    struct browser_env env;
    struct stored_registration reg;
    struct page_result result;
    char *customer_id = random_customer_id(c->provider);
    struct form_input in = {.provider = c->provider,
                            .customer_id = customer_id,
                            .buyer_tel = "010-1234-5678",
                            .buyer_name = "홍길동",
                            .charge_now = c->charge_now,
                            .mobile = c->mobile_toggle,
                            .naver_popup = c->naver_popup};
    env_start(&env, c->view, 1, NULL);

    int ok = open_checkout(&env) && expect_fits_window(&env, "the checkout page") &&
             fill_and_register(&env, &in) && answer_window(&env, c->redirect, "approve");
    if (ok && !c->redirect) {
        ok = wait_page_result(&env, &result) &&
             expect(&env, strcmp(result.status, "active") == 0, "%s: the page says '%s': %s",
                    c->provider, result.status, result.text) &&
             expect(&env,
                    strstr(result.text, SANDBOX_CARD_NAME) != NULL &&
                        strstr(result.text, SANDBOX_CARD_NUMBER) != NULL,
                    "the page does not show the card: %s", result.text) &&
             expect(&env,
                    strstr(result.text, c->charge_now ? "9,900원 · 결제 완료" : "없음") != NULL,
                    "the page shows the wrong first payment: %s", result.text) &&
             expect_fits_window(&env, "the result");
    } else if (ok) {
        ok =
            wait_landing(&env, &result) &&
            expect(&env, strcmp(result.status, "active") == 0, "%s: the landing page says '%s': %s",
                   c->provider, result.status, result.text) &&
            expect(&env,
                   strstr(result.text, SANDBOX_CARD_NAME) != NULL &&
                       strstr(result.text, SANDBOX_CARD_NUMBER) != NULL,
                   "the landing page does not show the card: %s", result.text) &&
            expect_fits_window(&env, "the landing page");
    }
    ok = ok && load_registration(&env, customer_id, 1, &reg) &&
         expect(&env, strcmp(reg.status, "active") == 0, "registration status '%s'", reg.status) &&
         expect(&env, strcmp(reg.pg_provider, c->provider) == 0, "registration pg_provider '%s'",
                reg.pg_provider) &&
         (c->redirect || expect(&env, strcmp(result.merchant_uid, reg.merchant_uid) == 0,
                                "the page shows merchant_uid '%s', stored '%s'",
                                result.merchant_uid, reg.merchant_uid)) &&
         expect_billing_key(&env, customer_id, &reg) &&
         expect_first_payment(&env, &reg, c->charge_now) &&
         expect_customer_view(&env, customer_id, &reg);
    (void)ok;
    env_finish(&env);
    free(customer_id);
}
END_TEST

/* ---- declines, failures and hostile input ---- */

START_TEST(declined_window_shows_the_message_and_stores_nothing)
{
    struct browser_env env;
    struct stored_registration reg;
    struct page_result result;
    char *customer_id = random_customer_id("decline");
    struct form_input in = {.provider = "payco", .customer_id = customer_id, .charge_now = 1};
    env_start(&env, VIEW_PHONE, 1, NULL);
    (void)(open_checkout(&env) && fill_and_register(&env, &in) &&
           answer_window(&env, 0, "decline") && wait_page_result(&env, &result) &&
           expect(&env, strcmp(result.status, "failed") == 0, "status '%s' after a decline",
                  result.status) &&
           expect(&env, strstr(result.text, USER_CANCEL_MSG) != NULL,
                  "the window's message is not shown: %s", result.text) &&
           load_registration(&env, customer_id, 1, &reg) &&
           expect(&env, strcmp(reg.status, "active") != 0, "a declined registration is active") &&
           expect_no_billing_key(&env, customer_id) && expect_first_payment(&env, &reg, 0));
    env_finish(&env);
    free(customer_id);
}
END_TEST

START_TEST(declined_redirect_lands_with_a_fixed_message)
{
    struct browser_env env;
    struct stored_registration reg;
    struct page_result result;
    char *customer_id = random_customer_id("decline-redirect");
    struct form_input in = {.provider = "chai", .customer_id = customer_id};
    env_start(&env, VIEW_PHONE, 1, NULL);
    (void)(open_checkout(&env) && fill_and_register(&env, &in) &&
           answer_window(&env, 1, "decline") && wait_landing(&env, &result) &&
           expect(&env, strcmp(result.status, "failed") == 0, "the landing page says '%s'",
                  result.status) &&
           /* the redirect's error_msg is never shown: anyone could craft one */
           expect(&env, strstr(result.text, USER_CANCEL_MSG) == NULL,
                  "the landing page shows the query's error_msg: %s", result.text) &&
           expect(&env, strstr(result.text, "결제창에서 등록이 완료되지 않았습니다") != NULL,
                  "the landing page lacks its fixed message: %s", result.text) &&
           load_registration(&env, customer_id, 1, &reg) &&
           expect(&env, strcmp(reg.status, "active") != 0, "a declined registration is active") &&
           expect_no_billing_key(&env, customer_id));
    env_finish(&env);
    free(customer_id);
}
END_TEST

/* The PG fails the issuance: the window reports failure WITH an imp_uid, the page still asks
 * billkey, which records the PG's reason. */
START_TEST(issuance_failure_is_recorded_with_the_pg_message)
{
    struct browser_env env;
    struct stored_registration reg;
    struct page_result result;
    char *customer_id = random_customer_id("issue-failed");
    struct form_input in = {.provider = "kicc", .customer_id = customer_id};
    env_start(&env, VIEW_DESKTOP, 1, NULL);
    cJSON_Delete(sandbox_ctl(&env.sandbox, "POST", "/__sandbox/config",
                             "{\"issue_status\":{\"kicc\":\"failed\"}}"));
    (void)(open_checkout(&env) && fill_and_register(&env, &in) &&
           answer_window(&env, 0, "approve") && wait_page_result(&env, &result) &&
           expect(&env, strcmp(result.status, "failed") == 0, "status '%s' (%s)", result.status,
                  result.text) &&
           load_registration(&env, customer_id, 1, &reg) &&
           expect(&env, strcmp(reg.status, "failed") == 0, "registration status '%s'",
                  reg.status) &&
           expect_no_billing_key(&env, customer_id));
    env_finish(&env);
    free(customer_id);
}
END_TEST

/* The window says success, but iamport's payment is still 'ready' (not what PAYCO gives on
 * success): the page shows billkey's verdict, not rsp.success, and nothing is stored. */
START_TEST(window_success_is_not_trusted)
{
    struct browser_env env;
    struct stored_registration reg;
    struct page_result result;
    struct webdriver_element el;
    char *customer_id = random_customer_id("untrusted");
    struct form_input in = {.provider = "payco", .customer_id = customer_id};
    env_start(&env, VIEW_DESKTOP, 1, NULL);
    cJSON_Delete(sandbox_ctl(&env.sandbox, "POST", "/__sandbox/config",
                             "{\"issue_status\":{\"payco\":\"ready\"}}"));
    (void)(open_checkout(&env) && fill_and_register(&env, &in) &&
           answer_window(&env, 0, "approve") && wait_page_result(&env, &result) &&
           expect(&env, strcmp(result.status, "error") == 0,
                  "the page says '%s' for a payment that is not completed: %s", result.status,
                  result.text) &&
           expect(&env, strstr(result.text, "not completed") != NULL,
                  "the page does not show billkey's reason: %s", result.text) &&
           wd_ok(&env, webdriver_find(&env.wd, "#retry-verify", &el), "find the retry button") &&
           load_registration(&env, customer_id, 1, &reg) &&
           expect(&env, strcmp(reg.status, "pending") == 0, "registration status '%s'",
                  reg.status) &&
           expect_no_billing_key(&env, customer_id));
    env_finish(&env);
    free(customer_id);
}
END_TEST

/* iamport answers 500 while billkey verifies: the page shows billkey's message and a retry
 * button; once iamport is back, the retry completes the same registration. */
START_TEST(verification_outage_can_be_retried)
{
    struct browser_env env;
    struct stored_registration reg;
    struct page_result result;
    char *customer_id = random_customer_id("retry");
    struct form_input in = {.provider = "kakaopay", .customer_id = customer_id};
    env_start(&env, VIEW_PHONE, 1, NULL);
    /* only billkey's verification reads payments: make every such lookup fail */
    cJSON_Delete(sandbox_ctl(&env.sandbox, "POST", "/__sandbox/faults",
                             "{\"method\":\"GET\",\"path\":\"/payments/*\","
                             "\"kind\":\"http500\",\"count\":1000}"));
    int ok = open_checkout(&env) && fill_and_register(&env, &in) &&
             answer_window(&env, 0, "approve") && wait_page_result(&env, &result) &&
             expect(&env, strcmp(result.status, "error") == 0, "status '%s' during the outage (%s)",
                    result.status, result.text) &&
             load_registration(&env, customer_id, 1, &reg) &&
             expect(&env, strcmp(reg.status, "pending") == 0,
                    "registration status '%s' while iamport is down", reg.status);
    if (ok)
        cJSON_Delete(sandbox_ctl(&env.sandbox, "DELETE", "/__sandbox/faults", NULL));
    ok = ok && click(&env, "#retry-verify") && wait_page_result(&env, &result) &&
         expect(&env, strcmp(result.status, "active") == 0, "status '%s' after the retry (%s)",
                result.status, result.text) &&
         load_registration(&env, customer_id, 1, &reg) &&
         expect(&env, strcmp(reg.status, "active") == 0, "registration status '%s'", reg.status) &&
         expect_billing_key(&env, customer_id, &reg);
    env_finish(&env);
    free(customer_id);
}
END_TEST

/* NaverPay without a phone number: billkey's 400 names buyer_tel, the page shows the message
 * and marks the field; nothing is stored and no window opens. */
START_TEST(naverpay_without_tel_is_refused_by_field)
{
    struct browser_env env;
    struct stored_registration reg;
    struct page_result result;
    struct webdriver_element el;
    char *cls = NULL;
    char *customer_id = random_customer_id("no-tel");
    struct form_input in = {.provider = "naverpay", .customer_id = customer_id, .naver_popup = 1};
    env_start(&env, VIEW_PHONE, 1, NULL);
    (void)(open_checkout(&env) && fill_and_register(&env, &in) && wait_page_result(&env, &result) &&
           expect(&env, strcmp(result.status, "error") == 0, "status '%s'", result.status) &&
           expect(&env, strstr(result.text, "buyer_tel") != NULL,
                  "the message does not name buyer_tel: %s", result.text) &&
           wd_ok(&env, webdriver_find(&env.wd, "#buyer-tel", &el), "find #buyer-tel") &&
           wd_ok(&env, webdriver_attribute(&env.wd, &el, "class", &cls), "read its class") &&
           expect(&env, cls && strstr(cls, "invalid") != NULL, "#buyer-tel is not marked: '%s'",
                  cls ? cls : "") &&
           expect_absent(&env, "iframe#imp-sandbox-frame", "the checkout page") &&
           load_registration(&env, customer_id, 0, &reg));
    free(cls);
    env_finish(&env);
    free(customer_id);
}
END_TEST

/* Markup and SQL in the fields: stored byte for byte, shown as text, never run. */
START_TEST(hostile_fields_are_stored_exactly_and_shown_as_text)
{
    int redirect = _i; /* 0: the page shows the result, 1: billkey's landing page does */
    struct browser_env env;
    struct stored_registration reg;
    struct page_result result;
    const char *customer_id = "x'); DROP TABLE registrations;--<img id=xss1 src=x>";
    struct form_input in = {.provider = "naverpay",
                            .customer_id = customer_id,
                            .buyer_tel = "010-0000-0000",
                            .buyer_name = "<b id=xss2>a</b>",
                            .naver_popup = !redirect};
    env_start(&env, VIEW_PHONE, 1, NULL);
    const char *where = redirect ? "the landing page" : "the checkout page";
    (void)(open_checkout(&env) && fill_and_register(&env, &in) &&
           answer_window(&env, redirect, "approve") &&
           (redirect ? wait_landing(&env, &result) : wait_page_result(&env, &result)) &&
           (redirect ||
            expect(&env, strstr(result.text, customer_id) != NULL,
                   "the page does not show the customer id as text: %s", result.text)) &&
           expect_absent(&env, "#xss1", where) && expect_absent(&env, "#xss2", where) &&
           load_registration(&env, customer_id, 1, &reg) &&
           expect(&env, strcmp(reg.status, "active") == 0, "registration status '%s'",
                  reg.status) &&
           expect_billing_key(&env, customer_id, &reg) &&
           expect_customer_view(&env, customer_id, &reg));
    env_finish(&env);
}
END_TEST

/* The SDK cannot be loaded: the page says so instead of offering a button that cannot work. */
START_TEST(unreachable_sdk_is_reported)
{
    struct browser_env env;
    struct page_result result;
    struct webdriver_element el;
    char *disabled = NULL;
    char *sdk = xasprintf("http://127.0.0.1:%d/v1/iamport.js", testlib_free_port());
    env_start(&env, VIEW_PHONE, 1, sdk);
    char *url = billkey_url(&env, "/static/checkout.html");
    (void)(wd_ok(&env, webdriver_navigate(&env.wd, url), "open the checkout page") &&
           wait_page_result(&env, &result) &&
           expect(&env, strcmp(result.status, "error") == 0, "status '%s'", result.status) &&
           expect(&env,
                  strstr(result.text, "iamport SDK를 불러오지 못했습니다") != NULL &&
                      strstr(result.text, sdk) != NULL,
                  "the page does not explain the SDK failure: %s", result.text) &&
           wd_ok(&env, webdriver_find(&env.wd, "#register", &el), "find #register") &&
           wd_ok(&env, webdriver_attribute(&env.wd, &el, "disabled", &disabled), "read disabled") &&
           expect(&env, disabled != NULL, "#register is enabled without an SDK"));
    free(disabled);
    free(url);
    env_finish(&env);
    free(sdk);
}
END_TEST

/* Production mode: the demo route does not exist, so the page explains the real flow and
 * offers no button. */
START_TEST(production_mode_explains_the_merchant_backend_flow)
{
    struct browser_env env;
    struct webdriver_element el;
    cJSON *note = NULL;
    char *disabled = NULL;
    env_start(&env, VIEW_DESKTOP, 0, NULL);
    char *url = billkey_url(&env, "/static/checkout.html");
    (void)(wd_ok(&env, webdriver_navigate(&env.wd, url), "open the checkout page") &&
           wd_ok(&env,
                 webdriver_wait_script(&env.wd,
                                       "var n = document.getElementById('mode-note');"
                                       "return n && !n.hidden ? n.textContent : null;",
                                       STEP_TIMEOUT_MS, &note),
                 "wait for the mode note") &&
           expect(&env, strstr(note->valuestring, "POST /api/checkouts") != NULL,
                  "the note does not explain the merchant backend: %s", note->valuestring) &&
           wd_ok(&env, webdriver_find(&env.wd, "#register", &el), "find #register") &&
           wd_ok(&env, webdriver_attribute(&env.wd, &el, "disabled", &disabled), "read disabled") &&
           expect(&env, disabled != NULL, "#register is enabled in production mode") &&
           expect_absent(&env, "script[src*='iamport.js']", "the production-mode page"));
    cJSON_Delete(note);
    free(disabled);
    free(url);
    env_finish(&env);
}
END_TEST

/* The front page links to the checkout, and billkeyd's CSP names the sandbox's SDK origin. */
START_TEST(front_page_leads_to_the_checkout)
{
    struct browser_env env;
    struct http_client_response r;
    env_start(&env, VIEW_PHONE, 1, NULL);
    char *url = billkey_url(&env, "/");
    http_client_get(url, NULL, &r);
    char *csp = http_client_header(&r, "Content-Security-Policy");
    char *want = xasprintf("script-src 'self' %s;", env.sandbox.base_url);
    char *want_frame = xasprintf("frame-src 'self' %s;", env.sandbox.base_url);
    (void)(expect(&env, r.status == 200 && csp && strstr(csp, want) && strstr(csp, want_frame),
                  "GET / answered %ld with CSP '%s'", r.status, csp ? csp : "(none)") &&
           wd_ok(&env, webdriver_navigate(&env.wd, url), "open the front page") &&
           expect_fits_window(&env, "the front page") && click(&env, "#checkout-link") &&
           wd_ok(&env,
                 webdriver_wait_script(&env.wd,
                                       "return location.pathname === '/static/checkout.html' && "
                                       "!document.getElementById('register').disabled;",
                                       STEP_TIMEOUT_MS, NULL),
                 "follow the link to a ready checkout page"));
    http_client_response_release(&r);
    free(csp);
    free(want);
    free(want_frame);
    free(url);
    env_finish(&env);
}
END_TEST

static Suite *suite_browser_checkout(void)
{
    Suite *s = suite_create("browser_checkout");

    TCase *csp = tcase_create("csp");
    tcase_add_loop_test(csp, csp_names_the_sdk_origin_and_nothing_else, 0,
                        (int)(sizeof csp_cases / sizeof csp_cases[0]));
    tcase_add_test(csp, csp_is_computed_per_request_from_the_config);
    tcase_add_test(csp, page_files_follow_the_csp_rules);
    suite_add_tcase(s, csp);

    TCase *driver = tcase_create("webdriver");
    tcase_set_timeout(driver, 120);
    tcase_add_test(driver, missing_browser_fails_with_the_install_hint);
    tcase_add_test(driver, driver_that_exits_is_reported_at_once);
    tcase_add_test(driver, webdriver_drives_a_real_page);
    suite_add_tcase(s, driver);

    TCase *flows = tcase_create("flows");
    tcase_set_timeout(flows, 180);
    tcase_add_loop_test(flows, registers_every_pg_in_every_flow, 0,
                        (int)(sizeof flow_cases / sizeof flow_cases[0]));
    tcase_add_test(flows, declined_window_shows_the_message_and_stores_nothing);
    tcase_add_test(flows, declined_redirect_lands_with_a_fixed_message);
    tcase_add_test(flows, issuance_failure_is_recorded_with_the_pg_message);
    tcase_add_test(flows, window_success_is_not_trusted);
    tcase_add_test(flows, verification_outage_can_be_retried);
    tcase_add_test(flows, naverpay_without_tel_is_refused_by_field);
    tcase_add_loop_test(flows, hostile_fields_are_stored_exactly_and_shown_as_text, 0, 2);
    tcase_add_test(flows, unreachable_sdk_is_reported);
    tcase_add_test(flows, production_mode_explains_the_merchant_backend_flow);
    tcase_add_test(flows, front_page_leads_to_the_checkout);
    suite_add_tcase(s, flows);
    return s;
}

TESTLIB_MAIN(suite_browser_checkout)
