/* html_escape and utf8 helper tests: entities, invalid UTF-8, control bytes, cuts at boundaries. */
#include <stdlib.h>
#include <string.h>

#include "server/http/html.h"
#include "server/core/utf8.h"
#include "tests/lib/testlib.h"

static void expect_escape(const char *in, size_t max, const char *want)
{
    char *got = html_escape(in, max);
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(entities)
{
    expect_escape("<script>alert(\"x\" & 'y')</script>", 0,
                  "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;");
    expect_escape("카드 한도초과", 0, "카드 한도초과");
    expect_escape("&amp;", 0, "&amp;amp;");
    expect_escape("", 0, "");
    expect_escape(NULL, 0, "");
    expect_escape("javascript:alert(1)", 0, "javascript:alert(1)"); /* text, never an href */
}
END_TEST

START_TEST(invalid_utf8_and_controls)
{
    expect_escape("a\xff"
                  "b",
                  0,
                  "a\xef\xbf\xbd"
                  "b");
    expect_escape("\xc0\xaf", 0, "\xef\xbf\xbd\xef\xbf\xbd");                 /* overlong '/' */
    expect_escape("\xed\xa0\x80", 0, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
    expect_escape("\xe2\x82", 0, "\xef\xbf\xbd\xef\xbf\xbd");                 /* truncated */
    expect_escape("a\r\nb\tc\x7f"
                  "d",
                  0, "a  b c d");
    expect_escape("x\xc2\x85y", 0, "x y"); /* C1 control NEL */
    expect_escape("\xf0\x9f\x98\x80", 0, "\xf0\x9f\x98\x80");
}
END_TEST

START_TEST(cut_at_a_character_boundary)
{
    expect_escape("abcdef", 3, "abc\xe2\x80\xa6");
    expect_escape("가나다", 4, "가\xe2\x80\xa6"); /* 3-byte characters: the second does not fit */
    expect_escape("가나다", 9, "가나다");
    expect_escape("<<<<", 2, "&lt;&lt;\xe2\x80\xa6"); /* the cap counts input bytes */
}
END_TEST

START_TEST(utf8_helpers)
{
    ck_assert_uint_eq(utf8_char_count("홍길동"), 3);
    ck_assert_uint_eq(utf8_char_count("abc"), 3);
    ck_assert_uint_eq(utf8_char_count(NULL), 0);
    ck_assert_int_eq(utf8_prefix_len("홍길동", 7), 6);
    ck_assert_int_eq(utf8_prefix_len("홍길동", 9), 9);
    ck_assert_int_eq(utf8_prefix_len("홍길동", 100), 9);
    ck_assert_int_eq(utf8_prefix_len("ab홍", 3), 2);
    ck_assert_int_eq(utf8_prefix_len(NULL, 3), 0);
    ck_assert_int_eq(utf8_valid("홍길동 abc"), 1);
    ck_assert_int_eq(utf8_valid("\xff"), 0);
    ck_assert_int_eq(utf8_valid("\xe2\x82"), 0);
    ck_assert_int_eq(utf8_valid(NULL), 1);
    char buf[16];
    strcpy(buf, "ab\xed\x99"); /* the start of 홍 (ed 99 8d) */
    utf8_trim_partial(buf);
    ck_assert_str_eq(buf, "ab");
    strcpy(buf, "ab홍");
    utf8_trim_partial(buf);
    ck_assert_str_eq(buf, "ab홍");
    strcpy(buf, "ab\xf0\x9f\x98");
    utf8_trim_partial(buf);
    ck_assert_str_eq(buf, "ab");
    strcpy(buf, "");
    utf8_trim_partial(buf);
    ck_assert_str_eq(buf, "");
}
END_TEST

static Suite *suite_html(void)
{
    Suite *s = suite_create("html");
    TCase *tc = tcase_create("escape");
    tcase_add_test(tc, entities);
    tcase_add_test(tc, invalid_utf8_and_controls);
    tcase_add_test(tc, cut_at_a_character_boundary);
    tcase_add_test(tc, utf8_helpers);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_html)
