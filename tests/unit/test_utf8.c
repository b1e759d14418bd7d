/* UTF-8 helpers: validation, character counts, safe cuts and repair of foreign text. */
#include <stdlib.h>
#include <string.h>

#include "server/core/utf8.h"
#include "tests/lib/testlib.h"

START_TEST(validity)
{
    ck_assert_int_eq(utf8_valid("plain"), 1);
    ck_assert_int_eq(utf8_valid("신한카드"), 1);
    ck_assert_int_eq(utf8_valid(NULL), 1);
    ck_assert_int_eq(utf8_valid("\xC0\xAF"), 0);         /* overlong '/' */
    ck_assert_int_eq(utf8_valid("\xED\xA0\x80"), 0);     /* surrogate */
    ck_assert_int_eq(utf8_valid("\xF4\x90\x80\x80"), 0); /* above U+10FFFF */
    ck_assert_int_eq(utf8_valid("ab\xE2\x82"), 0);       /* truncated */
    ck_assert_uint_eq(utf8_char_count("신한a"), 3);
}
END_TEST

START_TEST(prefixes_never_split_characters)
{
    ck_assert_int_eq(utf8_prefix_len("신한카드", 4), 3);
    ck_assert_int_eq(utf8_prefix_len("신한카드", 6), 6);
    ck_assert_int_eq(utf8_prefix_len("abc", 10), 3);
    char s[] = "ab\xEC\x8B";
    utf8_trim_partial(s);
    ck_assert_str_eq(s, "ab");
}
END_TEST

START_TEST(repair_replaces_each_bad_byte)
{
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"ok 신한", 10, "ok 신한"},
        {"a\xFF"
         "b",
         3,
         "a\xEF\xBF\xBD"
         "b"},
        {"\xC0\xAF", 2, "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"end\xE2\x82", 5, "end\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"", 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = utf8_repair(cases[i].in, cases[i].len);
        ck_assert_msg(strcmp(got, cases[i].out) == 0, "case %zu: got '%s'", i, got);
        ck_assert_int_eq(utf8_valid(got), 1);
        free(got);
    }
}
END_TEST

static Suite *suite_utf8(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("utf8");
    tcase_add_test(tc, validity);
    tcase_add_test(tc, prefixes_never_split_characters);
    tcase_add_test(tc, repair_replaces_each_bad_byte);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_utf8)
