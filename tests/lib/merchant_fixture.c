/* Merchant-API test helpers on top of issuance_fixture: calls with FX_API_KEY, iamport's envelope, the sandbox's request log, payments rows. */
#include "tests/lib/merchant_fixture.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"

long fx_merchant(const struct fx *fx, const struct billkeyd_proc *p, const char *method,
                 const char *path, const char *content_type, const char *body,
                 struct http_client_response *r)
{
    char *url = fx_url(fx, p, path);
    const char *headers[] = {"Authorization: Bearer " FX_API_KEY, NULL};
    struct http_client_request rq = {
        .method = method,
        .url = url,
        .headers = headers,
        .content_type = content_type ? content_type : FX_JSON,
        .body = body,
    };
    http_client_do(&rq, r);
    free(url);
    return r->status;
}

int fx_merchant_keyed(const struct fx *fx, const struct billkeyd_proc *p, const char *path,
                      const char *idem, const char *body, struct http_client_response *r)
{
    char *url = fx_url(fx, p, path);
    char *key = xasprintf("Idempotency-Key: %s", idem);
    const char *headers[] = {"Authorization: Bearer " FX_API_KEY, key, NULL};
    struct http_client_request rq = {
        .method = "POST", .url = url, .headers = headers, .body = body};
    http_client_do(&rq, r);
    free(key);
    free(url);
    return fx_replayed(r);
}

int fx_replayed(const struct http_client_response *r)
{
    char *h = http_client_header(r, "Idempotent-Replayed");
    int yes = h && strcmp(h, "true") == 0;
    ck_assert_msg(!h || yes, "Idempotent-Replayed: %s", h);
    free(h);
    return yes;
}

void fx_expect_envelope(const struct http_client_response *r, long status, int code,
                        const char *message)
{
    ck_assert_msg(r->status == status && http_client_code(r) == code, "want %ld/%d, got %ld: %s",
                  status, code, r->status, r->body);
    if (message)
        ck_assert_msg(http_client_message(r) && strcmp(http_client_message(r), message) == 0,
                      "message (want %s): %s", message, r->body);
    if (code != 0)
        ck_assert_msg(cJSON_IsNull(http_client_body_response(r)), "response: %s", r->body);
}

int fx_sandbox_requests(const struct fx *fx, const char *method, const char *path, int *first)
{
    size_t len = strlen(path);
    int prefix = len > 0 && path[len - 1] == '*';
    if (prefix)
        len--;
    cJSON *log = sandbox_ctl(&fx->sandbox, "GET", "/__sandbox/requests", NULL);
    const cJSON *e;
    int n = 0, i = 0;
    if (first)
        *first = -1;
    cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(log, "requests")) {
        const char *m = fx_str(e, "method"), *p = fx_str(e, "path");
        int hit = m && p && (!method || strcmp(m, method) == 0) &&
                  (prefix ? strncmp(p, path, len) == 0 : strcmp(p, path) == 0);
        if (hit && first && *first < 0)
            *first = i;
        n += hit;
        i++;
    }
    cJSON_Delete(log);
    return n;
}

cJSON *fx_sandbox_last_body(const struct fx *fx, const char *path)
{
    cJSON *log = sandbox_ctl(&fx->sandbox, "GET", "/__sandbox/requests", NULL);
    const cJSON *e, *last = NULL;
    cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(log, "requests")) {
        const char *p = fx_str(e, "path");
        if (p && strcmp(p, path) == 0)
            last = e;
    }
    cJSON *body = last ? cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(last, "body"), 1) : NULL;
    cJSON_Delete(log);
    return body;
}

char *fx_payment_column(const struct fx *fx, const char *column, const char *mu)
{
    char *sql = xasprintf("SELECT %s::text FROM payments WHERE merchant_uid = $1", column);
    const char *p[] = {mu, NULL};
    char *v = fx_sql(fx, sql, p);
    free(sql);
    return v;
}
