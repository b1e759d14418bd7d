/* Blocking HTTP calls for tests (libcurl): status, headers, raw body and parsed JSON. */
#include "tests/lib/http_client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/core/xalloc.h"

struct buffer {
    char *data;
    size_t len;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct buffer *b = userdata;
    size_t n = size * nmemb;
    b->data = xrealloc(b->data, b->len + n + 1);
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* Keeps Content-Type and Location (last value wins), trimmed. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct http_client_response *r = userdata;
    size_t n = size * nmemb;
    size_t had = r->headers ? strlen(r->headers) : 0;
    if (strncmp(data, "HTTP/", 5) == 0) /* a new response (after 100-continue): start over */
        had = 0;
    r->headers = xrealloc(r->headers, had + n + 1);
    memcpy(r->headers + had, data, n);
    r->headers[had + n] = '\0';
    static const struct {
        const char *name;
        size_t off;
    } wanted[] = {
        {"content-type:", offsetof(struct http_client_response, content_type)},
        {"location:", offsetof(struct http_client_response, location)},
    };
    for (size_t i = 0; i < sizeof wanted / sizeof wanted[0]; i++) {
        size_t nl = strlen(wanted[i].name);
        if (n <= nl || strncasecmp(data, wanted[i].name, nl) != 0)
            continue;
        const char *v = data + nl;
        size_t vl = n - nl;
        while (vl && (*v == ' ' || *v == '\t'))
            v++, vl--;
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
            vl--;
        char **slot = (char **)((char *)r + wanted[i].off);
        free(*slot);
        *slot = xstrndup(v, vl);
    }
    return n;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int http_client_do(const struct http_client_request *rq, struct http_client_response *out)
{
    struct buffer body = {NULL, 0};
    struct curl_slist *headers = NULL;
    long started = now_ms();
    char *ctype_header = NULL;

    memset(out, 0, sizeof *out);
    CURL *curl = curl_easy_init();
    if (!curl) {
        out->curl_code = CURLE_FAILED_INIT;
        out->body = xstrdup("");
        return -1;
    }
    for (size_t i = 0; rq->headers && rq->headers[i]; i++)
        headers = curl_slist_append(headers, rq->headers[i]);
    if (rq->body) {
        ctype_header =
            xasprintf("Content-Type: %s", rq->content_type ? rq->content_type : "application/json");
        headers = curl_slist_append(headers, ctype_header);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
                         (long)(rq->body_len ? rq->body_len : strlen(rq->body)));
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, rq->body);
    }
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_setopt(curl, CURLOPT_URL, rq->url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, rq->method ? rq->method : "GET");
    if (rq->method && strcmp(rq->method, "HEAD") == 0)
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    if (rq->path_as_is)
        curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                     rq->timeout_ms > 0 ? rq->timeout_ms : (long)HTTP_CLIENT_DEFAULT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, out);

    CURLcode rc = curl_easy_perform(curl);
    out->curl_code = (int)rc;
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    out->body = body.data ? body.data : xstrdup("");
    if (!out->headers)
        out->headers = xstrdup("");
    out->body_len = body.len;
    out->json = cJSON_ParseWithLength(out->body, out->body_len);
    out->elapsed_ms = now_ms() - started;
    curl_slist_free_all(headers);
    free(ctype_header);
    curl_easy_cleanup(curl);
    return rc == CURLE_OK ? 0 : -1;
}

void http_client_response_release(struct http_client_response *r)
{
    free(r->body);
    cJSON_Delete(r->json);
    free(r->content_type);
    free(r->location);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

char *http_client_header(const struct http_client_response *r, const char *name)
{
    char *value = NULL;
    size_t nl = strlen(name);
    for (const char *line = r->headers; line && *line;) {
        size_t len = strcspn(line, "\r\n");
        if (len > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *v = line + nl + 1;
            size_t vl = len - nl - 1;
            while (vl && (*v == ' ' || *v == '\t'))
                v++, vl--;
            while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                vl--;
            free(value);
            value = xstrndup(v, vl);
        }
        line += len;
        line += strspn(line, "\r\n");
    }
    return value;
}

static int simple(const char *method, const char *url, const char *ctype, const char *body,
                  const char *bearer_token, struct http_client_response *out)
{
    char *auth = bearer_token ? xasprintf("Authorization: Bearer %s", bearer_token) : NULL;
    const char *headers[] = {auth, NULL};
    struct http_client_request rq = {
        .method = method, .url = url, .headers = headers, .content_type = ctype, .body = body};
    int rc = http_client_do(&rq, out);
    free(auth);
    return rc;
}

int http_client_get(const char *url, const char *bearer_token, struct http_client_response *out)
{
    return simple("GET", url, NULL, NULL, bearer_token, out);
}

int http_client_json(const char *method, const char *url, const char *json_body,
                     const char *bearer_token, struct http_client_response *out)
{
    return simple(method, url, "application/json", json_body, bearer_token, out);
}

int http_client_form(const char *method, const char *url, const char *form_body,
                     const char *bearer_token, struct http_client_response *out)
{
    return simple(method, url, "application/x-www-form-urlencoded", form_body, bearer_token, out);
}

int http_client_code(const struct http_client_response *r)
{
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(r->json, "code");
    return cJSON_IsNumber(code) ? code->valueint : -9999;
}

const char *http_client_message(const struct http_client_response *r)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r->json, "message");
    return cJSON_IsString(m) ? m->valuestring : NULL;
}

const cJSON *http_client_body_response(const struct http_client_response *r)
{
    return cJSON_GetObjectItemCaseSensitive(r->json, "response");
}
