/* Unit tests for server/iamport/iamport_scan.c: the scanner reads every answer as the cJSON path
 * does (same structs, same failures), over the sandbox's answers and their edge cases. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/iamport/iamport_scan.h"
#include "server/core/xalloc.h"
#include "tests/lib/scan_diff.h"
#include "tests/lib/testlib.h"

/* The sandbox's Payment (sandbox/sb_models.c's shape), with `%s` where a test puts members. */
#define PAYMENT_HEAD                                                                                  \
    "{\"imp_uid\":\"imp_123456789012\",\"merchant_uid\":\"bk_m_1\",\"pay_method\":\"card\","          \
    "\"channel\":\"api\",\"pg_provider\":\"kakaopay\",\"emb_pg_provider\":null,"                      \
    "\"pg_tid\":\"T1234\",\"pg_id\":\"TCSUBSCRIP\",\"apply_num\":\"30001234\","                       \
    "\"bank_code\":null,\"bank_name\":null,\"card_code\":\"361\",\"card_name\":\"BC카드\","         \
    "\"card_number\":\"910003******1234\",\"card_issuer_code\":null,\"card_issuer_name\":null,"       \
    "\"card_publisher_code\":null,\"card_publisher_name\":null,\"vbank_code\":null,"                  \
    "\"vbank_name\":null,\"vbank_num\":null,\"vbank_holder\":null,\"name\":\"정기결제 등록\","  \
    "\"buyer_name\":\"홍길동\",\"buyer_email\":\"a@example.com\",\"buyer_tel\":\"010-1234-5678\"," \
    "\"buyer_addr\":null,\"buyer_postcode\":null,\"custom_data\":\"{\\\"plan\\\":\\\"pro\\\"}\","     \
    "\"user_agent\":\"sorry_not_supported\",\"fail_reason\":null,\"cancel_reason\":null,"             \
    "\"receipt_url\":\"https://sandbox.invalid/r/1\",\"customer_uid\":\"cust_1\","                    \
    "\"customer_uid_usage\":\"issue\",\"card_quota\":0,\"vbank_date\":0,\"vbank_issued_at\":0,"       \
    "\"amount\":9900,\"cancel_amount\":0,\"paid_at\":1700000000,\"failed_at\":0,"                     \
    "\"cancelled_at\":0,\"card_type\":null,\"currency\":\"KRW\",\"status\":\"paid\","                 \
    "\"started_at\":1699999990,\"escrow\":false,\"sandbox\":true,\"cash_receipt_issued\":false,"
#define PAYMENT_TAIL "\"cancel_receipt_urls\":[],\"deposit_history\":[],\"promotion\":null}"
#define ENTRY(n)                                                                                   \
    "{\"pg_tid\":\"c" #n "\",\"amount\":" #n "00,\"cancelled_at\":170000000" #n ","                \
    "\"reason\":\"환불\",\"cancellation_id\":\"sandbox_cncl_" #n "\","                             \
    "\"receipt_url\":\"https://sandbox.invalid/c/" #n "\"}"

#define CUSTOMER                                                                                         \
    "{\"customer_uid\":\"cust_1\",\"pg_provider\":\"kakaopay\",\"pg_id\":\"TCSUBSCRIP\","                \
    "\"customer_id\":\"user-7\",\"card_name\":\"신한카드\",\"card_number\":\"4092-12**-****-1234\"," \
    "\"card_type\":0,\"card_code\":null,\"card_issuer_code\":null,\"card_issuer_name\":null,"            \
    "\"card_publisher_code\":null,\"card_publisher_name\":null,\"customer_name\":null,"                  \
    "\"customer_tel\":null,\"customer_email\":null,\"customer_addr\":null,"                              \
    "\"customer_postcode\":null,\"inserted\":1700000000,\"updated\":1700000000,"                         \
    "\"sandbox\":false}"

static char *payment(const char *history)
{
    return xasprintf(PAYMENT_HEAD "\"cancel_history\":%s," PAYMENT_TAIL, history);
}

static char *envelope(const char *response)
{
    return xasprintf("{\"code\":0,\"message\":null,\"response\":%s}", response);
}

/* Both paths on body as an answer (lookup and money call) and as a bare document. */
static void same(const char *label, long http, const char *body, size_t len, bool customer)
{
    for (int money = 0; money < 2; money++) {
        char *d = scan_diff_answer(http, body, len, customer, money);
        ck_assert_msg(d == NULL, "%s (%.*s): %s", label, (int)(len < 300 ? len : 300), body, d);
    }
    char *d = scan_diff_document(body, len, customer);
    ck_assert_msg(d == NULL, "%s as a document (%.*s): %s", label, (int)(len < 300 ? len : 300),
                  body, d);
}

/* `response` wrapped in the envelope, and bare. */
static void same_response(const char *label, const char *response, bool customer)
{
    char *body = envelope(response);
    same(label, 200, body, strlen(body), customer);
    char *d = scan_diff_document(response, strlen(response), customer);
    ck_assert_msg(d == NULL, "%s bare (%s): %s", label, response, d);
    free(body);
}

/* An object with `member` first (it wins over the base's own) and last (the base's wins). */
static void same_member(const char *label, const char *member, bool customer)
{
    const char *base = customer ? CUSTOMER : NULL;
    char *p = base ? NULL : payment("[" ENTRY(1) "]");
    const char *obj = base ? base : p;
    char *first = xasprintf("{%s,%s", member, obj + 1);
    char *last = xasprintf("%.*s,%s}", (int)strlen(obj) - 1, obj, member);
    char *alone = xasprintf("{%s}", member);
    same_response(label, first, customer);
    same_response(label, last, customer);
    same_response(label, alone, customer);
    free(first);
    free(last);
    free(alone);
    free(p);
}

static const char *const payment_fields[] = {"currency",
                                             "name",
                                             "pay_method",
                                             "channel",
                                             "pg_provider",
                                             "emb_pg_provider",
                                             "pg_tid",
                                             "pg_id",
                                             "apply_num",
                                             "card_code",
                                             "card_name",
                                             "card_number",
                                             "buyer_name",
                                             "buyer_email",
                                             "buyer_tel",
                                             "buyer_addr",
                                             "buyer_postcode",
                                             "customer_uid",
                                             "customer_uid_usage",
                                             "fail_reason",
                                             "cancel_reason",
                                             "receipt_url",
                                             "started_at",
                                             "paid_at",
                                             "failed_at",
                                             "cancelled_at",
                                             "imp_uid",
                                             "merchant_uid",
                                             "status",
                                             "amount",
                                             "cancel_amount",
                                             "card_quota",
                                             "card_type",
                                             "sandbox",
                                             "escrow",
                                             "custom_data",
                                             "cancel_history",
                                             "unknown_member"};
static const char *const customer_fields[] = {"customer_id",
                                              "pg_provider",
                                              "pg_id",
                                              "card_name",
                                              "card_code",
                                              "card_number",
                                              "card_issuer_code",
                                              "card_issuer_name",
                                              "card_publisher_code",
                                              "card_publisher_name",
                                              "customer_name",
                                              "customer_tel",
                                              "customer_email",
                                              "customer_addr",
                                              "customer_postcode",
                                              "customer_uid",
                                              "card_type",
                                              "inserted",
                                              "updated",
                                              "sandbox"};
static const char *const values[] = {"null",
                                     "true",
                                     "false",
                                     "0",
                                     "1000",
                                     "-1",
                                     "1.5",
                                     "\"s\"",
                                     "\"\"",
                                     "[]",
                                     "{}",
                                     "[1,{\"a\":null}]",
                                     "{\"x\":[true,\"\\u00e9\"]}",
                                     "[" ENTRY(1) "," ENTRY(2) "," ENTRY(3) "]",
                                     "[null]",
                                     "[1]",
                                     "[{\"amount\":\"1\"}]",
                                     "[{}]"};

START_TEST(sandbox_answers_read_the_same)
{
    const char *histories[] = {"[]", "[" ENTRY(1) "]", "[" ENTRY(1) "," ENTRY(2) "," ENTRY(3) "]",
                               "null"};
    for (size_t i = 0; i < sizeof histories / sizeof histories[0]; i++) {
        char *p = payment(histories[i]);
        same_response("sandbox payment", p, false);
        free(p);
    }
    same_response("sandbox customer", CUSTOMER, true);
    const char *answers[] = {
        "{\"code\":1,\"message\":\"존재하지 않는 결제정보입니다.\",\"response\":null}",
        "{\"code\":-1,\"message\":\"카드 한도초과\",\"response\":null}",
        "{\"code\":0,\"message\":\"\",\"response\":null}",
        "{\"code\":0,\"message\":null}",
        "{\"code\":0,\"message\":\"ok\",\"response\":[]}",
        "{\"code\":0,\"message\":7,\"response\":{}}",
        "{\"response\":{\"imp_uid\":\"i\"},\"code\":0}",
        "{\"code\":0.5,\"response\":null}",
        "{\"code\":\"0\",\"response\":null}",
        "{\"code\":2147483648,\"response\":null}",
        "{\"code\":-2147483648,\"message\":\"m\",\"response\":null}",
        "{\"code\":1e0,\"message\":\"e\",\"response\":null}",
        "{\"code\":0,\"code\":1,\"message\":\"first wins\",\"response\":null}",
        "{\"code\":null,\"code\":0,\"response\":null}",
        "[{\"code\":0}]",
        "<html>502 Bad Gateway</html>",
        "",
    };
    long statuses[] = {200, 201, 404, 500, 401};
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++)
        for (size_t j = 0; j < sizeof statuses / sizeof statuses[0]; j++)
            for (int customer = 0; customer < 2; customer++)
                same(answers[i], statuses[j], answers[i], strlen(answers[i]), customer);
}
END_TEST

START_TEST(every_field_with_every_type_and_duplicates)
{
    for (size_t f = 0; f < sizeof payment_fields / sizeof payment_fields[0]; f++)
        for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
            char *member = xasprintf("\"%s\":%s", payment_fields[f], values[v]);
            same_member(member, member, false);
            free(member);
        }
    for (size_t f = 0; f < sizeof customer_fields / sizeof customer_fields[0]; f++)
        for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
            char *member = xasprintf("\"%s\":%s", customer_fields[f], values[v]);
            same_member(member, member, true);
            free(member);
        }
    const char *entry_fields[] = {"pg_tid",          "amount",      "cancelled_at", "reason",
                                  "cancellation_id", "receipt_url", "other"};
    for (size_t f = 0; f < sizeof entry_fields / sizeof entry_fields[0]; f++)
        for (size_t v = 0; v < 13; v++) {
            char *history = xasprintf("[" ENTRY(1) ",{\"%s\":%s,\"amount\":5}," ENTRY(3) "]",
                                      entry_fields[f], values[v]);
            char *p = payment(history);
            same_response(history, p, false);
            free(p);
            free(history);
        }
}
END_TEST

START_TEST(numbers_read_as_strtod_reads_them)
{
    const char *numbers[] = {"1000",
                             "1000.0",
                             "1e3",
                             "1E+3",
                             "1000.5",
                             "-1",
                             "-0",
                             "0",
                             "9007199254740991",
                             "9007199254740992",
                             "9007199254740993",
                             "-9007199254740991",
                             "-9007199254740993",
                             "123456789012345",
                             "1234567890123456",
                             "12345678901234567890",
                             "1e308",
                             "1e309",
                             "-1e400",
                             "1e-400",
                             "4.9e-324",
                             "0001000",
                             "01",
                             "-01",
                             "1.",
                             "1.e3",
                             "1.5e1",
                             "15e-1",
                             "0.1e1",
                             ".5",
                             "+1",
                             "1e",
                             "1e+",
                             "--1",
                             "-",
                             "1-",
                             "1.2.3",
                             "0x10",
                             "1f",
                             "Infinity",
                             "NaN",
                             "-Infinity",
                             "1 2",
                             "2147483648",
                             "-2147483649",
                             "100000000000000000000000000000000000000000000000000000000000000",
                             "1000000000000000000000000000000000000000000000000000000000000000",
                             "0.00000000000000000000000000000000000000000000000000000000000001",
                             "1.0000000000000000000000000000000000000000000000000000000000000e3"};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++) {
        const char *fields[] = {"amount", "paid_at", "card_type", "cancel_amount"};
        for (size_t f = 0; f < 4; f++) {
            char *member = xasprintf("\"%s\":%s", fields[f], numbers[i]);
            same_member(member, member, false);
            free(member);
        }
        char *member = xasprintf("\"inserted\":%s", numbers[i]);
        same_member(member, member, true);
        free(member);
        char *body = xasprintf("{\"code\":%s,\"message\":\"m\",\"response\":null}", numbers[i]);
        same(body, 200, body, strlen(body), false);
        same(body, 400, body, strlen(body), false);
        free(body);
    }
}
END_TEST

START_TEST(strings_decode_byte_for_byte)
{
    const char *strings[] = {"\"plain\"",
                             "\"\\u00e9t\\u00E9\"",
                             "\"\\ud83d\\ude00\"",
                             "\"\\uD834\\uDD1E x\"",
                             "\"\\ud83d\"",
                             "\"\\ud83dx\"",
                             "\"\\ud83d\\u0041\"",
                             "\"\\ude00\"",
                             "\"\\u0000cut\"",
                             "\"a\\u0000\"",
                             "\"\\uZZZZtail\"",
                             "\"\\u12\"",
                             "\"\\u123\"",
                             "\"\\u00\\\\\"",
                             "\"\\u000\\\\\"",
                             "\"\\x\"",
                             "\"\\'\"",
                             "\"\\/\\\\\\\"\\b\\f\\n\\r\\t\"",
                             "\"tab\there\"",
                             "\"ctl\x01\x1f\x7f\"",
                             "\"\\",
                             "\"unterminated",
                             "\"\\\"",
                             "\"한국어 결제\"",
                             "\"\xff\xfe bad\"",
                             "\"\xc3\"",
                             "\"\xc0\xaf\"",
                             "\"\xed\xa0\x80\"",
                             "\"\xf4\x90\x80\x80\"",
                             "\"\xef\xbb\xbf bom inside\"",
                             "\"\\u0080\\u07ff\\u0800\\uffff\"",
                             "\"\\uDBFF\\uDFFF\"",
                             "\"\\uDC00\\uD800\""};
    const char *fields[] = {"imp_uid", "status", "fail_reason", "custom_data"};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        for (size_t f = 0; f < 4; f++) {
            char *member = xasprintf("\"%s\":%s", fields[f], strings[i]);
            same_member(member, member, false);
            free(member);
        }
        char *member = xasprintf("\"customer_uid\":%s", strings[i]);
        same_member(member, member, true);
        free(member);
        char *body = xasprintf("{\"code\":3,\"message\":%s,\"response\":null}", strings[i]);
        same(body, 200, body, strlen(body), false);
        free(body);
        char *obj = xasprintf("{\"custom_data\":{\"k\":%s,%s:1}}", strings[i], strings[i]);
        same_response(obj, obj, false);
        free(obj);
    }
}
END_TEST

START_TEST(escaped_keys_match_as_cjson_keys)
{
    const char *members[] = {
        "\"imp\\u005fuid\":\"escaped\"",
        "\"imp_uid\\u0000junk\":\"nul cut\"",
        "\"amount\\u0000\":5",
        "\"\\u0061mount\":6",
        "\"amount \":7",
        "\"Amount\":8",
        "\"imp_uid\\uZZZZ\":\"bad hex\"",
        "\"status\\ud83d\\ude00\":\"pair\"",
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\u0000\":1",
        "\"amount\\u0000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":2",
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\u0000\":3",
        "\"\\u0000\":4",
        "\"\":5",
        "\"\\ud83d\":1",
        "\"\xff\":1",
        "\"custom\\/data\":{}"};
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        same_member(members[i], members[i], false);
        same_member(members[i], members[i], true);
    }
    same("escaped envelope keys", 200,
         "{\"\\u0063ode\":0,\"mess\\u0061ge\":\"m\",\"respons\\u0065\":" CUSTOMER "}",
         strlen("{\"\\u0063ode\":0,\"mess\\u0061ge\":\"m\",\"respons\\u0065\":" CUSTOMER "}"),
         true);
}
END_TEST

START_TEST(truncated_documents_and_trailing_bytes)
{
    char *p = payment("[" ENTRY(1) "," ENTRY(2) "]");
    char *body = envelope(p);
    size_t len = strlen(body);
    for (size_t n = 0; n <= len; n++)
        same("prefix", 200, body, n, false);
    const char *tails[] = {"",   " ",  "\n\t\r ", "\x01\x1f", "x",  "}",   ",",    "0",
                           "{}", "//", "\xff",    "\x7f",     "\0", "\0x", " null"};
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        size_t tail_len =
            tails[i][0] == '\0' && i > 0 ? strlen(tails[i] + 1) + 1 : strlen(tails[i]);
        char *b = xmalloc(len + tail_len + 8);
        memcpy(b, body, len);
        memcpy(b + len, tails[i], tail_len);
        same("trailing", 200, b, len + tail_len, false);
        /* and in front: BOM, whitespace, garbage */
        const char *heads[] = {"\xEF\xBB\xBF", " \x01", "\xEF\xBB", "\xEF\xBB\xBF\xEF\xBB\xBF"};
        for (size_t h = 0; h < 4; h++) {
            size_t hl = strlen(heads[h]);
            memcpy(b, heads[h], hl);
            memcpy(b + hl, body, len);
            same("leading", 200, b, hl + len, false);
        }
        free(b);
    }
    /* a NUL byte inside */
    char *nul = xstrdup(body);
    nul[len / 2] = '\0';
    same("nul inside", 200, nul, len, false);
    same("bom only", 200, "\xEF\xBB\xBF", 3, false);
    same("bom and 1", 200,
         "\xEF\xBB\xBF"
         "1",
         4, false);
    same("short bom", 200, "\xEF\xBB\xBF{}", 5, false);
    free(nul);
    free(body);
    free(p);
}
END_TEST

/* custom_data nested `depth` arrays deep (plus the envelope's and the payment's objects). */
static char *nested(size_t depth, char open, char close)
{
    char *s = xmalloc(2 * depth + 1);
    memset(s, open, depth);
    memset(s + depth, close, depth);
    s[2 * depth] = '\0';
    return s;
}

START_TEST(deep_nesting_stops_where_cjson_stops)
{
    size_t depths[] = {1, 2, 100, 996, 997, 998, 999, 1000, 1001, 1500};
    for (size_t i = 0; i < sizeof depths / sizeof depths[0]; i++) {
        char *arrays = nested(depths[i], '[', ']');
        char *member = xasprintf("\"custom_data\":%s", arrays);
        same_member("deep custom_data", member, false);
        char *doc = xasprintf("%s", arrays);
        same("deep document", 200, doc, strlen(doc), false);
        free(doc);
        free(member);
        free(arrays);
        /* objects: {"a":{"a":...}} */
        size_t d = depths[i];
        char *objs = xmalloc(6 * d + 8);
        size_t o = 0;
        for (size_t k = 0; k < d; k++)
            o += (size_t)sprintf(objs + o, "{\"a\":");
        o += (size_t)sprintf(objs + o, "1");
        for (size_t k = 0; k < d; k++)
            objs[o++] = '}';
        objs[o] = '\0';
        char *obj_member = xasprintf("\"custom_data\":%s", objs);
        same_member("deep objects", obj_member, false);
        free(obj_member);
        free(objs);
    }
}
END_TEST

START_TEST(structure_errors_are_refused_alike)
{
    const char *docs[] = {
        "{\"imp_uid\":\"i\",}", "{\"imp_uid\" \"i\"}", "{\"imp_uid\":}", "{imp_uid:\"i\"}",
        "{'imp_uid':'i'}", "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\":[1 2]}", "{\"a\":tru}",
        "{\"a\":nul}", "{\"a\":falsey}", "{\"a\":truefalse}", "{\"a\":nullx}", "{,}", "{", "}", "[",
        "]", "{\"a\":[}", "{\"a\":{]}", "{\"a\" : [ 1 , { } , [ ] ] , \"b\" : null }",
        "{\n\t\"imp_uid\"\r:\x01\"i\"\x02,\x03\"merchant_uid\":\"m\",\"status\":\"paid\","
        "\"amount\":1\x1f}",
        "{\"a\":\"\\u\"}", "{\"a\":1}{}", "{}}", "null", "true", "\"str\"", "12", "[]",
        /* a skimmed response counts brackets only: mismatches and malformed insides */
        "{\"a\":[1}]", "[{]}", "{\"a\":[\"]\"}]}", "{\"a\":\"}\"}", "{\"a\":[\"\\\"]\"]}",
        "{\"a\":{\"b\":1,}}", "{\"a\":[01x]}"};
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        same_response(docs[i], docs[i], false);
        same_response(docs[i], docs[i], true);
        same(docs[i], 200, docs[i], strlen(docs[i]), false);
    }
}
END_TEST

START_TEST(invalid_utf8_is_repaired_before_both)
{
    const char *bodies[] = {
        "{\"code\":0,\"message\":\"\xff\",\"response\":{\"imp_uid\":\"i\xfe\","
        "\"merchant_uid\":\"m\",\"status\":\"paid\",\"amount\":1,\"fail_reason\":\"\xc3(\"}}",
        "{\"code\":0,\"response\":{\"customer_uid\":\"c\xe2\x82\",\"card_name\":\"\xed\xa0\x80\"}}",
        "\xff{\"code\":0}", "{\"code\":0,\"response\":{\"\xff\":1}}\xff",
        "{\"code\":1,\"message\":\"\xc0\xaf \xe0\x80\xaf\",\"response\":null}"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        for (int customer = 0; customer < 2; customer++)
            same(bodies[i], 200, bodies[i], strlen(bodies[i]), customer);
}
END_TEST

START_TEST(declined_payments_are_flagged_for_metrics)
{
    char *p = payment("[]");
    char *failed = xasprintf("{\"status\":\"failed\",%s", p + 1);
    same_response("failed first", failed, false);
    struct iamport_payment out;
    struct iamport_error err;
    memset(&out, 0, sizeof out);
    memset(&err, 0, sizeof err);
    out.card_type = -1;
    ck_assert_int_eq(iamport_scan_payment(failed, strlen(failed), &out, &err), IAMPORT_OK);
    ck_assert_str_eq(out.status_text, "failed");
    ck_assert_str_eq(out.card_name, "BC카드");
    ck_assert_str_eq(out.custom_data, "{\"plan\":\"pro\"}");
    ck_assert_int_eq(out.amount, 9900);
    ck_assert_int_eq(out.card_type, -1);
    ck_assert(out.sandbox);
    iamport_payment_release(&out);
    free(failed);
    free(p);
}
END_TEST

static Suite *suite_iamport_scan(void)
{
    Suite *s = suite_create("iamport_scan");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, sandbox_answers_read_the_same);
    tcase_add_test(tc, every_field_with_every_type_and_duplicates);
    tcase_add_test(tc, numbers_read_as_strtod_reads_them);
    tcase_add_test(tc, strings_decode_byte_for_byte);
    tcase_add_test(tc, escaped_keys_match_as_cjson_keys);
    tcase_add_test(tc, truncated_documents_and_trailing_bytes);
    tcase_add_test(tc, deep_nesting_stops_where_cjson_stops);
    tcase_add_test(tc, structure_errors_are_refused_alike);
    tcase_add_test(tc, invalid_utf8_is_repaired_before_both);
    tcase_add_test(tc, declined_payments_are_flagged_for_metrics);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_iamport_scan)
