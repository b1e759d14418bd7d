/* Logger tests: JSON lines, levels, and that secrets and card numbers never reach the output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/log.h"
#include "tests/lib/testlib.h"

static char *capture(void (*emit)(void))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    log_set_stream(f);
    emit();
    log_set_stream(NULL);
    fclose(f);
    return buf;
}

static void emit_secret_line(void)
{
    log_register_secret("s3cr3t-API-secret-value");
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "token", "prefix-s3cr3t-API-secret-value-suffix");
    log_json(LOG_INFO, "rid-1", "calling iamport with s3cr3t-API-secret-value", f);
}

START_TEST(secrets_are_redacted)
{
    char *out = capture(emit_secret_line);
    ck_assert_ptr_null(strstr(out, "s3cr3t"));
    ck_assert_ptr_nonnull(strstr(out, "prefix-[redacted]-suffix"));
    cJSON *line = cJSON_Parse(out);
    ck_assert_ptr_nonnull(line);
    ck_assert_str_eq(cJSON_GetObjectItem(line, "level")->valuestring, "info");
    ck_assert_str_eq(cJSON_GetObjectItem(line, "request_id")->valuestring, "rid-1");
    ck_assert_str_eq(cJSON_GetObjectItem(line, "msg")->valuestring,
                     "calling iamport with [redacted]");
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(line, "time"));
    cJSON_Delete(line);
    free(out);
    log_shutdown();
}
END_TEST

START_TEST(card_numbers_are_masked)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"card 4092123412341234 ok", "card 409212******1234 ok"},
        {"card 4092-1234-1234-1234", "card 4092-12**-****-1234"},
        {"card 4092 1234 1234 1234", "card 4092 12** **** 1234"},
        {"imp_123456789012", "imp_123456789012"},         /* 12 digits: not a card */
        {"1700000000", "1700000000"},                     /* timestamps stay */
        {"12345678901234567890", "12345678901234567890"}, /* 20 digits: not a card */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = log_scrub(cases[i].in);
        ck_assert_msg(strcmp(got, cases[i].out) == 0, "scrub('%s') = '%s', want '%s'", cases[i].in,
                      got, cases[i].out);
        free(got);
    }
}
END_TEST

/* Secrets that JSON escaping changes ('"' → \", '\\' → \\\\, control bytes → \uXXXX) must still
 * be found in the escaped line; bytes that JSON keeps as they are (UTF-8) too. */
static const char *const escaped_secrets[] = {
    "quote\"in-the-secret",
    "back\\slash-secret",
    "tab\tand\nnewline-secret",
    "\xeb\xb9\x84\xeb\xb0\x80-utf8-secret",
    "\"\\\"\\",
};

static void emit_escaped_secret_lines(void)
{
    for (size_t i = 0; i < sizeof escaped_secrets / sizeof escaped_secrets[0]; i++) {
        log_register_secret(escaped_secrets[i]);
        cJSON *f = cJSON_CreateObject();
        char *field = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&field, &len);
        fprintf(m, "a%sb", escaped_secrets[i]);
        fclose(m);
        cJSON_AddStringToObject(f, "detail", field);
        log_json(LOG_INFO, NULL, escaped_secrets[i], f);
        free(field);
    }
}

START_TEST(secrets_changed_by_json_escaping_are_redacted)
{
    char *out = capture(emit_escaped_secret_lines);
    size_t lines = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        cJSON *j = cJSON_Parse(line);
        ck_assert_msg(j != NULL, "not JSON: %s", line);
        ck_assert_msg(strcmp(cJSON_GetObjectItem(j, "msg")->valuestring, "[redacted]") == 0,
                      "secret %zu escaped the scrubber: %s", lines, line);
        ck_assert_msg(strcmp(cJSON_GetObjectItem(j, "detail")->valuestring, "a[redacted]b") == 0,
                      "secret %zu escaped the scrubber: %s", lines, line);
        cJSON_Delete(j);
    }
    ck_assert_int_eq(lines, sizeof escaped_secrets / sizeof escaped_secrets[0]);
    free(out);
    /* log_scrub on text that was never escaped still matches the raw value */
    char *raw = log_scrub("x quote\"in-the-secret y");
    ck_assert_str_eq(raw, "x [redacted] y");
    free(raw);
    log_shutdown();
}
END_TEST

/* A long message must not be cut in the middle of a secret before the scrubber sees it (a cut
 * secret no longer matches, and its first bytes would be logged). */
static void emit_long_messages(void)
{
    log_register_secret("s3cr3t-API-secret-value");
    for (int pad = 1000; pad < 1040; pad++)
        log_msg(LOG_INFO, NULL, "%*s s3cr3t-API-secret-value", pad, "x");
}

START_TEST(long_messages_do_not_cut_secrets)
{
    char *out = capture(emit_long_messages);
    ck_assert_ptr_null(strstr(out, "s3cr"));
    int lines = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        cJSON *j = cJSON_Parse(line);
        ck_assert_msg(j != NULL, "not JSON: %s", line);
        const char *msg = cJSON_GetObjectItem(j, "msg")->valuestring;
        size_t len = strlen(msg);
        ck_assert_msg(len > 11 && strcmp(msg + len - 11, " [redacted]") == 0, "msg: %s", msg);
        cJSON_Delete(j);
    }
    ck_assert_int_eq(lines, 40);
    free(out);
    log_shutdown();
}
END_TEST

/* When one secret is the start of another (a rotated key with a suffix), the longer one is
 * redacted whole, whichever was registered first. */
START_TEST(longest_secret_wins)
{
    log_register_secret("shop-key-0123456789abcdef");
    log_register_secret("shop-key-0123456789abcdef-rotated-2");
    char *got = log_scrub("k=shop-key-0123456789abcdef-rotated-2 old=shop-key-0123456789abcdef.");
    ck_assert_str_eq(got, "k=[redacted] old=[redacted].");
    free(got);
    log_shutdown();
}
END_TEST

/* Issue #12: the scrubber kept 64 values in one ring and every iamport token refresh added
 * one, so after ~30 hours the start-up secrets fell out. Only tokens rotate now. */
START_TEST(startup_secrets_outlive_hundreds_of_token_refreshes)
{
    static const char *const startup[] = {"db-password-Pa55", "imp-key-1234abcd",
                                          "imp-secret-value-xyz", "shop_key_0123456789abcdef"};
    for (size_t i = 0; i < sizeof startup / sizeof startup[0]; i++)
        log_register_secret(startup[i]);
    char token[64];
    for (int i = 0; i < 500; i++) { /* about ten days of 30-minute refreshes */
        snprintf(token, sizeof token, "iamport-access-token-%04d", i);
        log_register_token(token);
    }
    for (size_t i = 0; i < sizeof startup / sizeof startup[0]; i++) {
        char line[128];
        snprintf(line, sizeof line, "x=%s.", startup[i]);
        char *got = log_scrub(line);
        ck_assert_msg(strcmp(got, "x=[redacted].") == 0, "'%s' scrubbed to '%s'", line, got);
        free(got);
    }
    /* the newest 64 tokens are scrubbed, older ones have rotated out */
    char *got = log_scrub("t=iamport-access-token-0499 t=iamport-access-token-0436");
    ck_assert_str_eq(got, "t=[redacted] t=[redacted]");
    free(got);
    got = log_scrub("t=iamport-access-token-0435");
    ck_assert_str_eq(got, "t=iamport-access-token-0435");
    free(got);
    /* a token that is also a start-up secret stays (never rotated out) */
    log_register_token("imp-secret-value-xyz");
    for (int i = 0; i < 100; i++) {
        snprintf(token, sizeof token, "later-token-%04d", i);
        log_register_token(token);
    }
    got = log_scrub("imp-secret-value-xyz");
    ck_assert_str_eq(got, "[redacted]");
    free(got);
    log_shutdown();
}
END_TEST

static void emit_debug(void)
{
    log_set_level(LOG_WARN);
    log_msg(LOG_INFO, NULL, "hidden");
    log_msg(LOG_ERROR, NULL, "shown %d", 42);
    log_set_level(LOG_INFO);
}

START_TEST(levels_filter)
{
    char *out = capture(emit_debug);
    ck_assert_ptr_null(strstr(out, "hidden"));
    ck_assert_ptr_nonnull(strstr(out, "\"msg\":\"shown 42\""));
    ck_assert_ptr_nonnull(strstr(out, "\"level\":\"error\""));
    free(out);
    enum log_level l;
    ck_assert_int_eq(log_level_parse("debug", &l), 0);
    ck_assert_int_eq(l, LOG_DEBUG);
    ck_assert_int_eq(log_level_parse("verbose", &l), -1);
    ck_assert_int_eq(log_level_parse("", &l), -1);
}
END_TEST

static void emit_client_request_id_and_reserved_fields(void)
{
    log_register_secret("s3cr3t-API-secret-value");
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "time", "forged");
    cJSON_AddStringToObject(f, "level", "forged");
    cJSON_AddStringToObject(f, "msg", "forged");
    cJSON_AddStringToObject(f, "card", "4111111111111111");
    /* a request id is the client's own when it sends a valid X-Request-Id: still scrubbed */
    log_json(LOG_WARN, "s3cr3t-API-secret-value", "a message", f);
    log_json(LOG_INFO, "4111111111111111", "second", NULL);
}

/* Only time and level are left out of the scrub: the request id, msg and every field are
 * scrubbed; the caller's fields never replace time, level or msg; one line per call. */
START_TEST(request_ids_and_fields_are_scrubbed_and_reserved_keys_kept)
{
    char *out = capture(emit_client_request_id_and_reserved_fields);
    ck_assert_ptr_null(strstr(out, "s3cr3t"));
    ck_assert_ptr_null(strstr(out, "4111111111111111"));
    ck_assert_ptr_null(strstr(out, "forged"));
    size_t first_len = strcspn(out, "\n");
    ck_assert_int_eq(out[first_len], '\n');
    cJSON *line = cJSON_ParseWithLength(out, first_len);
    ck_assert_ptr_nonnull(line);
    ck_assert_str_eq(cJSON_GetObjectItem(line, "level")->valuestring, "warn");
    ck_assert_str_eq(cJSON_GetObjectItem(line, "request_id")->valuestring, "[redacted]");
    ck_assert_str_eq(cJSON_GetObjectItem(line, "msg")->valuestring, "a message");
    ck_assert_str_eq(cJSON_GetObjectItem(line, "card")->valuestring, "411111******1111");
    cJSON_Delete(line);
    line = cJSON_Parse(out + first_len + 1);
    ck_assert_ptr_nonnull(line);
    ck_assert_str_eq(cJSON_GetObjectItem(line, "request_id")->valuestring, "411111******1111");
    ck_assert_str_eq(cJSON_GetObjectItem(line, "msg")->valuestring, "second");
    cJSON_Delete(line);
    free(out);
    log_shutdown();
}
END_TEST

/* log_json prints the fields itself: every kind of value comes out as cJSON_PrintUnformatted
 * prints it (numbers whole, in hundredths or not, escapes, nested values), in order, with a
 * field that repeats an earlier name, time, level or msg left out. */
static cJSON *assorted_fields(void)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddNumberToObject(f, "whole", 12.0);
    cJSON_AddNumberToObject(f, "negative", -3);
    cJSON_AddNumberToObject(f, "hundredths", 16.74);
    cJSON_AddNumberToObject(f, "tenth", 0.1);
    cJSON_AddNumberToObject(f, "negative_hundredths", -0.05);
    cJSON_AddNumberToObject(f, "thousandths", 123.456);
    cJSON_AddNumberToObject(f, "tiny", 2.5e-7);
    cJSON_AddNumberToObject(f, "past_int", 2147483648.0);
    cJSON_AddNumberToObject(f, "huge", 1e20);
    cJSON_AddTrueToObject(f, "yes");
    cJSON_AddFalseToObject(f, "no");
    cJSON_AddNullToObject(f, "nothing");
    cJSON_AddStringToObject(f, "escapes", "q\"b\\c\b\f\n\r\t\x01\x1f/\x7f\xec\x8b\xa0");
    cJSON_AddStringToObject(f, "", "empty name");
    cJSON *nested = cJSON_AddObjectToObject(f, "nested");
    cJSON *list = cJSON_AddArrayToObject(nested, "list");
    cJSON_AddItemToArray(list, cJSON_CreateNumber(1.5));
    cJSON_AddItemToArray(list, cJSON_CreateString("x"));
    cJSON_AddRawToObject(f, "raw", "[1,2]");
    return f;
}

static void emit_assorted_fields(void)
{
    cJSON *f = assorted_fields();
    cJSON_AddStringToObject(f, "whole", "repeated: left out");
    cJSON_AddStringToObject(f, "time", "forged");
    cJSON_AddStringToObject(f, "msg", "forged");
    log_json(LOG_INFO, NULL, "m", f);
}

START_TEST(fields_print_as_cjson_prints_them)
{
    char *out = capture(emit_assorted_fields);
    cJSON *want = assorted_fields();
    char *fields = cJSON_PrintUnformatted(want);
    char *expected = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&expected, &len);
    fprintf(m, "\"level\":\"info\",\"msg\":\"m\",%s\n", fields + 1);
    fclose(m);
    ck_assert_int_eq(strncmp(out, "{\"time\":\"", 9), 0);
    const char *level = strstr(out, "\"level\"");
    ck_assert_ptr_nonnull(level);
    ck_assert_str_eq(level, expected);
    /* the time stamp: 2026-12-07T04:28:45.906Z */
    ck_assert_int_eq(level - out, 9 + 24 + 2);
    ck_assert_int_eq(out[9 + 4], '-');
    ck_assert_int_eq(out[9 + 10], 'T');
    ck_assert_int_eq(out[9 + 19], '.');
    ck_assert_int_eq(out[9 + 23], 'Z');
    free(expected);
    cJSON_free(fields);
    cJSON_Delete(want);
    free(out);
}
END_TEST

static Suite *suite_log(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");
    tcase_add_test(tc, secrets_are_redacted);
    tcase_add_test(tc, card_numbers_are_masked);
    tcase_add_test(tc, secrets_changed_by_json_escaping_are_redacted);
    tcase_add_test(tc, long_messages_do_not_cut_secrets);
    tcase_add_test(tc, longest_secret_wins);
    tcase_add_test(tc, levels_filter);
    tcase_add_test(tc, startup_secrets_outlive_hundreds_of_token_refreshes);
    tcase_add_test(tc, request_ids_and_fields_are_scrubbed_and_reserved_keys_kept);
    tcase_add_test(tc, fields_print_as_cjson_prints_them);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_log)
