/* Issuance test fixture: fresh database + iamport-sandbox + billkeyd, the checkout window, SQL probes. */
#include "tests/lib/issuance_fixture.h"

#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/body.h"
#include "server/core/xalloc.h"
#include "tests/lib/db_test.h"
#include "tests/lib/testlib.h"

#define START_ATTEMPTS 5
#define READY_WAIT_MS 20000

const char *fx_str(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

char *fx_url(const struct fx *fx, const struct billkeyd_proc *p, const char *path)
{
    return xasprintf("%s%s", (p ? p : &fx->billkeyd)->base_url, path);
}

static void wait_ready(const struct billkeyd_proc *p)
{
    char *url = xasprintf("%s/readyz", p->base_url);
    long status = testlib_wait_http_status(url, 200, READY_WAIT_MS, 50);
    free(url);
    ck_assert_msg(status == 200, "billkeyd at %s never became ready", p->base_url);
}

/* Starts billkeyd on a port known in advance (PUBLIC_BASE_URL must name it). */
static void start_billkeyd(struct fx *fx, struct billkeyd_proc *p, const char *const *extra_env,
                           char *public_base_url, size_t cap)
{
    char *base = xasprintf("IAMPORT_BASE_URL=%s", fx->sandbox.base_url);
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
        int port = testlib_free_port();
        char *port_env = xasprintf("PORT=%d", port);
        char *public_env = xasprintf("PUBLIC_BASE_URL=http://127.0.0.1:%d", port);
        const char *env[48] = {port_env,
                               public_env,
                               base,
                               "IAMPORT_API_KEY=" SANDBOX_IMP_KEY,
                               "IAMPORT_API_SECRET=" SANDBOX_IMP_SECRET,
                               "BILLKEY_API_KEYS=" FX_API_KEY_NAME ":" FX_API_KEY,
                               "SANDBOX_MODE=1",
                               "IMP_CODE=imp_sandbox",
                               "IAMPORT_TIMEOUT_MS=5000",
                               "IAMPORT_CONNECT_TIMEOUT_MS=2000"};
        size_t n = 10;
        for (size_t i = 0; extra_env && extra_env[i] && n < 47; i++)
            env[n++] = extra_env[i];
        env[n] = NULL;
        int rc = billkeyd_start(p, fx->db_url, env);
        if (rc == 0 && public_base_url)
            snprintf(public_base_url, cap, "http://127.0.0.1:%d", port);
        free(port_env);
        free(public_env);
        if (rc == 0) {
            free(base);
            wait_ready(p);
            return;
        }
    }
    free(base);
    ck_abort_msg("billkeyd did not start in %d attempts", START_ATTEMPTS);
}

void fx_start(struct fx *fx, const char *const *extra_env)
{
    memset(fx, 0, sizeof *fx);
    fx->db_url = testlib_create_database("issuance");
    ck_assert_int_eq(sandbox_start(&fx->sandbox, NULL), 0);
    start_billkeyd(fx, &fx->billkeyd, extra_env, fx->public_base_url, sizeof fx->public_base_url);
}

void fx_start_billkeyd(struct fx *fx, struct billkeyd_proc *p, const char *const *extra_env)
{
    start_billkeyd(fx, p, extra_env, NULL, 0);
}

void fx_stop_billkeyd(struct billkeyd_proc *p)
{
    ck_assert_msg(billkeyd_stop(p) == 0, "billkeyd did not exit cleanly (see its log above)");
}

void fx_stop(struct fx *fx)
{
    int billkeyd_rc = billkeyd_stop(&fx->billkeyd);
    int sandbox_rc = sandbox_stop(&fx->sandbox);
    free(fx->db_url);
    memset(fx, 0, sizeof *fx);
    ck_assert_msg(billkeyd_rc == 0, "billkeyd did not exit cleanly (see its log above)");
    ck_assert_msg(sandbox_rc == 0, "the sandbox did not exit cleanly");
}

long fx_create_checkout(const struct fx *fx, const char *json_body,
                        struct http_client_response *out)
{
    char *url = fx_url(fx, NULL, "/api/checkouts");
    http_client_json("POST", url, json_body, FX_API_KEY, out);
    free(url);
    return out->status;
}

cJSON *fx_checkout_ok(const struct fx *fx, const char *json_body)
{
    struct http_client_response r;
    long status = fx_create_checkout(fx, json_body, &r);
    ck_assert_msg(status == 201, "POST /api/checkouts %s -> %ld: %s", json_body, status, r.body);
    ck_assert_ptr_nonnull(r.json);
    cJSON *json = r.json;
    r.json = NULL;
    http_client_response_release(&r);
    return json;
}

/* The fx_checkout_plan() body (caller frees). */
static char *plan_body(const char *pg, long long amount, int charge_now)
{
    return xasprintf("{\"customer_id\":\"cust-1\",\"pg\":\"%s\",\"amount\":%lld,"
                     "\"name\":\"월 구독\",\"charge_now\":%s,\"buyer_tel\":\"010-1234-5678\"}",
                     pg, amount, charge_now ? "true" : "false");
}

cJSON *fx_checkout_plan(const struct fx *fx, const char *pg, long long amount, int charge_now)
{
    char *body = plan_body(pg, amount, charge_now);
    cJSON *co = fx_checkout_ok(fx, body);
    free(body);
    return co;
}

const cJSON *fx_request_pay(const cJSON *co)
{
    return cJSON_GetObjectItemCaseSensitive(co, "request_pay");
}

/* Undoes the sandbox's HTML escaping (& < > " '). Caller frees. */
static char *html_unescape(const char *s, size_t len)
{
    static const struct {
        const char *entity;
        char c;
    } entities[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
    char *out = xmalloc(len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        size_t k = 0;
        for (; k < sizeof entities / sizeof entities[0]; k++) {
            size_t el = strlen(entities[k].entity);
            if (i + el <= len && strncmp(s + i, entities[k].entity, el) == 0) {
                out[n++] = entities[k].c;
                i += el;
                break;
            }
        }
        if (k == sizeof entities / sizeof entities[0])
            out[n++] = s[i++];
    }
    out[n] = '\0';
    return out;
}

static cJSON *callback_rsp(const char *page)
{
    const char *start = strstr(page, "<pre id=\"rsp\">");
    ck_assert_msg(start != NULL, "the window's result page has no rsp: %s", page);
    start += strlen("<pre id=\"rsp\">");
    const char *end = strstr(start, "</pre>");
    ck_assert_ptr_nonnull(end);
    char *json = html_unescape(start, (size_t)(end - start));
    cJSON *rsp = cJSON_Parse(json);
    ck_assert_msg(rsp != NULL, "the window's rsp is not JSON: %s", json);
    free(json);
    return rsp;
}

void fx_window_submit(const struct fx *fx, const cJSON *request_pay, int mobile, int decline,
                      struct fx_window *out)
{
    struct http_client_response r;
    char *params = cJSON_PrintUnformatted(request_pay);
    char *escaped = curl_easy_escape(NULL, params, 0);
    char *form = xasprintf("params=%s&mobile=%d", escaped, mobile ? 1 : 0);
    memset(out, 0, sizeof *out);

    long status = sandbox_call_auth(
        &fx->sandbox, "POST", decline ? "/__sandbox/window/decline" : "/__sandbox/window/approve",
        NULL, NULL, form, &r);
    ck_assert_msg(status == 200 || status == 302, "window submit -> %ld: %s", status, r.body);
    if (status == 302) {
        ck_assert_ptr_nonnull(r.location);
        out->redirected = 1;
        out->location = xstrdup(r.location);
        const char *q = strchr(out->location, '?');
        cJSON *query = NULL;
        ck_assert_int_eq(body_parse_query(q ? q + 1 : "", &query, NULL), BODY_OK);
        const char *imp_uid = fx_str(query, "imp_uid");
        out->imp_uid = imp_uid ? xstrdup(imp_uid) : NULL;
        const char *ok = fx_str(query, "imp_success");
        out->success = ok && strcmp(ok, "true") == 0;
        cJSON_Delete(query);
    } else {
        out->rsp = callback_rsp(r.body);
        const char *imp_uid = fx_str(out->rsp, "imp_uid");
        out->imp_uid = imp_uid ? xstrdup(imp_uid) : NULL;
        out->success = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(out->rsp, "success"));
    }
    http_client_response_release(&r);
    curl_free(escaped);
    cJSON_free(params);
    free(form);
}

void fx_window_release(struct fx_window *w)
{
    free(w->location);
    cJSON_Delete(w->rsp);
    free(w->imp_uid);
    memset(w, 0, sizeof *w);
}

long fx_complete(const struct fx *fx, const struct billkeyd_proc *p, const char *imp_uid,
                 const char *merchant_uid, struct http_client_response *out)
{
    cJSON *body = cJSON_CreateObject();
    if (imp_uid)
        cJSON_AddStringToObject(body, "imp_uid", imp_uid);
    if (merchant_uid)
        cJSON_AddStringToObject(body, "merchant_uid", merchant_uid);
    char *text = cJSON_PrintUnformatted(body);
    char *url = fx_url(fx, p, "/payments/complete");
    http_client_json("POST", url, text, NULL, out);
    free(url);
    cJSON_free(text);
    cJSON_Delete(body);
    return out->status;
}

long fx_landing(const struct fx *fx, const char *imp_uid, const char *merchant_uid,
                struct http_client_response *out)
{
    char *query = xstrdup("");
    const char *names[] = {"imp_uid", "merchant_uid"};
    const char *values[] = {imp_uid, merchant_uid};
    for (size_t i = 0; i < 2; i++) {
        if (!values[i])
            continue;
        char *esc = curl_easy_escape(NULL, values[i], 0);
        char *next = xasprintf("%s%s=%s&", query, names[i], esc);
        curl_free(esc);
        free(query);
        query = next;
    }
    char *path = xasprintf("/payments/complete/mobile?%simp_success=true", query);
    char *url = fx_url(fx, NULL, path);
    http_client_get(url, NULL, out);
    free(url);
    free(path);
    free(query);
    return out->status;
}

char *fx_sql(const struct fx *fx, const char *sql, const char *const *params)
{
    int n = 0;
    while (params && params[n] && n < 3)
        n++;
    char *err = NULL;
    PGresult *res = db_test_select(fx->db_url, sql, n, params, &err);
    ck_assert_msg(res != NULL, "%s", err);
    char *value =
        PQntuples(res) > 0 && !PQgetisnull(res, 0, 0) ? xstrdup(PQgetvalue(res, 0, 0)) : NULL;
    PQclear(res);
    return value;
}

long long fx_sql_int(const struct fx *fx, const char *sql, const char *const *params)
{
    char *value = fx_sql(fx, sql, params);
    ck_assert_msg(value != NULL, "'%s' gave no integer", sql);
    long long n = strtoll(value, NULL, 10);
    free(value);
    return n;
}

long long fx_count(const struct fx *fx, const char *sql)
{
    return fx_sql_int(fx, sql, NULL);
}

char *fx_registration_column(const struct fx *fx, const char *column, const char *mu)
{
    const char *params[] = {mu, NULL};
    char *sql = xasprintf("SELECT %s FROM registrations WHERE merchant_uid = $1", column);
    char *value = fx_sql(fx, sql, params);
    free(sql);
    return value;
}

void fx_expect_error(const struct http_client_response *r, long status, const char *code)
{
    ck_assert_msg(r->status == status, "-> %ld (want %ld): %s", r->status, status, r->body);
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(r->json, "error");
    ck_assert_msg(err != NULL, "no error object: %s", r->body);
    ck_assert_str_eq(testlib_error_field(r->json, "code"), code);
}

void fx_ledger(const struct fx *fx, const char *merchant_uid, struct fx_ledger *out)
{
    memset(out, 0, sizeof *out);
    cJSON *ledger = sandbox_ctl(&fx->sandbox, "GET", "/__sandbox/ledger", NULL);
    const cJSON *charges = cJSON_GetObjectItemCaseSensitive(ledger, "charges");
    out->merchant_uids = cJSON_GetArraySize(charges);
    out->total_paid =
        (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(ledger, "total_paid"));
    const cJSON *entry =
        merchant_uid ? cJSON_GetObjectItemCaseSensitive(charges, merchant_uid) : NULL;
    if (entry) {
        out->count =
            (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(entry, "count"));
        out->amount =
            (long long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(entry, "amount"));
        const char *status = fx_str(entry, "status");
        out->status = status ? xstrdup(status) : NULL;
        const cJSON *cancels = cJSON_GetObjectItemCaseSensitive(entry, "cancels");
        const cJSON *cancelled = cJSON_GetObjectItemCaseSensitive(entry, "cancelled");
        out->cancels = cJSON_IsNumber(cancels) ? (long long)cancels->valuedouble : 0;
        out->cancelled = cJSON_IsNumber(cancelled) ? (long long)cancelled->valuedouble : 0;
    }
    cJSON_Delete(ledger);
}

void fx_ledger_release(struct fx_ledger *l)
{
    free(l->status);
    memset(l, 0, sizeof *l);
}

void fx_issue_key(const struct fx *fx, const char *checkout_json, struct fx_key *out)
{
    struct fx_window w;
    struct http_client_response r;
    cJSON *co = fx_checkout_ok(fx, checkout_json);
    const char *mu = fx_str(co, "merchant_uid");
    fx_window_submit(fx, fx_request_pay(co), 0, 0, &w);
    ck_assert_msg(w.success && w.imp_uid, "the window for %s failed", checkout_json);
    fx_complete(fx, NULL, w.imp_uid, mu, &r);
    ck_assert_msg(r.status == 200, "complete %s -> %ld: %s", mu, r.status, r.body);
    ck_assert_str_eq(fx_str(r.json, "status"), "active");
    http_client_response_release(&r);
    out->customer_uid = xstrdup(fx_str(co, "customer_uid"));
    out->merchant_uid = xstrdup(mu);
    out->imp_uid = xstrdup(w.imp_uid);
    fx_window_release(&w);
    cJSON_Delete(co);
}

void fx_key_release(struct fx_key *k)
{
    free(k->customer_uid);
    free(k->merchant_uid);
    free(k->imp_uid);
    memset(k, 0, sizeof *k);
}

char *fx_active_key(const struct fx *fx, const char *pg, int charge_now,
                    char **registration_merchant_uid)
{
    struct fx_key k;
    char *body = plan_body(pg, 9900, charge_now);
    fx_issue_key(fx, body, &k);
    free(body);
    char *cu = k.customer_uid;
    k.customer_uid = NULL;
    if (registration_merchant_uid) {
        *registration_merchant_uid = k.merchant_uid;
        k.merchant_uid = NULL;
    }
    fx_key_release(&k);
    return cu;
}

void fx_clear_requests(const struct fx *fx)
{
    cJSON_Delete(sandbox_ctl(&fx->sandbox, "DELETE", "/__sandbox/requests", NULL));
}

void fx_fault(const struct fx *fx, const char *json)
{
    cJSON_Delete(sandbox_ctl(&fx->sandbox, "POST", "/__sandbox/faults", json));
}

int fx_faults_pending(const struct fx *fx)
{
    cJSON *r = sandbox_ctl(&fx->sandbox, "GET", "/__sandbox/faults", NULL);
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(r, "faults"));
    cJSON_Delete(r);
    return n;
}

long long fx_ledger_count(const struct fx *fx, const char *merchant_uid)
{
    struct fx_ledger l;
    fx_ledger(fx, merchant_uid, &l);
    long long n = l.count;
    fx_ledger_release(&l);
    return n;
}

long long fx_audit_count(const struct fx *fx, const char *actor, const char *action,
                         const char *subject)
{
    const char *p[] = {actor, action, subject, NULL};
    return fx_sql_int(fx,
                      "SELECT count(*) FROM audit_events WHERE actor = $1 AND action = $2 AND "
                      "subject = $3",
                      p);
}
