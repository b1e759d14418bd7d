/* json_util tests: typed getters (exact statuses and values), messages, and output helpers. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/body.h"
#include "server/core/json_util.h"
#include "tests/lib/testlib.h"

/* An object {"v": <value_json>} built from JSON text. Caller deletes. */
static cJSON *holder(const char *value_json)
{
    cJSON *obj = cJSON_CreateObject();
    ck_assert_ptr_nonnull(obj);
    cJSON *value = cJSON_Parse(value_json);
    ck_assert_msg(value != NULL, "bad test value '%s'", value_json);
    cJSON_AddItemToObject(obj, "v", value);
    return obj;
}

/* ---- json_get_str ---- */

START_TEST(str_present_absent_null)
{
    cJSON *obj = cJSON_Parse("{\"name\":\"\xED\x99\x8D\",\"empty\":\"\",\"nothing\":null}");
    const char *out = "sentinel";
    ck_assert_int_eq(json_get_str(obj, "name", JSON_REQUIRED, 0, &out, NULL), JSON_OK);
    ck_assert_str_eq(out, "\xED\x99\x8D");
    ck_assert_ptr_eq(out, cJSON_GetObjectItemCaseSensitive(obj, "name")->valuestring);
    ck_assert_int_eq(json_get_str(obj, "empty", JSON_REQUIRED, 0, &out, NULL), JSON_OK);
    ck_assert_str_eq(out, "");

    out = "sentinel";
    ck_assert_int_eq(json_get_str(obj, "absent", JSON_OPTIONAL, 0, &out, NULL), JSON_OK);
    ck_assert_ptr_null(out);
    out = "sentinel";
    ck_assert_int_eq(json_get_str(obj, "nothing", JSON_OPTIONAL, 0, &out, NULL), JSON_OK);
    ck_assert_ptr_null(out);
    out = "sentinel";
    ck_assert_int_eq(json_get_str(obj, "absent", JSON_REQUIRED, 0, &out, NULL), JSON_MISSING);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(json_get_str(obj, "nothing", JSON_REQUIRED, 0, &out, NULL), JSON_MISSING);
    /* keys are case-sensitive */
    ck_assert_int_eq(json_get_str(obj, "Name", JSON_REQUIRED, 0, &out, NULL), JSON_MISSING);
    ck_assert_int_eq(json_get_str(obj, "NAME", JSON_OPTIONAL, 0, &out, NULL), JSON_OK);
    ck_assert_ptr_null(out);
    cJSON_Delete(obj);
}
END_TEST

START_TEST(str_not_an_object)
{
    const char *out = "sentinel";
    ck_assert_int_eq(json_get_str(NULL, "v", JSON_REQUIRED, 0, &out, NULL), JSON_MISSING);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(json_get_str(NULL, "v", JSON_OPTIONAL, 0, &out, NULL), JSON_OK);
    cJSON *array = cJSON_Parse("[\"v\"]");
    ck_assert_int_eq(json_get_str(array, "v", JSON_REQUIRED, 0, &out, NULL), JSON_MISSING);
    cJSON_Delete(array);
    cJSON *obj = holder("\"x\"");
    ck_assert_int_eq(json_get_str(obj, NULL, JSON_REQUIRED, 0, &out, NULL), JSON_MISSING);
    cJSON_Delete(obj);
}
END_TEST

static const struct {
    const char *value_json;
    size_t max_len;
    enum json_status want;
} str_cases[] = {
    {"\"abc\"", 3, JSON_OK},
    {"\"abcd\"", 3, JSON_TOO_LONG},
    {"\"abcd\"", 0, JSON_OK},
    {"\"\xED\x99\x8D\"", 3, JSON_OK}, /* length is in bytes: one Hangul syllable is 3 */
    {"\"\xED\x99\x8D\"", 2, JSON_TOO_LONG},
    {"\"\"", 1, JSON_OK},
    {"123", 0, JSON_WRONG_TYPE},
    {"true", 0, JSON_WRONG_TYPE},
    {"{}", 0, JSON_WRONG_TYPE},
    {"[\"a\"]", 0, JSON_WRONG_TYPE},
    {"\"a\\nb\"", 0, JSON_WRONG_TYPE},
    {"\"a\\tb\"", 0, JSON_WRONG_TYPE},
    {"\"a\\rb\"", 0, JSON_WRONG_TYPE},
    {"\"\\u001f\"", 0, JSON_WRONG_TYPE},
    {"\"\\u007f\"", 0, JSON_WRONG_TYPE},
    {"\"\\u0080\"", 0, JSON_OK},       /* U+0080 is two UTF-8 bytes, neither is a control byte */
    {"\"a\\nb\"", 1, JSON_WRONG_TYPE}, /* control characters are checked before length */
    {"\" 12 \"", 0, JSON_OK},
};

START_TEST(str_types_and_lengths)
{
    cJSON *obj = holder(str_cases[_i].value_json);
    const char *out = "sentinel";
    enum json_status st = json_get_str(obj, "v", JSON_REQUIRED, str_cases[_i].max_len, &out, NULL);
    ck_assert_msg(st == str_cases[_i].want, "%s (max %zu): status %d, want %d",
                  str_cases[_i].value_json, str_cases[_i].max_len, st, str_cases[_i].want);
    if (st == JSON_OK)
        ck_assert_ptr_eq(out, cJSON_GetObjectItemCaseSensitive(obj, "v")->valuestring);
    else
        ck_assert_ptr_null(out);
    cJSON_Delete(obj);
}
END_TEST

/* ---- json_get_int64 ---- */

static const struct {
    const char *value_json;
    enum json_status want;
    int64_t value; /* when JSON_OK */
} int_cases[] = {
    {"1000", JSON_OK, 1000},
    {"-1000", JSON_OK, -1000},
    {"0", JSON_OK, 0},
    {"-0", JSON_OK, 0},
    {"1000.0", JSON_OK, 1000},
    {"1e3", JSON_OK, 1000},
    {"9007199254740991", JSON_OK, INT64_C(9007199254740991)},
    {"-9007199254740991", JSON_OK, -INT64_C(9007199254740991)},
    {"9007199254740992", JSON_OUT_OF_RANGE, 0}, /* 2^53 */
    {"9007199254740993", JSON_OUT_OF_RANGE, 0}, /* 2^53+1 parses as 2^53 */
    {"-9007199254740993", JSON_OUT_OF_RANGE, 0},
    {"1e300", JSON_OUT_OF_RANGE, 0},
    {"1.5", JSON_WRONG_TYPE, 0},
    {"-0.5", JSON_WRONG_TYPE, 0},
    {"1e-7", JSON_WRONG_TYPE, 0},
    {"\"1000\"", JSON_OK, 1000},
    {"\"-1000\"", JSON_OK, -1000},
    {"\"00123\"", JSON_OK, 123},
    {"\"-0\"", JSON_OK, 0},
    {"\"-000\"", JSON_OK, 0},
    {"\"9007199254740993\"", JSON_OK, INT64_C(9007199254740993)}, /* strings are exact */
    {"\"9223372036854775807\"", JSON_OK, INT64_MAX},
    {"\"-9223372036854775808\"", JSON_OK, INT64_MIN},
    {"\"0009223372036854775807\"", JSON_OK, INT64_MAX},
    {"\"9223372036854775808\"", JSON_OUT_OF_RANGE, 0},
    {"\"-9223372036854775809\"", JSON_OUT_OF_RANGE, 0},
    {"\"18446744073709551616\"", JSON_OUT_OF_RANGE, 0},
    {"\"99999999999999999999999999999999\"", JSON_OUT_OF_RANGE, 0},
    {"\"99999999999999999999999999999999x\"", JSON_WRONG_TYPE, 0},
    {"\" 12\"", JSON_WRONG_TYPE, 0},
    {"\"12 \"", JSON_WRONG_TYPE, 0},
    {"\"1 2\"", JSON_WRONG_TYPE, 0},
    {"\"\"", JSON_WRONG_TYPE, 0},
    {"\"-\"", JSON_WRONG_TYPE, 0},
    {"\"--1\"", JSON_WRONG_TYPE, 0},
    {"\"+12\"", JSON_WRONG_TYPE, 0},
    {"\"1e3\"", JSON_WRONG_TYPE, 0},
    {"\"1.0\"", JSON_WRONG_TYPE, 0},
    {"\"1,000\"", JSON_WRONG_TYPE, 0},
    {"\"0x10\"", JSON_WRONG_TYPE, 0},
    {"\"12\\n\"", JSON_WRONG_TYPE, 0},
    {"\"\xD9\xA3\"", JSON_WRONG_TYPE, 0},     /* ARABIC-INDIC DIGIT THREE */
    {"\"\xEF\xBC\x91\"", JSON_WRONG_TYPE, 0}, /* FULLWIDTH DIGIT ONE */
    {"\"NaN\"", JSON_WRONG_TYPE, 0},
    {"true", JSON_WRONG_TYPE, 0},
    {"false", JSON_WRONG_TYPE, 0},
    {"[1]", JSON_WRONG_TYPE, 0},
    {"{\"a\":1}", JSON_WRONG_TYPE, 0},
};

START_TEST(int64_values)
{
    cJSON *obj = holder(int_cases[_i].value_json);
    int64_t out = 77;
    int present = -1;
    enum json_status st =
        json_get_int64(obj, "v", JSON_REQUIRED, INT64_MIN, INT64_MAX, &out, &present, NULL);
    ck_assert_msg(st == int_cases[_i].want, "%s: status %d, want %d", int_cases[_i].value_json, st,
                  int_cases[_i].want);
    ck_assert_int_eq(present, 1);
    if (st == JSON_OK)
        ck_assert_int_eq(out, int_cases[_i].value);
    else
        ck_assert_int_eq(out, 77);
    cJSON_Delete(obj);
}
END_TEST

START_TEST(int64_nonfinite_number)
{
    /* body_parse rejects these, but a hand-built tree can hold them */
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddNumberToObject(obj, "inf", HUGE_VAL);
    cJSON_AddNumberToObject(obj, "nan", NAN);
    int64_t out = 5;
    ck_assert_int_eq(
        json_get_int64(obj, "inf", JSON_REQUIRED, INT64_MIN, INT64_MAX, &out, NULL, NULL),
        JSON_WRONG_TYPE);
    ck_assert_int_eq(
        json_get_int64(obj, "nan", JSON_REQUIRED, INT64_MIN, INT64_MAX, &out, NULL, NULL),
        JSON_WRONG_TYPE);
    ck_assert_int_eq(out, 5);
    cJSON_Delete(obj);
}
END_TEST

/* clang-format off */
static const struct {
    const char *value_json;
    enum json_status want;
} range_cases[] = {
    {"0", JSON_OUT_OF_RANGE},      {"1", JSON_OK},
    {"100000000", JSON_OK},        {"100000001", JSON_OUT_OF_RANGE},
    {"-1", JSON_OUT_OF_RANGE},     {"\"0\"", JSON_OUT_OF_RANGE},
    {"\"1\"", JSON_OK},            {"\"100000000\"", JSON_OK},
    {"\"100000001\"", JSON_OUT_OF_RANGE}, {"\"-5\"", JSON_OUT_OF_RANGE},
};
/* clang-format on */

START_TEST(int64_range)
{
    cJSON *obj = holder(range_cases[_i].value_json);
    int64_t out = 0;
    enum json_status st = json_get_int64(obj, "v", JSON_REQUIRED, 1, 100000000, &out, NULL, NULL);
    ck_assert_msg(st == range_cases[_i].want, "%s: status %d, want %d", range_cases[_i].value_json,
                  st, range_cases[_i].want);
    cJSON_Delete(obj);
}
END_TEST

START_TEST(int64_absent)
{
    cJSON *obj = cJSON_Parse("{\"n\":null}");
    int64_t out = 42;
    int present = -1;
    ck_assert_int_eq(json_get_int64(obj, "amount", JSON_OPTIONAL, 0, 10, &out, &present, NULL),
                     JSON_OK);
    ck_assert_int_eq(out, 42);
    ck_assert_int_eq(present, 0);
    present = -1;
    ck_assert_int_eq(json_get_int64(obj, "n", JSON_OPTIONAL, 0, 10, &out, &present, NULL), JSON_OK);
    ck_assert_int_eq(present, 0);
    ck_assert_int_eq(out, 42);
    ck_assert_int_eq(json_get_int64(obj, "amount", JSON_REQUIRED, 0, 10, &out, &present, NULL),
                     JSON_MISSING);
    ck_assert_int_eq(json_get_int64(obj, "n", JSON_REQUIRED, 0, 10, &out, NULL, NULL),
                     JSON_MISSING);
    ck_assert_int_eq(out, 42);
    cJSON_Delete(obj);
}
END_TEST

/* ---- json_get_bool ---- */

/* clang-format off */
static const struct {
    const char *value_json;
    enum json_status want;
    int value;
} bool_cases[] = {
    {"true", JSON_OK, 1},          {"false", JSON_OK, 0},
    {"\"true\"", JSON_OK, 1},      {"\"false\"", JSON_OK, 0},
    {"\"1\"", JSON_OK, 1},         {"\"0\"", JSON_OK, 0},
    {"\"TRUE\"", JSON_WRONG_TYPE, 0}, {"\"True\"", JSON_WRONG_TYPE, 0},
    {"\"yes\"", JSON_WRONG_TYPE, 0},  {"\"\"", JSON_WRONG_TYPE, 0},
    {"\" true\"", JSON_WRONG_TYPE, 0}, {"\"true \"", JSON_WRONG_TYPE, 0},
    {"\"01\"", JSON_WRONG_TYPE, 0},   {"\"2\"", JSON_WRONG_TYPE, 0},
    {"1", JSON_WRONG_TYPE, 0},        {"0", JSON_WRONG_TYPE, 0},
    {"[]", JSON_WRONG_TYPE, 0},       {"{}", JSON_WRONG_TYPE, 0},
};
/* clang-format on */

START_TEST(bool_values)
{
    cJSON *obj = holder(bool_cases[_i].value_json);
    int out = 9, present = -1;
    enum json_status st = json_get_bool(obj, "v", JSON_REQUIRED, &out, &present, NULL);
    ck_assert_msg(st == bool_cases[_i].want, "%s: status %d, want %d", bool_cases[_i].value_json,
                  st, bool_cases[_i].want);
    ck_assert_int_eq(present, 1);
    ck_assert_int_eq(out, st == JSON_OK ? bool_cases[_i].value : 9);
    cJSON_Delete(obj);
}
END_TEST

START_TEST(bool_absent)
{
    cJSON *obj = cJSON_Parse("{\"n\":null}");
    int out = 9, present = -1;
    ck_assert_int_eq(json_get_bool(obj, "flag", JSON_OPTIONAL, &out, &present, NULL), JSON_OK);
    ck_assert_int_eq(out, 9);
    ck_assert_int_eq(present, 0);
    ck_assert_int_eq(json_get_bool(obj, "n", JSON_REQUIRED, &out, &present, NULL), JSON_MISSING);
    ck_assert_int_eq(present, 0);
    ck_assert_int_eq(json_get_bool(obj, "flag", JSON_REQUIRED, &out, NULL, NULL), JSON_MISSING);
    ck_assert_int_eq(out, 9);
    cJSON_Delete(obj);
}
END_TEST

/* ---- messages ---- */

/* The message for a json_error that carries no detail (as if filled by hand). */
static const char *generic_message(enum json_status st, const char *key, char *buf, size_t n)
{
    struct json_error e = {.status = st};
    if (key)
        snprintf(e.field, sizeof e.field, "%s", key);
    return json_error_message(&e, buf, n);
}

START_TEST(messages_carry_details)
{
    cJSON *obj = cJSON_Parse("{\"amount\":0,\"price\":1.5,\"name\":\"" /* 41 bytes */
                             "12345678901234567890123456789012345678901\","
                             "\"memo\":\"a\\nb\",\"flag\":\"yes\",\"title\":5,"
                             "\"big\":9007199254740993}");
    char buf[128];
    int64_t n;
    const char *s;
    int b;
    struct json_error e;
    ck_assert_int_eq(json_get_int64(obj, "amount", JSON_REQUIRED, 1, 100000000, &n, NULL, &e),
                     JSON_OUT_OF_RANGE);
    ck_assert_str_eq(json_error_message(&e, buf, sizeof buf), "amount: out of range 1..100000000");
    ck_assert_int_eq(json_get_int64(obj, "price", JSON_REQUIRED, 1, 100, &n, NULL, &e),
                     JSON_WRONG_TYPE);
    ck_assert_str_eq(json_error_message(&e, buf, sizeof buf), "price: must be an integer");
    ck_assert_int_eq(json_get_int64(obj, "missing", JSON_REQUIRED, 1, 100, &n, NULL, &e),
                     JSON_MISSING);
    ck_assert_str_eq(json_error_message(&e, buf, sizeof buf), "missing: required");
    ck_assert_int_eq(json_get_str(obj, "name", JSON_REQUIRED, 40, &s, &e), JSON_TOO_LONG);
    ck_assert_str_eq(json_error_message(&e, buf, sizeof buf), "name: longer than 40 bytes");
    ck_assert_int_eq(json_get_str(obj, "memo", JSON_REQUIRED, 0, &s, &e), JSON_WRONG_TYPE);
    ck_assert_str_eq(json_error_message(&e, buf, sizeof buf),
                     "memo: must not contain control characters");
    ck_assert_int_eq(json_get_str(obj, "title", JSON_REQUIRED, 0, &s, &e), JSON_WRONG_TYPE);
    ck_assert_str_eq(json_error_message(&e, buf, sizeof buf), "title: must be a string");
    ck_assert_int_eq(json_get_bool(obj, "flag", JSON_REQUIRED, &b, NULL, &e), JSON_WRONG_TYPE);
    ck_assert_str_eq(json_error_message(&e, buf, sizeof buf), "flag: must be a boolean");
    ck_assert_int_eq(json_get_int64(obj, "big", JSON_REQUIRED, INT64_MIN, INT64_MAX, &n, NULL, &e),
                     JSON_OUT_OF_RANGE);
    ck_assert_str_eq(json_error_message(&e, buf, sizeof buf),
                     "big: out of range -9007199254740991..9007199254740991");
    cJSON_Delete(obj);
}
END_TEST

START_TEST(messages_without_details)
{
    char buf[64];
    /* no detail (expected type, bounds, length): generic wording */
    ck_assert_str_eq(generic_message(JSON_WRONG_TYPE, "zzz", buf, sizeof buf),
                     "zzz: has the wrong type");
    ck_assert_str_eq(generic_message(JSON_OUT_OF_RANGE, "zzz", buf, sizeof buf),
                     "zzz: out of range");
    ck_assert_str_eq(generic_message(JSON_TOO_LONG, "zzz", buf, sizeof buf), "zzz: too long");
    ck_assert_str_eq(generic_message(JSON_MISSING, "zzz", buf, sizeof buf), "zzz: required");
    ck_assert_str_eq(generic_message(JSON_OK, "zzz", buf, sizeof buf), "zzz: ok");
    ck_assert_str_eq(generic_message(JSON_MISSING, NULL, buf, sizeof buf), "value: required");
    ck_assert_str_eq(generic_message((enum json_status)99, "zzz", buf, sizeof buf), "zzz: invalid");

    /* details live in the caller's json_error: another getter's failure is not used, and a
     * getter that succeeds leaves err untouched */
    cJSON *obj = cJSON_Parse("{\"amount\":0}");
    int64_t n;
    struct json_error e;
    ck_assert_int_eq(json_get_int64(obj, "amount", JSON_REQUIRED, 1, 9, &n, NULL, &e),
                     JSON_OUT_OF_RANGE);
    ck_assert_int_eq(json_get_int64(obj, "amount", JSON_REQUIRED, 0, 9, &n, NULL, &e), JSON_OK);
    ck_assert_str_eq(json_error_message(&e, buf, sizeof buf), "amount: out of range 1..9");
    ck_assert_str_eq(generic_message(JSON_OUT_OF_RANGE, "other", buf, sizeof buf),
                     "other: out of range");
    ck_assert_str_eq(generic_message(JSON_WRONG_TYPE, "amount", buf, sizeof buf),
                     "amount: has the wrong type");
    cJSON_Delete(obj);
}
END_TEST

START_TEST(messages_truncate)
{
    char buf[8];
    memset(buf, 'X', sizeof buf);
    ck_assert_ptr_eq(generic_message(JSON_MISSING, "amount", buf, 5), buf);
    ck_assert_str_eq(buf, "amou");
    ck_assert_int_eq(buf[5], 'X');
    buf[0] = 'Q';
    ck_assert_ptr_eq(generic_message(JSON_MISSING, "amount", buf, 0), buf);
    ck_assert_int_eq(buf[0], 'Q');
    ck_assert_ptr_null(generic_message(JSON_MISSING, "amount", NULL, 0));
}
END_TEST

/* ---- output helpers ---- */

START_TEST(add_str_or_null_and_print)
{
    cJSON *obj = cJSON_CreateObject();
    json_add_str_or_null(obj, "imp_uid", "imp_123");
    json_add_str_or_null(obj, "fail_reason", NULL);
    json_add_str_or_null(obj, "name", "\xED\x99\x8D \"q\"\n");
    char *text = json_print(obj);
    ck_assert_str_eq(text, "{\"imp_uid\":\"imp_123\",\"fail_reason\":null,\"name\":\"\xED\x99\x8D "
                           "\\\"q\\\"\\n\"}");
    cJSON_free(text);
    cJSON_Delete(obj);
    ck_assert_ptr_null(json_print(NULL));
}
END_TEST

START_TEST(print_is_compact)
{
    cJSON *obj = cJSON_Parse("{ \"a\" : [ 1 , 2 ],\n \"b\" : { } , \"c\" : -7 }");
    char *text = json_print(obj);
    ck_assert_str_eq(text, "{\"a\":[1,2],\"b\":{},\"c\":-7}");
    cJSON_free(text);
    cJSON_Delete(obj);
}
END_TEST

/* ---- with body_parse: form strings and JSON numbers read the same ---- */

START_TEST(getters_over_parsed_bodies)
{
    static const struct {
        const char *type, *body;
    } bodies[] = {
        {"application/x-www-form-urlencoded",
         "customer_uid=c1&amount=1000&extra[vat]=0&pay_now=true"},
        {"application/json",
         "{\"customer_uid\":\"c1\",\"amount\":1000,\"extra\":{\"vat\":0},\"pay_now\":true}"},
    };
    for (size_t i = 0; i < 2; i++) {
        cJSON *root = NULL;
        struct body_error err;
        ck_assert_int_eq(
            body_parse(bodies[i].type, bodies[i].body, strlen(bodies[i].body), &root, &err),
            BODY_OK);
        const char *uid;
        int64_t amount = 0, vat = -1;
        int pay_now = 0, present = 0;
        ck_assert_int_eq(json_get_str(root, "customer_uid", JSON_REQUIRED, 80, &uid, NULL),
                         JSON_OK);
        ck_assert_str_eq(uid, "c1");
        ck_assert_int_eq(
            json_get_int64(root, "amount", JSON_REQUIRED, 1, 100000000, &amount, &present, NULL),
            JSON_OK);
        ck_assert_int_eq(amount, 1000);
        ck_assert_int_eq(present, 1);
        const cJSON *extra = cJSON_GetObjectItemCaseSensitive(root, "extra");
        ck_assert_int_eq(
            json_get_int64(extra, "vat", JSON_OPTIONAL, 0, 100000000, &vat, NULL, NULL), JSON_OK);
        ck_assert_int_eq(vat, 0);
        ck_assert_int_eq(json_get_bool(root, "pay_now", JSON_REQUIRED, &pay_now, NULL, NULL),
                         JSON_OK);
        ck_assert_int_eq(pay_now, 1);
        cJSON_Delete(root);
    }
}
END_TEST

static Suite *suite_json_util(void)
{
    Suite *s = suite_create("json_util");
    TCase *tc = tcase_create("str");
    tcase_add_test(tc, str_present_absent_null);
    tcase_add_test(tc, str_not_an_object);
    tcase_add_loop_test(tc, str_types_and_lengths, 0,
                        (int)(sizeof str_cases / sizeof str_cases[0]));
    suite_add_tcase(s, tc);

    tc = tcase_create("int64");
    tcase_add_loop_test(tc, int64_values, 0, (int)(sizeof int_cases / sizeof int_cases[0]));
    tcase_add_test(tc, int64_nonfinite_number);
    tcase_add_loop_test(tc, int64_range, 0, (int)(sizeof range_cases / sizeof range_cases[0]));
    tcase_add_test(tc, int64_absent);
    suite_add_tcase(s, tc);

    tc = tcase_create("bool");
    tcase_add_loop_test(tc, bool_values, 0, (int)(sizeof bool_cases / sizeof bool_cases[0]));
    tcase_add_test(tc, bool_absent);
    suite_add_tcase(s, tc);

    tc = tcase_create("messages");
    tcase_add_test(tc, messages_carry_details);
    tcase_add_test(tc, messages_without_details);
    tcase_add_test(tc, messages_truncate);
    suite_add_tcase(s, tc);

    tc = tcase_create("output");
    tcase_add_test(tc, add_str_or_null_and_print);
    tcase_add_test(tc, print_is_compact);
    tcase_add_test(tc, getters_over_parsed_bodies);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_json_util)
