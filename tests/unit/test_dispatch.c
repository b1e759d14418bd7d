/* Dispatch tests without sockets: 404/405/413/415/400, body parsing into one tree, request ids. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/clock.h"
#include "server/http/merchant_auth.h"
#include "server/http/merchant_token.h"
#include "server/http/http.h"
#include "server/core/log.h"
#include "server/core/utf8.h"
#include "server/core/xalloc.h"
#include "tests/lib/testlib.h"

/* Echoes the parsed body back so tests can see what the handler received. */
static void h_echo(struct request *req, struct reply *rep)
{
    reply_json(rep, 200, cJSON_Duplicate(req->body, 1));
}

static void h_silent(struct request *req, struct reply *rep)
{
    (void)req;
    (void)rep;
}

static void h_param(struct request *req, struct reply *rep)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", request_param(req, "id"));
    reply_json(rep, 200, o);
}

/* Answers with the merchant key name dispatch found. */
static void h_merchant(struct request *req, struct reply *rep)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "merchant", req->merchant);
    reply_json(rep, 200, o);
}

/* Sets `header_budget` distinct headers (up to REPLY_MAX_HEADERS). */
static int header_budget;
static void h_many_headers(struct request *req, struct reply *rep)
{
    (void)req;
    reply_bytes(rep, 200, "text/plain", "ok", 2);
    for (int i = 0; i < header_budget; i++) {
        char name[32];
        snprintf(name, sizeof name, "X-Handler-%d", i);
        reply_set_header(rep, name, "v");
    }
}

static const struct route table[] = {
    {HTTP_POST, "/echo", h_echo, ROUTE_BODY, 0, "echo"},
    {HTTP_POST, "/merchant", h_merchant, ROUTE_MERCHANT | ROUTE_BODY, 0, "merchant"},
    {HTTP_POST, "/iamport", h_merchant, ROUTE_IAMPORT | ROUTE_MERCHANT | ROUTE_BODY, 16, "iamport"},
    {HTTP_GET, "/iamport/silent", h_silent, ROUTE_IAMPORT, 0, "iamport_silent"},
    {HTTP_POST, "/small", h_echo, ROUTE_BODY, 8, "small"},
    {HTTP_GET, "/silent", h_silent, 0, 0, "silent"},
    {HTTP_GET, "/many-headers", h_many_headers, 0, 0, "many_headers"},
    {HTTP_GET | HTTP_DELETE, "/things/{id}", h_param, 0, 0, "thing"},
};
#define NROUTES (sizeof table / sizeof table[0])

static struct merchant_key keys[] = {{(char *)"shop", (char *)"merchant-key-0123456789abcdef"}};
static const struct http_site site = {.routes = table,
                                      .route_count = NROUTES,
                                      .max_body = 1024,
                                      .merchant_keys = keys,
                                      .merchant_key_count = 1};

static void make(struct request *req, const char *method, const char *path, const char *ctype,
                 const char *body)
{
    memset(req, 0, sizeof *req);
    req->method = xstrdup(method);
    req->method_bit = http_method_bit(method);
    req->path = xstrdup(path);
    if (ctype)
        request_add_header(req, "Content-Type", ctype);
    if (body)
        request_set_body(req, body, strlen(body));
}

/* Runs the pipeline and returns the parsed reply body (caller deletes). */
static cJSON *run(struct request *req, struct reply *rep)
{
    reply_init(rep);
    http_dispatch(&site, req, rep);
    ck_assert_ptr_nonnull(rep->body);
    return cJSON_ParseWithLength(rep->body, rep->body_len);
}

static const char *error_code(cJSON *body)
{
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(body, "error"));
    return testlib_error_field(body, "code");
}

/* Dispatches one request and asserts its status and, when code is not NULL, its error code. */
static void expect_reply(const char *method, const char *path, const char *ctype, const char *body,
                         int status, const char *code)
{
    struct request req;
    struct reply rep;
    make(&req, method, path, ctype, body);
    cJSON *b = run(&req, &rep);
    ck_assert_msg(rep.status == status, "%s %s (%s) -> %d, want %d", method, path, body ? body : "",
                  rep.status, status);
    if (code)
        ck_assert_str_eq(error_code(b), code);
    cJSON_Delete(b);
    reply_release(&rep);
    request_release(&req);
}

START_TEST(not_found_has_the_error_shape)
{
    struct request req;
    struct reply rep;
    make(&req, "GET", "/nope", NULL, NULL);
    cJSON *b = run(&req, &rep);
    ck_assert_int_eq(rep.status, 404);
    ck_assert_str_eq(error_code(b), "not_found");
    cJSON *e = cJSON_GetObjectItemCaseSensitive(b, "error");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(e, "request_id")->valuestring,
                     req.request_id);
    ck_assert_str_eq(reply_header(&rep, "X-Request-Id"), req.request_id);
    ck_assert_str_eq(reply_header(&rep, "X-Content-Type-Options"), "nosniff");
    ck_assert_str_eq(rep.content_type, "application/json");
    cJSON_Delete(b);
    reply_release(&rep);
    request_release(&req);
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
    struct request req;
    struct reply rep;
    make(&req, "PUT", "/things/7", NULL, NULL);
    cJSON *b = run(&req, &rep);
    ck_assert_int_eq(rep.status, 405);
    ck_assert_str_eq(error_code(b), "method_not_allowed");
    ck_assert_str_eq(reply_header(&rep, "Allow"), "GET, HEAD, DELETE");
    cJSON_Delete(b);
    reply_release(&rep);
    request_release(&req);
}
END_TEST

START_TEST(json_and_form_reach_the_handler_as_one_tree)
{
    struct request req;
    struct reply rep;
    make(&req, "POST", "/echo", "application/json",
         "{\"customer_uid\":\"c1\",\"schedules\":[{\"merchant_uid\":\"m1\",\"amount\":\"1000\"}],"
         "\"extra\":{\"naverUseCfm\":\"20201001\"}}");
    cJSON *from_json = run(&req, &rep);
    ck_assert_int_eq(rep.status, 200);
    reply_release(&rep);
    request_release(&req);

    make(&req, "POST", "/echo", "application/x-www-form-urlencoded; charset=utf-8",
         "customer_uid=c1&schedules[0][merchant_uid]=m1&schedules[0][amount]=1000"
         "&extra[naverUseCfm]=20201001");
    cJSON *from_form = run(&req, &rep);
    ck_assert_int_eq(rep.status, 200);
    ck_assert(cJSON_Compare(from_json, from_form, 1));
    cJSON_Delete(from_json);
    cJSON_Delete(from_form);
    reply_release(&rep);
    request_release(&req);
}
END_TEST

START_TEST(wrong_content_type_is_415)
{
    static const char *types[] = {"text/plain", "multipart/form-data; boundary=x",
                                  "application/xml", NULL};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct request req;
        struct reply rep;
        make(&req, "POST", "/echo", types[i], "a=1");
        cJSON *b = run(&req, &rep);
        ck_assert_msg(rep.status == 415, "content type '%s' gave %d",
                      types[i] ? types[i] : "(none)", rep.status);
        ck_assert_str_eq(error_code(b), "unsupported_media_type");
        cJSON_Delete(b);
        reply_release(&rep);
        request_release(&req);
    }
}
END_TEST

START_TEST(malformed_bodies_are_400_naming_the_field)
{
    expect_reply("POST", "/echo", "application/json", "{\"amount\": 10,", 400, "malformed_body");
    expect_reply("POST", "/echo", "application/json", "[1,2]", 400, NULL);

    struct request req;
    struct reply rep;
    make(&req, "POST", "/echo", "application/x-www-form-urlencoded", "a=1&a[b]=2");
    cJSON *b = run(&req, &rep);
    ck_assert_int_eq(rep.status, 400);
    cJSON *e = cJSON_GetObjectItemCaseSensitive(b, "error");
    cJSON *field = cJSON_GetObjectItemCaseSensitive(e, "field");
    ck_assert_ptr_nonnull(field);
    ck_assert_ptr_nonnull(strstr(field->valuestring, "a"));
    cJSON_Delete(b);
    reply_release(&rep);
    request_release(&req);
}
END_TEST

START_TEST(oversized_bodies_are_413)
{
    expect_reply("POST", "/small", "application/json", "{\"a\":\"123\"}", 413, "payload_too_large");

    struct request req;
    struct reply rep;
    make(&req, "POST", "/echo", "application/json", "{}");
    req.body_too_large = 1; /* what the glue sets when the upload overflowed the cap */
    cJSON *b = run(&req, &rep);
    ck_assert_int_eq(rep.status, 413);
    cJSON_Delete(b);
    reply_release(&rep);
    request_release(&req);
}
END_TEST

START_TEST(handler_without_reply_is_500)
{
    expect_reply("GET", "/silent", NULL, NULL, 500, "internal");
}
END_TEST

/* A handler that fills every reply header slot must not push out the headers every reply
 * gets (X-Request-Id, nosniff, Cache-Control: no-store, Referrer-Policy): with no room left,
 * the reply becomes a 500 that has them. */
START_TEST(default_headers_survive_a_handler_using_every_slot)
{
    static const char *const defaults[] = {"X-Request-Id", "X-Content-Type-Options",
                                           "Cache-Control", "Referrer-Policy"};
    for (header_budget = 0; header_budget <= REPLY_MAX_HEADERS; header_budget++) {
        struct request req;
        struct reply rep;
        make(&req, "GET", "/many-headers", NULL, NULL);
        reply_init(&rep);
        http_dispatch(&site, &req, &rep);
        for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
            ck_assert_msg(reply_header(&rep, defaults[i]) != NULL, "%d handler headers: no %s",
                          header_budget, defaults[i]);
        int fits = header_budget + 4 <= REPLY_MAX_HEADERS;
        ck_assert_int_eq(rep.status, fits ? 200 : 500);
        ck_assert_str_eq(reply_header(&rep, "X-Content-Type-Options"), "nosniff");
        ck_assert_str_eq(reply_header(&rep, "Cache-Control"), "no-store");
        reply_release(&rep);
        request_release(&req);
    }
}
END_TEST

/* A dropped reply header is reported through the JSON logger, not as a bare stderr line. */
START_TEST(dropped_reply_header_is_logged_as_json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    log_set_stream(f);
    struct reply rep;
    reply_init(&rep);
    for (int i = 0; i <= REPLY_MAX_HEADERS; i++) {
        char name[32];
        snprintf(name, sizeof name, "X-H-%d", i);
        reply_set_header(&rep, name, "v");
    }
    log_set_stream(NULL);
    fclose(f);
    ck_assert_int_eq(rep.header_count, REPLY_MAX_HEADERS);
    cJSON *line = cJSON_Parse(buf);
    ck_assert_msg(line != NULL, "not one JSON line: '%s'", buf);
    ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(line, "msg")->valuestring, "X-H-16"));
    cJSON_Delete(line);
    free(buf);
    reply_release(&rep);
}
END_TEST

START_TEST(request_ids_in_and_out)
{
    struct request req;
    struct reply rep;
    make(&req, "GET", "/things/x", NULL, NULL);
    request_add_header(&req, "x-request-id", "abc-123_Z.9");
    cJSON *b = run(&req, &rep);
    ck_assert_int_eq(rep.status, 200);
    ck_assert_str_eq(reply_header(&rep, "X-Request-Id"), "abc-123_Z.9");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(b, "id")->valuestring, "x");
    cJSON_Delete(b);
    reply_release(&rep);
    request_release(&req);

    static const char *bad[] = {
        "",         "has space",
        "<script>", "quote\"",
        "a\nb",     "12345678901234567890123456789012345678901234567890123456789012345"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        make(&req, "GET", "/things/x", NULL, NULL);
        request_add_header(&req, "X-Request-Id", bad[i]);
        b = run(&req, &rep);
        const char *id = reply_header(&rep, "X-Request-Id");
        ck_assert_str_ne(id, bad[i]);
        ck_assert_uint_eq(strlen(id), 24);
        cJSON_Delete(b);
        reply_release(&rep);
        request_release(&req);
    }
}
END_TEST

/* Generated ids are logged as they are sent: the card-number masking of the logger must never
 * rewrite one (a 24-hex-digit id holds a run of 13+ digits about once in a hundred). */
START_TEST(generated_request_ids_survive_log_scrubbing)
{
    for (int i = 0; i < 5000; i++) {
        struct request req;
        memset(&req, 0, sizeof req);
        request_assign_id(&req);
        ck_assert_uint_eq(strlen(req.request_id), 24);
        ck_assert_uint_eq(strspn(req.request_id, "0123456789abcdef_"), 24);
        char *scrubbed = log_scrub(req.request_id);
        ck_assert_msg(strcmp(scrubbed, req.request_id) == 0, "id '%s' logged as '%s'",
                      req.request_id, scrubbed);
        free(scrubbed);
    }
}
END_TEST

#define ID_BATCH 4000

/* ID_BATCH generated ids into arg (char[ID_BATCH][HTTP_REQUEST_ID_MAX + 1]). */
static void *generate_ids(void *arg)
{
    char(*ids)[HTTP_REQUEST_ID_MAX + 1] = arg;
    for (int i = 0; i < ID_BATCH; i++) {
        struct request req;
        memset(&req, 0, sizeof req);
        request_assign_id(&req);
        memcpy(ids[i], req.request_id, sizeof req.request_id);
    }
    return NULL;
}

static int id_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The per-thread generator never hands out the same id twice, within a thread or across two. */
START_TEST(generated_request_ids_are_distinct_across_threads)
{
    char(*ids)[HTTP_REQUEST_ID_MAX + 1] = xcalloc(2 * ID_BATCH, sizeof *ids);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, generate_ids, ids + ID_BATCH), 0);
    generate_ids(ids);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    qsort(ids, 2 * ID_BATCH, sizeof *ids, id_cmp);
    for (int i = 1; i < 2 * ID_BATCH; i++)
        ck_assert_msg(strcmp(ids[i - 1], ids[i]) != 0, "id '%s' generated twice", ids[i]);
    free(ids);
}
END_TEST

/* Error messages echo the path: bytes that are not UTF-8, or a message cut inside a character,
 * must still give a valid UTF-8 JSON body. */
START_TEST(error_bodies_are_valid_utf8)
{
    char long_path[1200] = "/";
    for (size_t i = 1; i + 3 < sizeof long_path; i += 3)
        memcpy(long_path + i, "\xed\x95\x9c", 3); /* U+D55C, 3 bytes, over the 512-byte message */
    long_path[sizeof long_path - 1] = '\0';
    const char *paths[] = {"/\xff\xfe", "/a\xc3", "/\xed\xa0\x80", long_path};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        for (size_t cut = 0; cut < 3; cut++) {
            struct request req;
            struct reply rep;
            char *path = xstrdup(paths[i]);
            if (i == 3)
                path[strlen(path) - cut] = '\0';
            make(&req, "GET", path, NULL, NULL);
            cJSON *b = run(&req, &rep);
            ck_assert_int_eq(rep.status, 404);
            ck_assert_msg(utf8_valid(rep.body), "path %zu/%zu: body not UTF-8: %s", i, cut,
                          rep.body);
            ck_assert_ptr_nonnull(b);
            cJSON_Delete(b);
            reply_release(&rep);
            request_release(&req);
            free(path);
        }
    }
}
END_TEST

/* ROUTE_MERCHANT: no valid key → 401 before the body is looked at; a valid key reaches the
 * handler with its name. */
START_TEST(merchant_routes_authenticate_before_parsing)
{
    static const struct {
        const char *auth, *body;
        long status;
        const char *code;
    } cases[] = {
        {NULL, "{not json", 401, "unauthorized"},
        {"Bearer wrong-key-0123456789abcdef", "{not json", 401, "unauthorized"},
        {"Basic merchant-key-0123456789abcdef", "{}", 401, "unauthorized"},
        {"Bearer merchant-key-0123456789abcdef", "{not json", 400, "malformed_body"},
        {"Bearer merchant-key-0123456789abcdef", "{}", 200, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct request req;
        struct reply rep;
        make(&req, "POST", "/merchant", "application/json", cases[i].body);
        if (cases[i].auth)
            request_add_header(&req, "Authorization", cases[i].auth);
        cJSON *b = run(&req, &rep);
        ck_assert_msg(rep.status == cases[i].status, "case %zu: %d", i, rep.status);
        if (cases[i].code)
            ck_assert_str_eq(error_code(b), cases[i].code);
        else
            ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(b, "merchant")->valuestring, "shop");
        if (cases[i].status == 401)
            ck_assert_ptr_nonnull(reply_header(&rep, "WWW-Authenticate"));
        cJSON_Delete(b);
        reply_release(&rep);
        request_release(&req);
    }
}
END_TEST

#define UNAUTHORIZED_ENVELOPE "{\"code\":-1,\"message\":\"Unauthorized\",\"response\":null}"

/* A token of keys[0] that expires `from_now` seconds after the real time. */
static void mint(int64_t from_now, char token[MERCHANT_TOKEN_SIZE])
{
    ck_assert_int_eq(merchant_token_issue(&keys[0], clock_now_s(NULL) + from_now, token), 0);
}

/* POSTs `body` to path with one credential header (name NULL: none) through `s`. */
static void post_with(const struct http_site *s, const char *path, const char *header,
                      const char *value, const char *body, struct request *req, struct reply *rep)
{
    make(req, "POST", path, "application/json", body);
    if (header)
        request_add_header(req, header, value);
    reply_init(rep);
    http_dispatch(s, req, rep);
}

/* ROUTE_MERCHANT accepts a token in iamport's three forms besides the Bearer API key, on both
 * kinds of route. */
START_TEST(merchant_tokens_in_every_iamport_form)
{
    char token[MERCHANT_TOKEN_SIZE], bearer[MERCHANT_TOKEN_SIZE + 16];
    mint(MERCHANT_TOKEN_LIFETIME_S, token);
    snprintf(bearer, sizeof bearer, "Bearer %s", token);
    const struct {
        const char *header, *value;
    } forms[] = {
        {"Authorization", token},
        {"Authorization", bearer},
        {"X-ImpTokenHeader", token},
        {"x-imptokenheader", token},
        {"Authorization", "Bearer merchant-key-0123456789abcdef"},
    };
    static const char *const paths[] = {"/merchant", "/iamport"};
    for (size_t p = 0; p < 2; p++) {
        for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
            struct request req;
            struct reply rep;
            post_with(&site, paths[p], forms[i].header, forms[i].value, "{}", &req, &rep);
            ck_assert_msg(rep.status == 200, "%s %s form %zu -> %d %.*s", paths[p], forms[i].header,
                          i, rep.status, (int)rep.body_len, rep.body);
            ck_assert_str_eq(rep.body, "{\"merchant\":\"shop\"}");
            reply_release(&rep);
            request_release(&req);
        }
    }
}
END_TEST

/* ROUTE_IAMPORT | ROUTE_MERCHANT: a missing, unknown, malformed or expired credential is HTTP
 * 401 with exactly iamport's envelope, and the credential is not echoed. */
START_TEST(iamport_routes_refuse_with_the_envelope)
{
    char expired[MERCHANT_TOKEN_SIZE], valid[MERCHANT_TOKEN_SIZE], forged[MERCHANT_TOKEN_SIZE];
    mint(-1, expired);
    mint(60, valid);
    strcpy(forged, valid);
    forged[strlen(forged) - 1] = forged[strlen(forged) - 1] == '0' ? '1' : '0';
    struct merchant_key other = {(char *)"shop", (char *)"rotated-key-0123456789abcdef"};
    char rotated[MERCHANT_TOKEN_SIZE];
    ck_assert_int_eq(merchant_token_issue(&other, clock_now_s(NULL) + 60, rotated), 0);
    const struct {
        const char *header, *value;
    } cases[] = {
        {NULL, NULL},
        {"Authorization", ""},
        {"Authorization", "Basic c2hvcDprZXk="},
        {"Authorization", "merchant-key-0123456789abcdef"}, /* a key needs "Bearer" */
        {"Authorization", "Bearer wrong-key-0123456789abcdef"},
        {"Authorization", expired},
        {"Authorization", forged},
        {"Authorization", rotated},
        {"X-ImpTokenHeader", expired},
        {"X-ImpTokenHeader", "merchant-key-0123456789abcdef"}, /* keys only as Bearer */
        {"X-ImpTokenHeader", ""},
        {"Authorization", "Bearer bkt1.nobody.1.0123456789abcdef0123456789abcdef."
                          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct request req;
        struct reply rep;
        post_with(&site, "/iamport", cases[i].header, cases[i].value, "{not json", &req, &rep);
        ck_assert_msg(rep.status == 401, "case %zu -> %d", i, rep.status);
        ck_assert_str_eq(rep.content_type, "application/json");
        ck_assert_str_eq(rep.body, UNAUTHORIZED_ENVELOPE);
        ck_assert_ptr_nonnull(reply_header(&rep, "WWW-Authenticate"));
        ck_assert_ptr_nonnull(reply_header(&rep, "X-Request-Id"));
        reply_release(&rep);
        request_release(&req);
    }
    /* billkey's own routes keep their error shape, naming the token as what failed */
    struct request req;
    struct reply rep;
    post_with(&site, "/merchant", "X-ImpTokenHeader", expired, "{}", &req, &rep);
    ck_assert_int_eq(rep.status, 401);
    cJSON *b = cJSON_ParseWithLength(rep.body, rep.body_len);
    ck_assert_str_eq(error_code(b), "unauthorized");
    ck_assert_ptr_nonnull(strstr(testlib_error_field(b, "message"), "token is not valid"));
    ck_assert_ptr_null(strstr(rep.body, expired));
    cJSON_Delete(b);
    reply_release(&rep);
    request_release(&req);
}
END_TEST

/* Tokens expire by the site's clock, not the machine's. */
START_TEST(token_expiry_follows_the_site_clock)
{
    char token[MERCHANT_TOKEN_SIZE];
    ck_assert_int_eq(merchant_token_issue(&keys[0], 1000, token), 0);
    struct clock at = clock_fixed(999 * 1000);
    struct http_site fixed = site;
    fixed.clock = &at;
    for (int round = 0; round < 2; round++) {
        struct request req;
        struct reply rep;
        post_with(&fixed, "/iamport", "Authorization", token, "{}", &req, &rep);
        ck_assert_int_eq(rep.status, round == 0 ? 200 : 401);
        reply_release(&rep);
        request_release(&req);
        at.fixed_ms = 1000 * 1000; /* exactly the expiry */
    }
}
END_TEST

/* The other errors dispatch makes on ROUTE_IAMPORT routes use the envelope too. */
START_TEST(iamport_route_errors_use_the_envelope)
{
    static const struct {
        const char *method, *path, *ctype, *body;
        int status;
    } cases[] = {
        {"POST", "/iamport", "text/plain", "{}", 415},
        {"POST", "/iamport", "application/json", "{not json", 400},
        {"POST", "/iamport", "application/json", "{\"a\":\"0123456789abcdef\"}", 413},
        {"GET", "/iamport/silent", NULL, NULL, 500},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct request req;
        struct reply rep;
        make(&req, cases[i].method, cases[i].path, cases[i].ctype, cases[i].body);
        request_add_header(&req, "Authorization", "Bearer merchant-key-0123456789abcdef");
        cJSON *b = run(&req, &rep);
        ck_assert_msg(rep.status == cases[i].status, "case %zu -> %d", i, rep.status);
        ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(b, "code")->valueint, -1);
        ck_assert(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(b, "message")));
        ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(b, "response")));
        ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(b, "error"));
        cJSON_Delete(b);
        reply_release(&rep);
        request_release(&req);
    }
}
END_TEST

/* A path under an iamport route's first segment that no route takes is 404 / 405 in iamport's
 * envelope, as a published iamport client expects; elsewhere billkey's shape stays. */
START_TEST(unknown_paths_under_iamport_routes_use_the_envelope)
{
    static const struct {
        const char *method, *path;
        int status;
        const char *message;
    } cases[] = {
        {"GET", "/iamport/findAll/x", 404,
         "요청하신 API를 찾을 수 없습니다: GET /iamport/findAll/x"},
        {"DELETE", "/iamport", 405, "Method Not Allowed: '/iamport' accepts POST"},
        /* an escape that decodes to NUL cannot be an id: 400, as the sandbox answers */
        {"POST", "/iamport/a%00b", 400, "요청 경로를 해석할 수 없습니다: '/iamport/a%00b'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct request req;
        struct reply rep;
        make(&req, cases[i].method, cases[i].path, NULL, NULL);
        cJSON *b = run(&req, &rep);
        ck_assert_int_eq(rep.status, cases[i].status);
        ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(b, "code")->valueint, -1);
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(b, "message")->valuestring,
                         cases[i].message);
        ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(b, "response")));
        ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(b, "error"));
        if (cases[i].status == 405)
            ck_assert_str_eq(reply_header(&rep, "Allow"), "POST");
        cJSON_Delete(b);
        reply_release(&rep);
        request_release(&req);
    }
    expect_reply("GET", "/iamportish", NULL, NULL, 404, "not_found"); /* another first segment */
    expect_reply("GET", "/nope%00", NULL, NULL, 400, "bad_path");
}
END_TEST

/* A connection the glue found over the limit: 503 with Retry-After before authentication, the
 * body or the handler, in billkey's shape or (iamport routes) iamport's envelope. */
START_TEST(over_capacity_is_503_with_retry_after)
{
    static const char *const paths[] = {"/echo", "/iamport"};
    for (size_t i = 0; i < 2; i++) {
        struct request req;
        struct reply rep;
        make(&req, "POST", paths[i], "application/json", "{}");
        req.busy_retry_after = 7;
        cJSON *b = run(&req, &rep);
        ck_assert_int_eq(rep.status, 503);
        ck_assert_str_eq(reply_header(&rep, "Retry-After"), "7");
        ck_assert_ptr_nonnull(reply_header(&rep, "X-Request-Id"));
        if (i == 0)
            ck_assert_str_eq(error_code(b), "over_capacity");
        else
            ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(b, "code")->valueint, -1);
        cJSON_Delete(b);
        reply_release(&rep);
        request_release(&req);
    }
}
END_TEST

/* Counts its runs and the route it saw; answers 299 itself when ctx says so, else runs the
 * handler and tags the reply. */
static int wrap_runs;
static const char *wrap_route;
static void wrap_counting(void *ctx, const struct route *route, struct request *req,
                          struct reply *rep)
{
    wrap_runs++;
    wrap_route = route->name;
    if (*(const int *)ctx) {
        reply_bytes(rep, 299, "text/plain", "wrapped", 7);
        return;
    }
    route->handler(req, rep);
    reply_set_header(rep, "X-Wrapped", "1");
}

/* The middleware runs around exactly the routes whose flags and method it names, after
 * authentication and body parsing; everything else runs bare. */
START_TEST(middleware_wraps_only_the_routes_its_flags_name)
{
    int answer_itself = 0;
    struct http_middleware mw = {.route_flags = ROUTE_MERCHANT,
                                 .methods = HTTP_POST,
                                 .wrap = wrap_counting,
                                 .ctx = &answer_itself};
    struct http_site wrapped = site;
    wrapped.middleware = &mw;
    static const struct {
        const char *method, *path, *auth, *body;
        int status, runs;
    } cases[] = {
        {"POST", "/merchant", "Bearer merchant-key-0123456789abcdef", "{}", 200, 1},
        {"POST", "/iamport", "Bearer merchant-key-0123456789abcdef", "{}", 200, 1},
        {"POST", "/merchant", NULL, "{}", 401, 0}, /* auth first */
        {"POST", "/merchant", "Bearer merchant-key-0123456789abcdef", "{no", 400, 0}, /* parse */
        {"POST", "/echo", NULL, "{}", 200, 0},       /* not a merchant route */
        {"DELETE", "/things/1", NULL, NULL, 200, 0}, /* not a POST */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct request req;
        struct reply rep;
        wrap_runs = 0;
        make(&req, cases[i].method, cases[i].path, "application/json", cases[i].body);
        if (cases[i].auth)
            request_add_header(&req, "Authorization", cases[i].auth);
        reply_init(&rep);
        http_dispatch(&wrapped, &req, &rep);
        ck_assert_msg(rep.status == cases[i].status, "case %zu -> %d", i, rep.status);
        ck_assert_msg(wrap_runs == cases[i].runs, "case %zu: %d runs", i, wrap_runs);
        ck_assert_int_eq(reply_header(&rep, "X-Wrapped") != NULL, cases[i].runs);
        ck_assert_ptr_nonnull(reply_header(&rep, "X-Request-Id"));
        reply_release(&rep);
        request_release(&req);
    }
    /* A middleware that answers without the handler: its reply goes out with the defaults. */
    answer_itself = 1;
    struct request req;
    struct reply rep;
    post_with(&wrapped, "/merchant", "Authorization", "Bearer merchant-key-0123456789abcdef", "{}",
              &req, &rep);
    ck_assert_int_eq(rep.status, 299);
    ck_assert_str_eq(wrap_route, "merchant");
    ck_assert_ptr_null(reply_header(&rep, "X-Wrapped"));
    ck_assert_ptr_nonnull(reply_header(&rep, "X-Request-Id"));
    reply_release(&rep);
    request_release(&req);
}
END_TEST

static Suite *suite_dispatch(void)
{
    Suite *s = suite_create("dispatch");
    TCase *tc = tcase_create("pipeline");
    tcase_add_test(tc, not_found_has_the_error_shape);
    tcase_add_test(tc, unknown_paths_under_iamport_routes_use_the_envelope);
    tcase_add_test(tc, wrong_method_is_405_with_allow);
    tcase_add_test(tc, json_and_form_reach_the_handler_as_one_tree);
    tcase_add_test(tc, wrong_content_type_is_415);
    tcase_add_test(tc, malformed_bodies_are_400_naming_the_field);
    tcase_add_test(tc, oversized_bodies_are_413);
    tcase_add_test(tc, handler_without_reply_is_500);
    tcase_add_test(tc, request_ids_in_and_out);
    tcase_add_test(tc, generated_request_ids_survive_log_scrubbing);
    tcase_add_test(tc, generated_request_ids_are_distinct_across_threads);
    tcase_add_test(tc, error_bodies_are_valid_utf8);
    tcase_add_test(tc, default_headers_survive_a_handler_using_every_slot);
    tcase_add_test(tc, dropped_reply_header_is_logged_as_json);
    tcase_add_test(tc, merchant_routes_authenticate_before_parsing);
    tcase_add_test(tc, merchant_tokens_in_every_iamport_form);
    tcase_add_test(tc, iamport_routes_refuse_with_the_envelope);
    tcase_add_test(tc, token_expiry_follows_the_site_clock);
    tcase_add_test(tc, iamport_route_errors_use_the_envelope);
    tcase_add_test(tc, middleware_wraps_only_the_routes_its_flags_name);
    tcase_add_test(tc, over_capacity_is_503_with_retry_after);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_dispatch)
