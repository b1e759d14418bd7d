/* Router tests: pattern matching, parameters, 404 versus 405 with Allow. */
#include <stdlib.h>
#include <string.h>

#include "server/http.h"
#include "server/xalloc.h"
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
    struct request req;
    const struct route *r;
    char allow[96];
    ck_assert_int_eq(match("GET", "/healthz", &req, &r, allow), ROUTER_MATCH);
    ck_assert_str_eq(r->name, "healthz");
    request_release(&req);
    ck_assert_int_eq(match("GET", "/payments/complete/mobile", &req, &r, allow), ROUTER_MATCH);
    ck_assert_str_eq(r->name, "mobile");
    request_release(&req);
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
    static const char *paths[] = {"/", "/healthz/", "/healthzz", "/HEALTHZ", "//healthz",
                                  "/subscribe/customers/", "/subscribe/customers//x",
                                  "/subscribe/customers/a/b", "/static", "healthz", "",
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
    struct request req;
    const struct route *r;
    char allow[96];
    ck_assert_int_eq(match("POST", "/healthz", &req, &r, allow), ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(allow, "GET, HEAD");
    request_release(&req);
    ck_assert_int_eq(match("GET", "/payments/complete", &req, &r, allow), ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(allow, "POST");
    request_release(&req);
    ck_assert_int_eq(match("PUT", "/subscribe/customers/x", &req, &r, allow),
                     ROUTER_METHOD_NOT_ALLOWED);
    ck_assert_str_eq(allow, "GET, HEAD, DELETE");
    request_release(&req);
    ck_assert_int_eq(match("BREW", "/healthz", &req, &r, allow), ROUTER_METHOD_NOT_ALLOWED);
    request_release(&req);
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
    struct request req;
    const struct route *r;
    char allow[96];
    ck_assert_int_eq(match("GET", "/static/css/app.css", &req, &r, allow), ROUTER_MATCH);
    ck_assert_str_eq(request_param(&req, "path"), "css/app.css");
    request_release(&req);
    ck_assert_int_eq(match("GET", "/static/", &req, &r, allow), ROUTER_MATCH);
    ck_assert_str_eq(request_param(&req, "path"), "");
    request_release(&req);
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
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_router)
