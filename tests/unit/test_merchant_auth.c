/* merchant_auth tests: Bearer parsing, 401 with WWW-Authenticate, the key never echoed. */
#include <stdlib.h>
#include <string.h>

#include "server/http/http.h"
#include "server/http/merchant_auth.h"
#include "tests/lib/testlib.h"

#define KEY "shop_key_0123456789abcdef"

static struct merchant_key keys[] = {{(char *)"shop", (char *)KEY},
                                     {(char *)"backoffice", (char *)"office_key_abcdefghijkl"}};

/* Runs merchant_auth_require with this Authorization header (NULL = none). */
static const char *run(const char *header, struct reply *rep)
{
    struct request req;
    memset(&req, 0, sizeof req);
    strcpy(req.request_id, "rid-1");
    if (header)
        request_add_header(&req, "Authorization", header);
    reply_init(rep);
    const char *name = merchant_auth_require(keys, 2, NULL, &req, rep);
    request_release(&req);
    return name;
}

START_TEST(valid_keys_give_their_names)
{
    struct reply rep;
    ck_assert_str_eq(run("Bearer " KEY, &rep), "shop");
    ck_assert_int_eq(rep.status, 0); /* nothing answered */
    reply_release(&rep);
    ck_assert_str_eq(run("bearer " KEY, &rep), "shop"); /* the scheme is case-insensitive */
    reply_release(&rep);
    ck_assert_str_eq(run("BEARER \t " KEY "  ", &rep), "shop");
    reply_release(&rep);
    ck_assert_str_eq(run("Bearer office_key_abcdefghijkl", &rep), "backoffice");
    reply_release(&rep);
}
END_TEST

static void expect_401(const char *header, const char *message, const char *challenge)
{
    struct reply rep;
    ck_assert_ptr_null(run(header, &rep));
    ck_assert_int_eq(rep.status, 401);
    ck_assert_str_eq(reply_header(&rep, "WWW-Authenticate"), challenge);
    char *want = NULL;
    want = malloc(strlen(message) + 128);
    strcpy(want, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"");
    strcat(want, message);
    strcat(want, "\",\"request_id\":\"rid-1\"}}");
    ck_assert_str_eq(rep.body, want);
    ck_assert_ptr_null(strstr(rep.body, KEY));
    free(want);
    reply_release(&rep);
}

START_TEST(bad_headers_get_401)
{
    expect_401(NULL, "missing 'Authorization: Bearer <merchant API key>' header",
               "Bearer realm=\"billkey\"");
    const char *shapes[] = {"",
                            "Bearer",
                            "Bearer ",
                            "Basic c2hvcDprZXk=",
                            KEY,
                            "Bearer" KEY,
                            "Bearer " KEY " extra",
                            "Token " KEY,
                            "Bearer ' OR 1=1 --"};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        expect_401(shapes[i], "the 'Authorization' header must be 'Bearer <merchant API key>'",
                   "Bearer realm=\"billkey\"");
    const char *wrong[] = {"Bearer shop_key_0123456789abcdeF", "Bearer shop",
                           "Bearer '--;DROP\"<script>", "Bearer shop_key_0123456789abcdef0"};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
        expect_401(wrong[i], "the merchant API key is not valid",
                   "Bearer realm=\"billkey\", error=\"invalid_token\"");
}
END_TEST

START_TEST(overlong_key_is_refused)
{
    char header[2000] = "Bearer ";
    memset(header + 7, 'k', 1500);
    header[1507] = '\0';
    expect_401(header, "the merchant API key is not valid",
               "Bearer realm=\"billkey\", error=\"invalid_token\"");
}
END_TEST

static Suite *suite_merchant_auth(void)
{
    Suite *s = suite_create("merchant_auth");
    TCase *tc = tcase_create("bearer");
    tcase_add_test(tc, valid_keys_give_their_names);
    tcase_add_test(tc, bad_headers_get_401);
    tcase_add_test(tc, overlong_key_is_refused);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_merchant_auth)
