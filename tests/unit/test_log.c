/* Logger tests: JSON lines, levels, and that secrets and card numbers never reach the output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
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
        {"imp_123456789012", "imp_123456789012"},              /* 12 digits: not a card */
        {"1700000000", "1700000000"},                          /* timestamps stay */
        {"12345678901234567890", "12345678901234567890"},      /* 20 digits: not a card */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = log_scrub(cases[i].in);
        ck_assert_msg(strcmp(got, cases[i].out) == 0, "scrub('%s') = '%s', want '%s'",
                      cases[i].in, got, cases[i].out);
        free(got);
    }
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

static Suite *suite_log(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");
    tcase_add_test(tc, secrets_are_redacted);
    tcase_add_test(tc, card_numbers_are_masked);
    tcase_add_test(tc, levels_filter);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_log)
