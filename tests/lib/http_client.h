/* Blocking HTTP calls for tests (libcurl): status, headers, raw body and parsed JSON. */
#ifndef BILLKEY_TESTS_HTTP_CLIENT_H
#define BILLKEY_TESTS_HTTP_CLIENT_H

#include <stddef.h>
#include <cjson/cJSON.h>

#define HTTP_CLIENT_DEFAULT_TIMEOUT_MS 10000

/* One response. Everything is owned by the struct; http_client_response_release frees it. */
struct http_client_response {
    long status;   /* HTTP status; 0 when no response arrived */
    int curl_code; /* CURLcode of the transfer: 0 = OK, 52 = empty reply (dropped), 28 = timeout */
    char *body;    /* NUL-terminated body ("" when none) */
    size_t body_len;
    cJSON *json;        /* body parsed as JSON, or NULL when it is not JSON */
    char *content_type; /* Content-Type header or NULL */
    char *location;     /* Location header or NULL */
    char *headers;      /* every response header line as received ("Name: value\r\n"...) */
    long elapsed_ms;    /* wall time of the call */
};

/* Options for one request; zero-initialise and set what you need. */
struct http_client_request {
    const char *method;         /* "GET" when NULL */
    const char *url;            /* required */
    const char *const *headers; /* NULL-terminated "Name: value" list, may be NULL */
    const char *content_type;   /* sent as Content-Type when body is set; default JSON */
    const char *body;           /* may be NULL */
    size_t body_len;            /* strlen(body) when 0 */
    long timeout_ms;            /* HTTP_CLIENT_DEFAULT_TIMEOUT_MS when 0 */
    int path_as_is;             /* 1: send "/../" and "/./" unchanged (traversal tests) */
};

/* Performs the request (loopback only: no proxy is used). Always fills *out (release it), and
 * returns 0 when an HTTP response arrived, -1 on a transport error (see out->curl_code). */
int http_client_do(const struct http_client_request *rq, struct http_client_response *out);
void http_client_response_release(struct http_client_response *r);

/* Shorthands. json_body may be NULL (no body). bearer_token, when not NULL, is sent as
 * "Authorization: Bearer <token>". */
int http_client_get(const char *url, const char *bearer_token, struct http_client_response *out);
int http_client_json(const char *method, const char *url, const char *json_body,
                     const char *bearer_token, struct http_client_response *out);
/* Sends form_body ("a=1&b[c]=2") as application/x-www-form-urlencoded. */
int http_client_form(const char *method, const char *url, const char *form_body,
                     const char *bearer_token, struct http_client_response *out);

/* Value of response header `name` (case-insensitive, last one wins), or NULL. Caller frees. */
char *http_client_header(const struct http_client_response *r, const char *name);

/* Borrowed lookups into a parsed iamport envelope {code, message, response}:
 * code (or -9999 when absent), message (NULL when absent or null), response (NULL when absent). */
int http_client_code(const struct http_client_response *r);
const char *http_client_message(const struct http_client_response *r);
const cJSON *http_client_body_response(const struct http_client_response *r);

#endif
