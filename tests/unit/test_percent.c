/* percent tests: decoding, '+' handling, malformed escapes, %00 and in-place use. */
#include <stdlib.h>
#include <string.h>

#include "server/core/percent.h"
#include "tests/lib/testlib.h"

#define BAD ((size_t)-1)

static const struct {
    const char *in;
    unsigned flags;
    const char *want; /* NULL: fails */
    size_t bad_at;    /* when it fails */
} cases[] = {
    {"", 0, "", 0},
    {"plain", 0, "plain", 0},
    {"a%20b", 0, "a b", 0},
    {"%41%62%7e%7E", 0, "Ab~~", 0},
    {"%ED%99%8D", 0, "\xED\x99\x8D", 0},
    {"a+b", 0, "a+b", 0},
    {"a+b", PERCENT_PLUS_IS_SPACE, "a b", 0},
    {"%2B+", PERCENT_PLUS_IS_SPACE, "+ ", 0},
    {"%252e", 0, "%2e", 0}, /* decoded once only */
    {"ab%", 0, NULL, 2},
    {"ab%4", 0, NULL, 2},
    {"a%zz", 0, NULL, 1},
    {"a%4z", 0, NULL, 1},
    {"x%00y", 0, NULL, 1},
    {"ab%", PERCENT_KEEP_MALFORMED, "ab%", 0},
    {"ab%4", PERCENT_KEEP_MALFORMED, "ab%4", 0},
    {"%zz%41", PERCENT_KEEP_MALFORMED, "%zzA", 0},
    {"100%", PERCENT_KEEP_MALFORMED | PERCENT_PLUS_IS_SPACE, "100%", 0},
    {"x%00y", PERCENT_KEEP_MALFORMED, NULL, 1},
    {"ok%41%0", PERCENT_KEEP_MALFORMED, "okA%0", 0},
};

START_TEST(decodes)
{
    size_t len = BAD, bad_at = BAD;
    char *out = percent_decode(cases[_i].in, strlen(cases[_i].in), cases[_i].flags, &len, &bad_at);
    if (!cases[_i].want) {
        ck_assert_msg(out == NULL, "'%s' decoded to '%s'", cases[_i].in, out ? out : "");
        ck_assert_uint_eq(bad_at, cases[_i].bad_at);
        return;
    }
    ck_assert_msg(out != NULL, "'%s' failed at %zu", cases[_i].in, bad_at);
    ck_assert_str_eq(out, cases[_i].want);
    ck_assert_uint_eq(len, strlen(cases[_i].want));
    ck_assert_uint_eq(bad_at, BAD);
    free(out);
}
END_TEST

START_TEST(length_bounded)
{
    /* only n bytes are read: an escape cut by n is incomplete */
    size_t len, bad_at = BAD;
    char *out = percent_decode("a%41b", 3, PERCENT_KEEP_MALFORMED, &len, NULL);
    ck_assert_str_eq(out, "a%4");
    free(out);
    ck_assert_ptr_null(percent_decode("a%41b", 3, 0, &len, &bad_at));
    ck_assert_uint_eq(bad_at, 1);
    out = percent_decode("a+b=c", 3, PERCENT_PLUS_IS_SPACE, &len, NULL);
    ck_assert_str_eq(out, "a b");
    ck_assert_uint_eq(len, 3);
    free(out);
}
END_TEST

START_TEST(in_place)
{
    char s[] = "id%2Fwith%20escapes%";
    size_t len = 0;
    ck_assert_int_eq(percent_decode_into(s, s, strlen(s), PERCENT_KEEP_MALFORMED, &len, NULL), 0);
    ck_assert_str_eq(s, "id/with escapes%");
    ck_assert_uint_eq(len, strlen("id/with escapes%"));
    char z[] = "a%00";
    size_t bad_at = BAD;
    ck_assert_int_eq(percent_decode_into(z, z, strlen(z), PERCENT_KEEP_MALFORMED, NULL, &bad_at),
                     -1);
    ck_assert_uint_eq(bad_at, 1);
    /* out_len and bad_at may be NULL */
    char t[] = "%4";
    ck_assert_int_eq(percent_decode_into(t, t, strlen(t), 0, NULL, NULL), -1);
}
END_TEST

static Suite *suite_percent(void)
{
    Suite *s = suite_create("percent");
    TCase *tc = tcase_create("decode");
    tcase_add_loop_test(tc, decodes, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, length_bounded);
    tcase_add_test(tc, in_place);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_percent)
