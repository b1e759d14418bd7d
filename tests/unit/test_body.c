/* body_parse tests: JSON and form bodies give equal trees; hostile bodies and content types fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/body.h"
#include "server/core/xalloc.h"
#include "tests/lib/testlib.h"

#define JSON_TYPE "application/json"
#define FORM_TYPE "application/x-www-form-urlencoded"

/* Parses text (strlen bytes) and fails the test unless it gives BODY_OK. Caller deletes. */
static cJSON *parse_ok(const char *content_type, const char *text)
{
    struct body_error err;
    cJSON *out = (cJSON *)1;
    enum body_status st = body_parse(content_type, text, strlen(text), &out, &err);
    ck_assert_msg(st == BODY_OK, "parse of '%s' as %s: status %d, field '%s', message '%s'", text,
                  content_type ? content_type : "(null)", st, err.field, err.message);
    ck_assert_ptr_nonnull(out);
    ck_assert_msg(cJSON_IsObject(out), "parse of '%s' did not give an object", text);
    ck_assert_str_eq(err.field, "");
    ck_assert_str_eq(err.message, "");
    return out;
}

static void assert_tree(const cJSON *got, const char *want_json, const char *input)
{
    cJSON *want = cJSON_Parse(want_json);
    ck_assert_msg(want != NULL, "bad expectation '%s'", want_json);
    char *got_text = cJSON_PrintUnformatted(got);
    ck_assert_msg(cJSON_Compare(got, want, 1), "'%s' gave %s, want %s", input, got_text, want_json);
    cJSON_free(got_text);
    cJSON_Delete(want);
}

/* Parses len bytes of data and asserts the exact failure. */
static void expect_failure_len(const char *content_type, const char *data, size_t len,
                               enum body_status want_status, const char *want_field,
                               const char *want_message)
{
    struct body_error err;
    cJSON *out = (cJSON *)1;
    enum body_status st = body_parse(content_type, data, len, &out, &err);
    int shown = len > 200 ? 200 : (int)len; /* Check cannot carry huge failure messages */
    ck_assert_msg(st == want_status, "'%.*s' as %s: status %d, want %d (message '%s')", shown, data,
                  content_type ? content_type : "(null)", st, want_status, err.message);
    ck_assert_ptr_null(out);
    ck_assert_msg(strcmp(err.field, want_field) == 0, "'%.*s': field '%s', want '%s'", shown, data,
                  err.field, want_field);
    ck_assert_msg(strcmp(err.message, want_message) == 0, "'%.*s': message '%s', want '%s'", shown,
                  data, err.message, want_message);
}

static void expect_failure(const char *content_type, const char *text, const char *want_field,
                           const char *want_message)
{
    expect_failure_len(content_type, text, strlen(text), BODY_MALFORMED, want_field, want_message);
}

/* ---- both encodings give the same tree ---- */

static const struct {
    const char *form;
    const char *json;
} equal_cases[] = {
    {"schedules[0][merchant_uid]=m1&schedules[0][amount]=1000&extra[naverUseCfm]=20201001"
     "&customer_uid=c1",
     "{\"schedules\":[{\"merchant_uid\":\"m1\",\"amount\":\"1000\"}],"
     "\"extra\":{\"naverUseCfm\":\"20201001\"},\"customer_uid\":\"c1\"}"},
    {"a[]=1&a[]=2", "{\"a\":[\"1\",\"2\"]}"},
    {"a[0]=x&a[1]=y", "{\"a\":[\"x\",\"y\"]}"},
    {"s[0][a]=1&s[1][a]=2&s[0][b]=3", "{\"s\":[{\"a\":\"1\",\"b\":\"3\"},{\"a\":\"2\"}]}"},
    {"a=hello+world%21", "{\"a\":\"hello world!\"}"},
    {"%ED%95%9C=%EA%B8%80", "{\"\xED\x95\x9C\":\"\xEA\xB8\x80\"}"},
    {"name=\xED\x99\x8D\xEA\xB8\xB8\xEB\x8F\x99",
     "{\"name\":\"\xED\x99\x8D\xEA\xB8\xB8\xEB\x8F\x99\"}"},
    {"a=", "{\"a\":\"\"}"},
    {"a", "{\"a\":\"\"}"},
    {"&&a=1&&", "{\"a\":\"1\"}"},
    {"&", "{}"},
    {"a%5Bb%5D=1", "{\"a\":{\"b\":\"1\"}}"},
    {"a%5b0%5d=1", "{\"a\":[\"1\"]}"},
    {"a[][x]=1&a[][x]=2", "{\"a\":[{\"x\":\"1\"},{\"x\":\"2\"}]}"},
    {"a[0][]=1&a[0][]=2", "{\"a\":[[\"1\",\"2\"]]}"},
    {"a[0]=1&a[]=2", "{\"a\":[\"1\",\"2\"]}"},
    {"a[x y]=1&a[-x]=2&a[1a]=3", "{\"a\":{\"x y\":\"1\",\"-x\":\"2\",\"1a\":\"3\"}}"},
    {"a=%3D%26%2B", "{\"a\":\"=&+\"}"},
    {"a=1=2", "{\"a\":\"1=2\"}"},
    {"a[0]=1&b=2&a[1]=3", "{\"a\":[\"1\",\"3\"],\"b\":\"2\"}"},
    {"a[b][c][d][e][f][g][h][i]=deep",
     "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":\"deep\"}}}}}}}}}"},
    {"A=1&a=2", "{\"A\":\"1\",\"a\":\"2\"}"},
    {"a=%0A%09", "{\"a\":\"\\n\\t\"}"},
    {"a=%C2%A0%F0%9F%92%B3", "{\"a\":\"\xC2\xA0\xF0\x9F\x92\xB3\"}"},
    {"a[0]=", "{\"a\":[\"\"]}"},
};

START_TEST(form_and_json_give_equal_trees)
{
    const char *form = equal_cases[_i].form, *json = equal_cases[_i].json;
    cJSON *from_form = parse_ok(FORM_TYPE, form);
    cJSON *from_json = parse_ok(JSON_TYPE, json);
    assert_tree(from_form, json, form);
    ck_assert_msg(cJSON_Compare(from_form, from_json, 1), "form '%s' and json differ", form);
    cJSON *from_query = NULL;
    struct body_error err;
    ck_assert_int_eq(body_parse_query(form, &from_query, &err), BODY_OK);
    ck_assert_msg(cJSON_Compare(from_form, from_query, 1), "query '%s' differs", form);
    cJSON_Delete(from_query);
    cJSON_Delete(from_form);
    cJSON_Delete(from_json);
}
END_TEST

START_TEST(form_keeps_order_of_first_appearance)
{
    cJSON *got = parse_ok(FORM_TYPE, "z=1&a[y]=2&m=3&a[b]=4");
    char *text = cJSON_PrintUnformatted(got);
    ck_assert_str_eq(text, "{\"z\":\"1\",\"a\":{\"y\":\"2\",\"b\":\"4\"},\"m\":\"3\"}");
    cJSON_free(text);
    cJSON_Delete(got);
}
END_TEST

/* ---- JSON accepted ---- */

static const struct {
    const char *body;
    const char *want;
} json_ok_cases[] = {
    {"{}", "{}"},
    {" \t\r\n{\"a\":1} \n", "{\"a\":1}"},
    {"\xEF\xBB\xBF{\"a\":1}", "{\"a\":1}"},
    {"{\"a\":-0.5e-3,\"b\":0,\"c\":-0,\"d\":1E+2,\"e\":12.25}",
     "{\"a\":-0.0005,\"b\":0,\"c\":0,\"d\":100,\"e\":12.25}"},
    {"{\"a\":1,\"A\":2}", "{\"a\":1,\"A\":2}"},
    {"{\"a\":\"\\\\u0000\"}", "{\"a\":\"\\\\u0000\"}"},
    {"{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{\"}",
     "{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{\"}"},
    {"{\"a\":\"\\\"{{\\\\\"}", "{\"a\":\"\\\"{{\\\\\"}"},
    {"{\"a\":\"\\ud83d\\udcb3\"}", "{\"a\":\"\xF0\x9F\x92\xB3\"}"},
    {"{\"a\":1e-400}", "{\"a\":0}"},
    {"{\"s\":[{\"x\":1},{\"x\":1}],\"t\":{\"x\":1}}",
     "{\"s\":[{\"x\":1},{\"x\":1}],\"t\":{\"x\":1}}"},
    {"{\"a\":[1,-2,3.5],\"b\":null,\"c\":true,\"d\":false}",
     "{\"a\":[1,-2,3.5],\"b\":null,\"c\":true,\"d\":false}"},
};

START_TEST(json_accepts_valid_objects)
{
    cJSON *got = parse_ok(JSON_TYPE, json_ok_cases[_i].body);
    assert_tree(got, json_ok_cases[_i].want, json_ok_cases[_i].body);
    cJSON_Delete(got);
}
END_TEST

static char *nested_json(size_t depth)
{
    /* {"a":[[...[1]...]]} with depth levels in total (the object is level 1). */
    size_t arrays = depth - 1;
    char *s = xmalloc(arrays * 2 + 16);
    size_t n = 0;
    n += (size_t)sprintf(s + n, "{\"a\":");
    for (size_t i = 0; i < arrays; i++)
        s[n++] = '[';
    s[n++] = '1';
    for (size_t i = 0; i < arrays; i++)
        s[n++] = ']';
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

START_TEST(json_depth_limit)
{
    char *ok = nested_json(BODY_JSON_MAX_DEPTH);
    cJSON *got = parse_ok(JSON_TYPE, ok);
    cJSON_Delete(got);
    free(ok);

    char *too_deep = nested_json(BODY_JSON_MAX_DEPTH + 1);
    expect_failure(JSON_TYPE, too_deep, "", "JSON nested deeper than 32 levels at byte 36");
    free(too_deep);

    char *hostile = nested_json(10000);
    expect_failure(JSON_TYPE, hostile, "", "JSON nested deeper than 32 levels at byte 36");
    free(hostile);

    /* unbalanced closers do not let the depth go negative and open more room */
    char *closers = xmalloc(200);
    strcpy(closers, "]]]]]]]]]]");
    char *deep = nested_json(BODY_JSON_MAX_DEPTH + 1);
    strcat(closers, deep);
    expect_failure(JSON_TYPE, closers, "", "JSON nested deeper than 32 levels at byte 46");
    free(deep);
    free(closers);
}
END_TEST

/* ---- JSON rejected ---- */

static const struct {
    const char *body;
    const char *field;
    const char *message;
} json_bad_cases[] = {
    /* "near byte" offsets are where cJSON 1.7.15 stopped, which can be a byte or so late */
    {"{\"a\":1", "", "invalid JSON near byte 6"},
    {"{\"a\":", "", "invalid JSON near byte 5"},
    {"{", "", "invalid JSON near byte 1"},
    {"{\"a\":1}x", "", "invalid JSON near byte 7"},
    {"{\"a\":1}{\"b\":2}", "", "invalid JSON near byte 7"},
    {"{\"a\":1,}", "", "invalid JSON near byte 8"},
    {"   ", "", "invalid JSON near byte 3"},
    {"{'a':1}", "", "invalid JSON near byte 2"},
    {"{a:1}", "", "invalid JSON near byte 2"},
    {"[1,2]", "", "JSON body must be an object"},
    {"\"str\"", "", "JSON body must be an object"},
    {"1", "", "JSON body must be an object"},
    {"null", "", "JSON body must be an object"},
    {"true", "", "JSON body must be an object"},
    {"{\"a\":1,\"a\":2}", "a", "duplicate key 'a'"},
    {"{\"b\":0,\"a\":{},\"c\":1,\"a\":[]}", "a", "duplicate key 'a'"},
    {"{\"s\":[{\"x\":1},{\"y\":1,\"x\":1,\"x\":2}]}", "s[1][x]", "duplicate key 'x'"},
    {"{\"o\":{\"p\":{\"\":1,\"\":2}}}", "o[p][]", "duplicate key ''"},
    {"{\"a\":1e400}", "a", "number in 'a' is out of range"},
    {"{\"s\":[0,-1e999]}", "s[1]", "number in 's[1]' is out of range"},
    {"{\"a\":01}", "", "invalid JSON number '01' at byte 5"},
    {"{\"a\":-}", "", "invalid JSON number '-' at byte 5"},
    {"{\"a\":1.}", "", "invalid JSON number '1.' at byte 5"},
    {"{\"a\":1e}", "", "invalid JSON number '1e' at byte 5"},
    {"{\"a\":1e+}", "", "invalid JSON number '1e+' at byte 5"},
    {"{\"a\":1-2}", "", "invalid JSON number '1-2' at byte 5"},
    {"{\"a\":--1}", "", "invalid JSON number '--1' at byte 5"},
    {"{\"a\":.5}", "", "invalid JSON near byte 5"},
    {"{\"a\":+1}", "", "invalid JSON near byte 5"},
    {"{\"a\":0x10}", "", "invalid JSON near byte 6"},
    {"{\"a\":NaN}", "", "invalid JSON near byte 5"},
    {"{\"a\":Infinity}", "", "invalid JSON near byte 5"},
    {"{\"a\":\"x\\u0000y\"}", "", "JSON string contains '\\u0000' at byte 7"},
    {"{\"a\\u0000b\":1}", "", "JSON string contains '\\u0000' at byte 3"},
    {"{\"a\":\"x\ny\"}", "", "JSON string contains a raw control character at byte 7"},
    {"{\"a\":\"\x01\"}", "", "JSON string contains a raw control character at byte 6"},
    {"{\"a\":\"\\ud800\"}", "", "invalid JSON near byte 6"},
    {"{\"a\":\"\\udc00\"}", "", "invalid JSON near byte 6"},
    {"{\"a\":\"\\x41\"}", "", "invalid JSON near byte 6"},
    {"{\"a\":\"\xC0\xAF\"}", "", "body is not valid UTF-8 at byte 6"},
    {"{\"a\":\"\xED\xA0\x80\"}", "", "body is not valid UTF-8 at byte 6"},
    {"{\"a\":\"\xE0\x9F\xBF\"}", "", "body is not valid UTF-8 at byte 6"},
    {"{\"a\":\"\xF0\x8F\xBF\xBF\"}", "", "body is not valid UTF-8 at byte 6"},
    {"{\"a\":\"ok\xEF\xBF\xBF\xF4\x8F\xBF\xBF\xF0\x90\x80\x80\xE0\xA0\x80\xC2\x80\xFE\"}", "",
     "body is not valid UTF-8 at byte 24"},
    {"{\"a\":\"\xF4\x90\x80\x80\"}", "", "body is not valid UTF-8 at byte 6"},
    {"{\"a\":\"\xE2\x82\"}", "", "body is not valid UTF-8 at byte 6"},
    {"{\"a\":\"\xFF\"}", "", "body is not valid UTF-8 at byte 6"},
    {"{\"a\":\"\x80\"}", "", "body is not valid UTF-8 at byte 6"},
    {"{\"a\":\"unterminated}", "", "invalid JSON near byte 6"},
};

START_TEST(json_rejects_hostile_bodies)
{
    expect_failure(JSON_TYPE, json_bad_cases[_i].body, json_bad_cases[_i].field,
                   json_bad_cases[_i].message);
}
END_TEST

START_TEST(json_rejects_nul_bytes)
{
    static const char with_nul[] = "{\"a\":1}\0";
    expect_failure_len(JSON_TYPE, with_nul, sizeof with_nul - 1, BODY_MALFORMED, "",
                       "body contains a NUL byte at byte 7");
    static const char nul_in_string[] = "{\"a\":\"x\0y\"}";
    expect_failure_len(JSON_TYPE, nul_in_string, sizeof nul_in_string - 1, BODY_MALFORMED, "",
                       "body contains a NUL byte at byte 7");
    /* the exact length is used: the byte after `len` is not read as a terminator */
    static const char longer[] = "{\"a\":1}garbage";
    cJSON *out = NULL;
    struct body_error err;
    ck_assert_int_eq(body_parse(JSON_TYPE, longer, 7, &out, &err), BODY_OK);
    cJSON_Delete(out);
    expect_failure_len(JSON_TYPE, longer, 8, BODY_MALFORMED, "", "invalid JSON near byte 7");
    expect_failure_len(JSON_TYPE, longer, 6, BODY_MALFORMED, "", "invalid JSON near byte 6");
}
END_TEST

START_TEST(json_rejects_huge_numbers)
{
    char body[256];
    char digits[101];
    memset(digits, '9', 100);
    digits[100] = '\0';
    snprintf(body, sizeof body, "{\"a\":%s}", digits);
    expect_failure(JSON_TYPE, body, "",
                   "JSON number '9999999999999999999999999999999999999999999999999999999999999999"
                   "...' at byte 5 is longer than 63 characters");
    /* 63 characters is still read whole: 1e62 */
    snprintf(body, sizeof body, "{\"a\":1%.62s}",
             "00000000000000000000000000000000000000000000000000000000000000");
    cJSON *got = parse_ok(JSON_TYPE, body);
    ck_assert(cJSON_GetObjectItemCaseSensitive(got, "a")->valuedouble == 1e62);
    cJSON_Delete(got);
}
END_TEST

START_TEST(json_error_field_is_cut_on_utf8_boundary)
{
    /* a duplicate key of 127 ASCII bytes plus a 3-byte character: the field keeps 127 bytes */
    char key[131];
    memset(key, 'k', 127);
    memcpy(key + 127, "\xED\x95\x9C", 4);
    char body[400];
    snprintf(body, sizeof body, "{\"%s\":1,\"%s\":2}", key, key);
    struct body_error err;
    cJSON *out = NULL;
    ck_assert_int_eq(body_parse(JSON_TYPE, body, strlen(body), &out, &err), BODY_MALFORMED);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(strlen(err.field), 127);
    ck_assert_int_eq(strncmp(err.field, key, 127), 0);
    /* the message is cut too, and never inside a character */
    char long_key[300];
    memset(long_key, 'x', 238);
    strcpy(long_key + 238, "\xED\x95\x9C\xED\x95\x9C\xED\x95\x9C\xED\x95\x9C");
    char body2[700];
    snprintf(body2, sizeof body2, "{\"%s\":1,\"%s\":2}", long_key, long_key);
    ck_assert_int_eq(body_parse(JSON_TYPE, body2, strlen(body2), &out, &err), BODY_MALFORMED);
    /* "duplicate key '" is 15 bytes, then 238 'x' = 253; the next character would end at byte
     * 256, past the 255 that fit, so it is dropped whole */
    ck_assert_uint_eq(strlen(err.message), 253);
    ck_assert_uint_eq(strlen(err.field), 128);
}
END_TEST

START_TEST(json_many_keys_duplicate_found)
{
    /* 20000 distinct keys and one repeat at the end: found without quadratic work */
    size_t cap = 20000 * 16 + 64;
    char *body = xmalloc(cap);
    size_t n = 0;
    body[n++] = '{';
    for (int i = 0; i < 20000; i++)
        n += (size_t)snprintf(body + n, cap - n, "\"k%d\":%d,", i, i);
    n += (size_t)snprintf(body + n, cap - n, "\"k12345\":0}");
    expect_failure_len(JSON_TYPE, body, n, BODY_MALFORMED, "k12345", "duplicate key 'k12345'");
    free(body);
}
END_TEST

/* ---- form rejected ---- */

static const struct {
    const char *body;
    const char *field;
    const char *message;
} form_bad_cases[] = {
    {"%", "", "invalid percent-encoding in field name at byte 0"},
    {"a=1&b%=2", "", "invalid percent-encoding in field name at byte 5"},
    {"a=%", "a", "invalid percent-encoding in value of 'a' at byte 2"},
    {"a=%2", "a", "invalid percent-encoding in value of 'a' at byte 2"},
    {"a=%zz", "a", "invalid percent-encoding in value of 'a' at byte 2"},
    {"a=%2z", "a", "invalid percent-encoding in value of 'a' at byte 2"},
    {"a=%00", "a", "invalid percent-encoding in value of 'a' at byte 2"},
    {"x=1&a=b%00", "a", "invalid percent-encoding in value of 'a' at byte 7"},
    {"a%00=1", "", "invalid percent-encoding in field name at byte 1"},
    {"a=%C0%AF", "a", "value of 'a' is not valid UTF-8"},
    {"a=%E0%80%AF", "a", "value of 'a' is not valid UTF-8"},
    {"a=%F0%80%80%AF", "a", "value of 'a' is not valid UTF-8"},
    {"a=%ED%A0%80", "a", "value of 'a' is not valid UTF-8"},
    {"a=%C1%BF", "a", "value of 'a' is not valid UTF-8"},
    {"a=%F8%88%80%80%80", "a", "value of 'a' is not valid UTF-8"},
    {"a=%EF%BF%BF%F4%8F%BF%BF%80", "a", "value of 'a' is not valid UTF-8"},
    {"a=%F4%90%80%80", "a", "value of 'a' is not valid UTF-8"},
    {"a=%E2%82", "a", "value of 'a' is not valid UTF-8"},
    {"a=\xFF", "a", "value of 'a' is not valid UTF-8"},
    {"%FF=1", "", "field name at byte 0 is not valid UTF-8"},
    {"a=1&%C0%AF=1", "", "field name at byte 4 is not valid UTF-8"},
    {"a%0Ab=1", "", "field name at byte 0 contains a control character"},
    {"a%7F=1", "", "field name at byte 0 contains a control character"},
    {"a[", "a[", "unclosed '[' in field name 'a['"},
    {"a[b", "a[b", "unclosed '[' in field name 'a[b'"},
    {"a[b[c]]=1", "a[b[c]]", "unclosed '[' in field name 'a[b[c]]'"},
    {"a[b][", "a[b][", "unclosed '[' in field name 'a[b]['"},
    {"a]", "a]", "unexpected ']' in field name 'a]'"},
    {"a]b[c]=1", "a]b[c]", "unexpected ']' in field name 'a]b[c]'"},
    {"[x]=1", "[x]", "field name '[x]' has an empty name"},
    {"[]=1", "[]", "field name '[]' has an empty name"},
    {"=1", "", "empty field name at byte 0"},
    {"a=1&=2", "", "empty field name at byte 4"},
    {"a[b]c=1", "a[b]c", "unexpected 'c' after ']' in field name 'a[b]c'"},
    {"a[b]]=1", "a[b]]", "unexpected ']' after ']' in field name 'a[b]]'"},
    {"a[-1]=1", "a[-1]", "negative index '-1' in 'a[-1]'"},
    {"a[99999999999]=1", "a[99999999999]",
     "index '99999999999' in 'a[99999999999]' is larger than 1000"},
    {"a[1001]=1", "a[1001]", "index '1001' in 'a[1001]' is larger than 1000"},
    {"a[01]=1", "a[01]", "index '01' in 'a[01]' has a leading zero"},
    {"a[00]=1", "a[00]", "index '00' in 'a[00]' has a leading zero"},
    {"s[1][x]=1", "s[1][x]", "index 1 in 's[1][x]' is out of order (next index is 0)"},
    {"a[0]=1&a[2]=2", "a[2]", "index 2 in 'a[2]' is out of order (next index is 1)"},
    {"a[1000]=1", "a[1000]", "index 1000 in 'a[1000]' is out of order (next index is 0)"},
    {"a=1&a[b]=2", "a[b]", "field 'a[b]' conflicts with an earlier field"},
    {"a=1&a[]=2", "a[]", "field 'a[]' conflicts with an earlier field"},
    {"a[b]=1&a[0]=2", "a[0]", "field 'a[0]' conflicts with an earlier field"},
    {"a[b]=1&a[]=2", "a[]", "field 'a[]' conflicts with an earlier field"},
    {"a[0]=1&a[b]=2", "a[b]", "field 'a[b]' conflicts with an earlier field"},
    {"a[b]=1&a=2", "a", "field 'a' conflicts with an earlier field"},
    {"a[0][x]=1&a[0]=2", "a[0]", "field 'a[0]' conflicts with an earlier field"},
    {"a[0][x]=1&a[0][0]=2", "a[0][0]", "field 'a[0][0]' conflicts with an earlier field"},
    {"a=1&a=2", "a", "field 'a' is given more than once"},
    {"a&a", "a", "field 'a' is given more than once"},
    {"a[]=1&a[0]=2", "a[0]", "field 'a[0]' is given more than once"},
    {"a[x]=1&a[x]=2", "a[x]", "field 'a[x]' is given more than once"},
    {"a+b=1&a%20b=2", "a b", "field 'a b' is given more than once"},
    {"a[b][c][d][e][f][g][h][i][j]=1", "a[b][c][d][e][f][g][h][i][j]",
     "field name 'a[b][c][d][e][f][g][h][i][j]' is nested deeper than 8"},
    {"a[][][][][][][][][]=1", "a[][][][][][][][][]",
     "field name 'a[][][][][][][][][]' is nested deeper than 8"},
};

START_TEST(form_rejects_hostile_bodies)
{
    expect_failure(FORM_TYPE, form_bad_cases[_i].body, form_bad_cases[_i].field,
                   form_bad_cases[_i].message);
    /* the query parser follows the same rules */
    struct body_error err;
    cJSON *out = (cJSON *)1;
    ck_assert_int_eq(body_parse_query(form_bad_cases[_i].body, &out, &err), BODY_MALFORMED);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err.field, form_bad_cases[_i].field);
    ck_assert_str_eq(err.message, form_bad_cases[_i].message);
}
END_TEST

START_TEST(form_rejects_nul_bytes)
{
    static const char body[] = "a=1&b=x\0y";
    expect_failure_len(FORM_TYPE, body, sizeof body - 1, BODY_MALFORMED, "",
                       "body contains a NUL byte at byte 7");
}
END_TEST

static char *repeat_fields(size_t count, int distinct)
{
    char *s = xmalloc(count * 16 + 1);
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        if (i)
            s[n++] = '&';
        if (distinct)
            n += (size_t)sprintf(s + n, "f%zu=1", i);
        else
            n += (size_t)sprintf(s + n, "a[]=1");
    }
    s[n] = '\0';
    return s;
}

START_TEST(form_field_count_limit)
{
    char *at_limit = repeat_fields(BODY_FORM_MAX_FIELDS, 1);
    cJSON *got = parse_ok(FORM_TYPE, at_limit);
    ck_assert_int_eq(cJSON_GetArraySize(got), BODY_FORM_MAX_FIELDS);
    cJSON_Delete(got);
    free(at_limit);

    char *appends = repeat_fields(BODY_FORM_MAX_FIELDS, 0);
    got = parse_ok(FORM_TYPE, appends);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(got, "a")),
                     BODY_FORM_MAX_FIELDS);
    cJSON_Delete(got);
    free(appends);

    char *over = repeat_fields(BODY_FORM_MAX_FIELDS + 1, 1);
    expect_failure(FORM_TYPE, over, "", "more than 1000 fields");
    free(over);

    /* empty pairs do not count */
    char *empties = xmalloc(8000 + 2);
    memset(empties, '&', 8000);
    strcpy(empties + 8000, "a");
    got = parse_ok(FORM_TYPE, empties);
    assert_tree(got, "{\"a\":\"\"}", "many empty pairs");
    cJSON_Delete(got);
    free(empties);
}
END_TEST

START_TEST(form_key_length_limit)
{
    char key[BODY_FORM_MAX_KEY_LEN + 8];
    char body[BODY_FORM_MAX_KEY_LEN + 16];
    memset(key, 'k', BODY_FORM_MAX_KEY_LEN);
    key[BODY_FORM_MAX_KEY_LEN] = '\0';
    snprintf(body, sizeof body, "%s=1", key);
    cJSON *got = parse_ok(FORM_TYPE, body);
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(got, key));
    cJSON_Delete(got);

    snprintf(body, sizeof body, "%sk=1", key);
    expect_failure(FORM_TYPE, body, key, "field name longer than 128 bytes");

    /* the cap is on the decoded name: 128 'k' spelled as %6B is fine */
    char *encoded = xmalloc(BODY_FORM_MAX_KEY_LEN * 3 + 8);
    encoded[0] = '\0';
    for (int i = 0; i < BODY_FORM_MAX_KEY_LEN; i++)
        strcat(encoded, "%6B");
    strcat(encoded, "=1");
    got = parse_ok(FORM_TYPE, encoded);
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(got, key));
    cJSON_Delete(got);
    free(encoded);
}
END_TEST

/* ---- content types ---- */

static const char *const accepted_types[] = {
    "application/json",
    "Application/JSON",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
    "application/json; charset=\"utf-8\"",
    "application/json ; charset=utf-8 ; foo=bar",
    "  application/json  ",
    "application/json;",
    "application/json;;",
    "application/json; foo=\"a;b\"; charset=utf-8",
};

START_TEST(content_type_accepted)
{
    cJSON *got = parse_ok(accepted_types[_i], "{\"a\":\"1\"}");
    assert_tree(got, "{\"a\":\"1\"}", accepted_types[_i]);
    cJSON_Delete(got);
}
END_TEST

START_TEST(form_content_type_with_charset)
{
    cJSON *got = parse_ok("application/x-www-form-urlencoded; charset=UTF-8", "a=1");
    assert_tree(got, "{\"a\":\"1\"}", "form with charset");
    cJSON_Delete(got);
    got = parse_ok("APPLICATION/X-WWW-FORM-URLENCODED", "a=1");
    assert_tree(got, "{\"a\":\"1\"}", "form upper case");
    cJSON_Delete(got);
}
END_TEST

static const struct {
    const char *type;
    const char *message;
} rejected_types[] = {
    {"text/plain", "unsupported content type 'text/plain'"},
    {"application/jsonx", "unsupported content type 'application/jsonx'"},
    {"application/json-patch+json", "unsupported content type 'application/json-patch+json'"},
    {"application/jso", "unsupported content type 'application/jso'"},
    {"application/ json", "unsupported content type 'application/ json'"},
    {"multipart/form-data; boundary=xyz", "unsupported content type 'multipart/form-data'"},
    {"", "unsupported content type ''"},
    {"   ", "unsupported content type ''"},
    {"application/json; charset=latin1", "unsupported charset 'latin1'"},
    {"application/json; charset=utf8", "unsupported charset 'utf8'"},
    {"application/json; charset=", "unsupported charset ''"},
    {"application/json; CHARSET=\"iso-8859-1\"", "unsupported charset 'iso-8859-1'"},
    {"application/x-www-form-urlencoded; charset=euc-kr", "unsupported charset 'euc-kr'"},
    {"application/json; charset=utf-8; charset=latin1", "unsupported charset 'latin1'"},
    {"application/json; charset", "malformed content type parameter 'charset'"},
    {"application/json; charset=utf-8 x", "malformed content type parameter 'charset'"},
    {"application/json; charset=\"utf-8",
     "unterminated quoted value of content type parameter 'charset'"},
    {"text/\x01\xff", "unsupported content type 'text/?"
                      "?'"},
};

START_TEST(content_type_rejected)
{
    expect_failure_len(rejected_types[_i].type, "{}", 2, BODY_UNSUPPORTED_MEDIA_TYPE, "",
                       rejected_types[_i].message);
}
END_TEST

START_TEST(content_type_long_is_quoted_short)
{
    char type[1100];
    memset(type, 'x', 1000);
    strcpy(type + 1000, "/json");
    char want[128];
    snprintf(want, sizeof want, "unsupported content type '%.64s...'", type);
    expect_failure_len(type, "{}", 2, BODY_UNSUPPORTED_MEDIA_TYPE, "", want);
}
END_TEST

START_TEST(content_type_missing)
{
    expect_failure_len(NULL, "{}", 2, BODY_UNSUPPORTED_MEDIA_TYPE, "", "missing content type");
    expect_failure_len(NULL, "a=1", 3, BODY_UNSUPPORTED_MEDIA_TYPE, "", "missing content type");
}
END_TEST

START_TEST(empty_body_is_empty_object)
{
    static const char *const types[] = {
        NULL, JSON_TYPE, FORM_TYPE, "text/plain", "garbage;;=", "application/json; charset=latin1"};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct body_error err;
        cJSON *out = NULL;
        ck_assert_int_eq(body_parse(types[i], "", 0, &out, &err), BODY_OK);
        ck_assert_ptr_nonnull(out);
        assert_tree(out, "{}", types[i] ? types[i] : "(null)");
        cJSON_Delete(out);
        ck_assert_int_eq(body_parse(types[i], NULL, 0, &out, &err), BODY_OK);
        assert_tree(out, "{}", "NULL data");
        cJSON_Delete(out);
    }
}
END_TEST

START_TEST(error_struct_is_optional)
{
    cJSON *out = (cJSON *)1;
    ck_assert_int_eq(body_parse(JSON_TYPE, "{", 1, &out, NULL), BODY_MALFORMED);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(body_parse("text/plain", "x", 1, &out, NULL), BODY_UNSUPPORTED_MEDIA_TYPE);
    ck_assert_int_eq(body_parse_query("a=%", &out, NULL), BODY_MALFORMED);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(body_parse(FORM_TYPE, "a=1", 3, &out, NULL), BODY_OK);
    assert_tree(out, "{\"a\":\"1\"}", "a=1 without err");
    cJSON_Delete(out);
}
END_TEST

START_TEST(error_is_reset_on_success)
{
    struct body_error err;
    cJSON *out = NULL;
    ck_assert_int_eq(body_parse(JSON_TYPE, "{\"a\":1,\"a\":2}", 13, &out, &err), BODY_MALFORMED);
    ck_assert_str_eq(err.field, "a");
    ck_assert_int_eq(body_parse(JSON_TYPE, "{\"a\":1}", 7, &out, &err), BODY_OK);
    ck_assert_str_eq(err.field, "");
    ck_assert_str_eq(err.message, "");
    cJSON_Delete(out);
}
END_TEST

/* ---- query strings ---- */

START_TEST(query_parses_like_form)
{
    struct body_error err;
    cJSON *out = NULL;
    ck_assert_int_eq(body_parse_query(NULL, &out, &err), BODY_OK);
    assert_tree(out, "{}", "NULL query");
    cJSON_Delete(out);
    ck_assert_int_eq(body_parse_query("", &out, &err), BODY_OK);
    assert_tree(out, "{}", "empty query");
    cJSON_Delete(out);
    ck_assert_int_eq(
        body_parse_query("imp_uid=imp_1&merchant_uid=m%201&imp_success=true", &out, &err), BODY_OK);
    assert_tree(out, "{\"imp_uid\":\"imp_1\",\"merchant_uid\":\"m 1\",\"imp_success\":\"true\"}",
                "landing query");
    cJSON_Delete(out);
    /* a leading '?' is part of the first name, not stripped */
    ck_assert_int_eq(body_parse_query("?a=1", &out, &err), BODY_OK);
    assert_tree(out, "{\"?a\":\"1\"}", "?a=1");
    cJSON_Delete(out);
}
END_TEST

static Suite *suite_body(void)
{
    Suite *s = suite_create("body");
    TCase *tc = tcase_create("form_and_json");
    tcase_add_loop_test(tc, form_and_json_give_equal_trees, 0,
                        (int)(sizeof equal_cases / sizeof equal_cases[0]));
    tcase_add_test(tc, form_keeps_order_of_first_appearance);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_add_loop_test(tc, json_accepts_valid_objects, 0,
                        (int)(sizeof json_ok_cases / sizeof json_ok_cases[0]));
    tcase_add_loop_test(tc, json_rejects_hostile_bodies, 0,
                        (int)(sizeof json_bad_cases / sizeof json_bad_cases[0]));
    tcase_add_test(tc, json_depth_limit);
    tcase_add_test(tc, json_rejects_nul_bytes);
    tcase_add_test(tc, json_rejects_huge_numbers);
    tcase_add_test(tc, json_error_field_is_cut_on_utf8_boundary);
    tcase_add_test(tc, json_many_keys_duplicate_found);
    suite_add_tcase(s, tc);

    tc = tcase_create("form");
    tcase_add_loop_test(tc, form_rejects_hostile_bodies, 0,
                        (int)(sizeof form_bad_cases / sizeof form_bad_cases[0]));
    tcase_add_test(tc, form_rejects_nul_bytes);
    tcase_add_test(tc, form_field_count_limit);
    tcase_add_test(tc, form_key_length_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("content_type");
    tcase_add_loop_test(tc, content_type_accepted, 0,
                        (int)(sizeof accepted_types / sizeof accepted_types[0]));
    tcase_add_test(tc, form_content_type_with_charset);
    tcase_add_loop_test(tc, content_type_rejected, 0,
                        (int)(sizeof rejected_types / sizeof rejected_types[0]));
    tcase_add_test(tc, content_type_long_is_quoted_short);
    tcase_add_test(tc, content_type_missing);
    tcase_add_test(tc, empty_body_is_empty_object);
    suite_add_tcase(s, tc);

    tc = tcase_create("api");
    tcase_add_test(tc, error_struct_is_optional);
    tcase_add_test(tc, error_is_reset_on_success);
    tcase_add_test(tc, query_parses_like_form);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_body)
