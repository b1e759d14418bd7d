/* Checkout pages: the SDK script and assets, the PG window, the result page/redirect. */
#include "sandbox/sb_checkout.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/core/xalloc.h"
#include "sandbox/sb_fields.h"
#include "sandbox/sb_handlers.h"
#include "sandbox/sb_reply.h"
#include "sandbox/sb_util.h"
#include "sandbox/sb_webhook.h"

#define MAX_ASSET_BYTES (256 * 1024)

static const struct {
    const char *name;
    const char *content_type;
} assets[] = {
    {"iamport.js", "application/javascript; charset=utf-8"},
    {"window.js", "application/javascript; charset=utf-8"},
    {"window.css", "text/css; charset=utf-8"},
};

static const struct {
    const char *provider;
    const char *label;
} pg_labels[] = {
    {"payco", "PAYCO"}, {"kakaopay", "카카오페이"}, {"kicc", "KICC"},
    {"chai", "CHAI"},   {"naverpay", "네이버페이"},
};

char *sb_html_escape(const char *s)
{
    size_t cap = strlen(s) * 6 + 1, n = 0;
    char *out = xmalloc(cap);
    for (; *s; s++) {
        const char *rep = *s == '&'    ? "&amp;"
                          : *s == '<'  ? "&lt;"
                          : *s == '>'  ? "&gt;"
                          : *s == '"'  ? "&quot;"
                          : *s == '\'' ? "&#39;"
                                       : NULL;
        if (rep) {
            memcpy(out + n, rep, strlen(rep));
            n += strlen(rep);
        } else {
            out[n++] = *s;
        }
    }
    out[n] = '\0';
    return out;
}

void sb_html_headers(struct reply *rep)
{
    reply_set_header(rep, "Content-Security-Policy",
                     "default-src 'none'; script-src 'self'; style-src 'self'; base-uri 'none'");
    reply_set_header(rep, "X-Content-Type-Options", "nosniff");
}

static const char *static_dir(void)
{
    const char *dir = getenv("IAMPORT_SANDBOX_STATIC_DIR");
    return dir && *dir ? dir : BILLKEY_SOURCE_DIR "/sandbox/static";
}

/* Serves one whitelisted file of the static folder, or 404. */
static void serve_asset(const char *name, struct reply *rep)
{
    size_t i = 0;
    while (i < sizeof assets / sizeof assets[0] && strcmp(assets[i].name, name) != 0)
        i++;
    if (i == sizeof assets / sizeof assets[0]) {
        sb_control_error(rep, 404, "no sandbox asset '%s'", name);
        return;
    }
    char *path = xasprintf("%s/%s", static_dir(), name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sbuf;
    if (fd < 0 || fstat(fd, &sbuf) != 0 || sbuf.st_size > MAX_ASSET_BYTES) {
        sb_control_error(rep, 500, "cannot read sandbox asset '%s'", path);
        goto out;
    }
    char *data = xmalloc((size_t)sbuf.st_size + 1);
    ssize_t got = read(fd, data, (size_t)sbuf.st_size);
    if (got != sbuf.st_size)
        sb_control_error(rep, 500, "short read of sandbox asset '%s'", path);
    else
        reply_bytes(rep, 200, assets[i].content_type, data, (size_t)got);
    free(data);
out:
    if (fd >= 0)
        close(fd);
    free(path);
}

void sb_checkout_sdk(struct request *req, struct reply *rep)
{
    (void)req;
    serve_asset("iamport.js", rep);
}

void sb_checkout_asset(struct request *req, struct reply *rep)
{
    serve_asset(request_param(req, "name"), rep);
}

/* Appends "name=value" (value URL-escaped; "&" before all but the first) to *query. */
static void append_query(char **query, const char *name, const char *value)
{
    char *esc = curl_easy_escape(NULL, value ? value : "", 0);
    char *next = xasprintf("%s%s%s=%s", *query, **query ? "&" : "", name, esc ? esc : "");
    curl_free(esc);
    free(*query);
    *query = next;
}

/* m_redirect_url with imp_uid, merchant_uid, imp_success (+ error_code, error_msg on failure)
 * appended to its existing query with '&' (before any #fragment). Caller frees. */
static char *redirect_location(const char *target, const cJSON *rsp)
{
    size_t base_len = strcspn(target, "#");
    int success = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rsp, "success"));
    char *query = xstrdup("");
    if (sb_jstr(rsp, "imp_uid"))
        append_query(&query, "imp_uid", sb_jstr(rsp, "imp_uid"));
    append_query(&query, "merchant_uid", sb_jstr(rsp, "merchant_uid"));
    append_query(&query, "imp_success", success ? "true" : "false");
    if (!success) {
        append_query(&query, "error_code", sb_jstr(rsp, "error_code"));
        append_query(&query, "error_msg", sb_jstr(rsp, "error_msg"));
    }
    const char *q = memchr(target, '?', base_len);
    char last = base_len ? target[base_len - 1] : '\0';
    const char *sep = !q ? "?" : (last == '?' || last == '&') ? "" : "&";
    char *full = xasprintf("%.*s%s%s%s", (int)base_len, target, sep, query, target + base_len);
    free(query);
    return full;
}

void sb_checkout_deliver(const struct sb_checkout *co, cJSON *rsp, struct reply *rep)
{
    const char *target = sb_jstr(co->params, "m_redirect_url");
    if (co->mode == SB_CHECKOUT_REDIRECT && target && sb_url_is_loopback(target)) {
        char *location = redirect_location(target, rsp);
        cJSON_Delete(rsp);
        reply_bytes(rep, 302, "text/plain; charset=utf-8", "", 0);
        reply_set_header(rep, "Location", location);
        free(location);
        return;
    }
    char *json = cJSON_PrintUnformatted(rsp);
    int success = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rsp, "success"));
    cJSON_Delete(rsp);
    char *json_html = sb_html_escape(json ? json : "{}");
    char *origin_html = sb_html_escape(co->origin ? co->origin : "*");
    char *page =
        xasprintf("<!doctype html>\n<html lang=\"ko\"><head><meta charset=\"utf-8\">"
                  "<title>iamport sandbox – result</title>"
                  "<link rel=\"stylesheet\" href=\"/__sandbox/static/window.css\"></head>\n<body>"
                  "<main id=\"imp-result\" data-origin=\"%s\" data-rsp=\"%s\">"
                  "<h1 id=\"result-status\">%s</h1><pre id=\"rsp\">%s</pre></main>\n"
                  "<script src=\"/__sandbox/static/window.js\"></script></body></html>\n",
                  origin_html, json_html, success ? "success" : "failure", json_html);
    reply_bytes(rep, 200, "text/html; charset=utf-8", page, strlen(page));
    sb_html_headers(rep);
    cJSON_free(json);
    free(json_html);
    free(origin_html);
    free(page);
}

static const char *pg_label(const char *provider)
{
    for (size_t i = 0; i < sizeof pg_labels / sizeof pg_labels[0]; i++)
        if (strcmp(pg_labels[i].provider, provider) == 0)
            return pg_labels[i].label;
    return provider;
}

/* The hidden inputs that carry the checkout into the approve/decline POST. */
static char *hidden_fields(const struct sb_checkout *co)
{
    char *params = cJSON_PrintUnformatted(co->params);
    char *p = sb_html_escape(params ? params : "{}");
    char *o = sb_html_escape(co->origin ? co->origin : "");
    char *c = sb_html_escape(co->imp_code ? co->imp_code : "");
    char *out = xasprintf("<input type=\"hidden\" name=\"params\" value=\"%s\">"
                          "<input type=\"hidden\" name=\"mobile\" value=\"%d\">"
                          "<input type=\"hidden\" name=\"origin\" value=\"%s\">"
                          "<input type=\"hidden\" name=\"code\" value=\"%s\">",
                          p, co->mobile, o, c);
    cJSON_free(params);
    free(p);
    free(o);
    free(c);
    return out;
}

static void render_window(const struct sb_checkout *co, struct reply *rep)
{
    int charges = strcmp(co->provider, "kakaopay") == 0 && co->amount > 0;
    const char *name = sb_jstr(co->params, "name");
    char *name_html = sb_html_escape(name ? name : "");
    char *customer_html = sb_html_escape(sb_jstr(co->params, "customer_uid"));
    char *merchant_html = sb_html_escape(sb_jstr(co->params, "merchant_uid"));
    char *hidden = hidden_fields(co);
    char *page = xasprintf(
        "<!doctype html>\n<html lang=\"ko\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width\">"
        "<title>iamport sandbox – %s</title>"
        "<link rel=\"stylesheet\" href=\"/__sandbox/static/window.css\"></head>\n<body>"
        "<main id=\"pg-window\" data-pg=\"%s\" data-mode=\"%s\">"
        "<h1 id=\"pg-name\">%s</h1>"
        "<p>상품: <span id=\"order-name\">%s</span></p>"
        "<p>금액: <span id=\"amount\">%lld</span>원 <span id=\"amount-note\">%s</span></p>"
        "<p>customer_uid: <code id=\"customer-uid\">%s</code></p>"
        "<p>merchant_uid: <code id=\"merchant-uid\">%s</code></p>"
        "<form method=\"post\" action=\"/__sandbox/window/approve\">%s"
        "<button id=\"approve\" type=\"submit\">승인</button></form>"
        "<form method=\"post\" action=\"/__sandbox/window/decline\">%s"
        "<button id=\"decline\" type=\"submit\">취소</button></form>"
        "</main></body></html>\n",
        pg_label(co->provider), co->provider,
        co->mode == SB_CHECKOUT_REDIRECT ? "redirect" : "callback", pg_label(co->provider),
        name_html, (long long)co->amount,
        charges ? "(빌링키 발급과 함께 결제됩니다)" : "(표시용: 승인되지 않습니다)", customer_html,
        merchant_html, hidden, hidden);
    reply_bytes(rep, 200, "text/html; charset=utf-8", page, strlen(page));
    sb_html_headers(rep);
    free(name_html);
    free(customer_html);
    free(merchant_html);
    free(hidden);
    free(page);
}

void sb_checkout_window(struct request *req, struct reply *rep)
{
    struct sb_checkout co;
    char msg[SB_MSG_LEN];
    int rc = sb_checkout_parse(request_query(req, "params"), request_query(req, "mobile"),
                               request_query(req, "origin"), request_query(req, "code"), &co, msg);
    if (rc == 0) {
        struct sb_state *st = sb_state_lock();
        rc = sb_checkout_validate(st, &co, msg);
        sb_state_unlock();
    }
    if (rc != 0)
        sb_checkout_deliver(&co, sb_checkout_rsp(&co, NULL, 0, SB_CHECKOUT_E_INVALID, msg), rep);
    else
        render_window(&co, rep);
    sb_checkout_release(&co);
}
