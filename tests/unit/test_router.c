/* Router tests: pattern matching, parameters, 404 versus 405 with Allow. */
#include <stdlib.h>
#include <string.h>

#include "server/http/http.h"
#include "server/core/xalloc.h"
#include "tests/lib/testlib.h"

static void h_noop(struct request *req, struct reply *rep)
{
    (void)req;
    reply_bytes(rep, 200, "text/plain", "ok", 2);
}

static const struct route table[] = {
    {HTTP_GET, "/healthz", h_noop, 0, 0, "healthz"},
    {HTTP_POST, "/payments/complete", h_noop, ROUTE_BODY, 0, "complete"},
    {HTTP_GET, "/payments/complete/mobile", h_noop, 0, 0, "mobile"},
    {HTTP_GET | HTTP_DELETE, "/subscribe/customers/{customer_uid}", h_noop, 0, 0, "customer"},
    {HTTP_GET, "/schedules/{merchant_uid}/items/{n}", h_noop, 0, 0, "two-params"},
    {HTTP_GET, "/static/*", h_noop, ROUTE_PREFIX, 0, "static"},
};
#define NROUTES (sizeof table / sizeof table[0])

static enum router_result match(const char *method, const char *path, struct request *req,
                                const struct route **r, char *allow)
{
    memset(req, 0, sizeof *req);
    req->method = xstrdup(method);
    req->method_bit = http_method_bit(method);
    req->path = xstrdup(path);
    return router_match(table, NROUTES, req, r, allow, 96);
}

START_TEST(exact_paths_match)
{
    static const struct {
        const char *path, *route;
    } cases[] = {{"/healthz", "healthz"}, {"/payments/complete/mobile", "mobile"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct request req;
        const struct route *r;
        char allow[96];
        ck_assert_int_eq(match("GET", cases[i].path, &req, &r, allow), ROUTER_MATCH);
        ck_assert_str_eq(r->name, cases[i].route);
        request_release(&req);
    }
}
END_TEST

START_TEST(parameters_are_captured)
{
    struct request req;
    const struct route *r;
    char allow[96];
    ck_assert_int_eq(match("DELETE", "/subscribe/customers/cu_1 2", &req, &r, allow), ROUTER_MATCH);
    ck_assert_str_eq(r->name, "customer");
    ck_assert_str_eq(request_param(&req, "customer_uid"), "cu_1 2");
    request_release(&req);

    ck_assert_int_eq(match("GET", "/schedules/m-1/items/7", &req, &r, allow), ROUTER_MATCH);
    ck_assert_str_eq(request_param(&req, "merchant_uid"), "m-1");
    ck_assert_str_eq(request_param(&req, "n"), "7");
    ck_assert_ptr_null(request_param(&req, "other"));
    request_release(&req);
}
END_TEST

START_TEST(unknown_paths_are_404)
{
    static const char *paths[] = {"/",
                                  "/healthz/",
                                  "/healthzz",
                                  "/HEALTHZ",
                                  "//healthz",
                                  "/subscribe/customers/",
                                  "/subscribe/customers//x",
                                  "/subscribe/customers/a/b",
                                  "/static",
                                  "healthz",
                                  "",
                                  "/payments/complete/mobile/extra"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct request req;
        const struct route *r;
        char allow[96];
        ck_assert_msg(match("GET", paths[i], &req, &r, allow) == ROUTER_NOT_FOUND, "path '%s'",
                      paths[i]);
        ck_assert_ptr_null(r);
        request_release(&req);
    }
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
    static const struct {
        const char *method, *path, *allow; /* allow NULL: not checked */
    } cases[] = {
        {"POST", "/healthz", "GET, HEAD"},
        {"GET", "/payments/complete", "POST"},
        {"PUT", "/subscribe/customers/x", "GET, HEAD, DELETE"},
        {"BREW", "/healthz", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct request req;
        const struct route *r;
        char allow[96];
        ck_assert_msg(match(cases[i].method, cases[i].path, &req, &r, allow) ==
                          ROUTER_METHOD_NOT_ALLOWED,
                      "%s %s", cases[i].method, cases[i].path);
        if (cases[i].allow)
            ck_assert_str_eq(allow, cases[i].allow);
        request_release(&req);
    }
}
END_TEST

START_TEST(head_matches_get_routes)
{
    struct request req;
    const struct route *r;
    char allow[96];
    ck_assert_int_eq(match("HEAD", "/healthz", &req, &r, allow), ROUTER_MATCH);
    request_release(&req);
}
END_TEST

START_TEST(prefix_routes_capture_the_rest)
{
    static const struct {
        const char *path, *rest;
    } cases[] = {{"/static/css/app.css", "css/app.css"}, {"/static/", ""}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct request req;
        const struct route *r;
        char allow[96];
        ck_assert_int_eq(match("GET", cases[i].path, &req, &r, allow), ROUTER_MATCH);
        ck_assert_str_eq(request_param(&req, "path"), cases[i].rest);
        request_release(&req);
    }
}
END_TEST

/* The path is matched as sent: an escaped '/' stays inside its segment and each segment is
 * decoded only once it is matched ('+' stays '+', a malformed escape is kept). */
START_TEST(an_escaped_slash_stays_inside_its_segment)
{
    static const struct {
        const char *path, *route, *name, *value;
    } cases[] = {
        {"/subscribe/customers/a%2Fb", "customer", "customer_uid", "a/b"},
        {"/subscribe/customers/a%2fb%3Fc+d", "customer", "customer_uid", "a/b?c+d"},
        {"/subscribe/customers/%ED%95%9C%EA%B8%80", "customer", "customer_uid", "한글"},
        {"/subscribe/customers/100%", "customer", "customer_uid", "100%"},
        {"/schedules/m%2F1/items/7", "two-params", "merchant_uid", "m/1"},
        /* a literal segment written with escapes is still that segment */
        {"/schedules/m-1/it%65ms/7", "two-params", "n", "7"},
        {"/static/css%2Fapp.css", "static", "path", "css/app.css"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct request req;
        const struct route *r;
        char allow[96];
        ck_assert_msg(match("GET", cases[i].path, &req, &r, allow) == ROUTER_MATCH, "%s",
                      cases[i].path);
        ck_assert_str_eq(r->name, cases[i].route);
        ck_assert_str_eq(request_param(&req, cases[i].name), cases[i].value);
        request_release(&req);
    }
}
END_TEST

/* What used to be decoded first and then routed elsewhere now finds no route, or its own. */
START_TEST(an_escaped_slash_never_makes_more_segments)
{
    static const char *const not_found[] = {
        "/payments%2Fcomplete",         /* not POST /payments/complete */
        "/subscribe/customers/a%2Fb/c", /* three segments after /customers: no route */
        "/schedules/m%2Fitems%2F7",     /* not the two-parameter route */
        "/healthz%2F",
    };
    for (size_t i = 0; i < sizeof not_found / sizeof not_found[0]; i++) {
        struct request req;
        const struct route *r;
        char allow[96];
        ck_assert_msg(match("POST", not_found[i], &req, &r, allow) == ROUTER_NOT_FOUND, "%s",
                      not_found[i]);
        ck_assert_ptr_null(r);
        request_release(&req);
    }
}
END_TEST

START_TEST(an_escape_decoding_to_nul_is_a_bad_path)
{
    static const char *const bad[] = {"/subscribe/customers/a%00b", "/healthz%00", "/nowhere/%00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct request req;
        const struct route *r;
        char allow[96];
        ck_assert_int_eq(match("GET", bad[i], &req, &r, allow), ROUTER_BAD_PATH);
        ck_assert_ptr_null(r);
        ck_assert_uint_eq(req.param_count, 0);
        request_release(&req);
    }
}
END_TEST

static Suite *suite_router(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("match");
    tcase_add_test(tc, exact_paths_match);
    tcase_add_test(tc, parameters_are_captured);
    tcase_add_test(tc, unknown_paths_are_404);
    tcase_add_test(tc, wrong_method_is_405_with_allow);
    tcase_add_test(tc, head_matches_get_routes);
    tcase_add_test(tc, prefix_routes_capture_the_rest);
    tcase_add_test(tc, an_escaped_slash_stays_inside_its_segment);
    tcase_add_test(tc, an_escaped_slash_never_makes_more_segments);
    tcase_add_test(tc, an_escape_decoding_to_nul_is_a_bad_path);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_router)
