/* charge_fields tests: every rule a charge or schedule item is checked against, and its message. */
#include <stdint.h>
#include <string.h>

#include "server/billing/charge_fields.h"
#include "server/core/clock.h"
#include "tests/lib/testlib.h"

/* 2026-12-06T14:59:59Z: 23:59:59 on 2026-12-06 in Korea, one second before the date turns. */
#define NOW_S INT64_C(1796569199)
#define MAX_AMOUNT INT64_C(100000000)

/* Reads json (an object) with the clock at NOW_S; *message gets the refusal. */
static int read_json(const char *json, const char *prefix, int with_schedule_at,
                     char message[CHARGE_MESSAGE_SIZE])
{
    struct clock clock = clock_fixed(NOW_S * 1000);
    struct charge_limits limits = {MAX_AMOUNT, &clock, with_schedule_at};
    struct charge_fields f;
    cJSON *obj = cJSON_Parse(json);
    ck_assert_msg(obj != NULL, "bad test JSON: %s", json);
    int rc = charge_fields_read(obj, prefix, &limits, &f, message);
    cJSON_Delete(obj);
    return rc;
}

START_TEST(a_full_charge_is_read)
{
    struct clock clock = clock_fixed(NOW_S * 1000);
    struct charge_limits limits = {MAX_AMOUNT, &clock, 0};
    struct charge_fields f;
    char message[CHARGE_MESSAGE_SIZE];
    cJSON *obj = cJSON_Parse("{\"merchant_uid\":\"order_2026-12.06:1\",\"amount\":9900,"
                             "\"tax_free\":\"900\",\"name\":\"월간 이용권 (12월)\","
                             "\"buyer_name\":\"홍길동\",\"buyer_email\":\"a@b.kr\","
                             "\"buyer_tel\":\"010-1234-5678\",\"custom_data\":\"{}\","
                             "\"extra\":{\"naverUseCfm\":\"20261206\"}}");
    ck_assert_int_eq(charge_fields_read(obj, "", &limits, &f, message), 0);
    ck_assert_str_eq(message, "");
    ck_assert_str_eq(f.merchant_uid, "order_2026-12.06:1");
    ck_assert_int_eq(f.amount, 9900);
    ck_assert_int_eq(f.tax_free, 900);
    ck_assert_str_eq(f.name, "월간 이용권 (12월)");
    ck_assert_str_eq(f.buyer_tel, "010-1234-5678");
    ck_assert_str_eq(f.naver_use_cfm, "20261206");
    ck_assert_ptr_nonnull(f.extra);
    ck_assert_ptr_null(f.buyer_addr);
    ck_assert_int_eq(f.schedule_at, 0);
    cJSON_Delete(obj);
}
END_TEST

static const struct {
    const char *json;
    const char *message;
} refused[] = {
    {"{\"amount\":1000}", "파라미터 누락: merchant_uid"},
    {"{\"merchant_uid\":\"m1\"}", "파라미터 누락: amount"},
    {"{\"merchant_uid\":\"m1\",\"amount\":null}", "파라미터 누락: amount"},
    {"{\"merchant_uid\":\"\",\"amount\":1}",
     "merchant_uid: 1~40자의 영문, 숫자와 _ . : - 만 쓸 수 있습니다."},
    {"{\"merchant_uid\":\"a b\",\"amount\":1}",
     "merchant_uid: 1~40자의 영문, 숫자와 _ . : - 만 쓸 수 있습니다."},
    {"{\"merchant_uid\":\"a/b\",\"amount\":1}",
     "merchant_uid: 1~40자의 영문, 숫자와 _ . : - 만 쓸 수 있습니다."},
    {"{\"merchant_uid\":\"주문1\",\"amount\":1}",
     "merchant_uid: 1~40자의 영문, 숫자와 _ . : - 만 쓸 수 있습니다."},
    {"{\"merchant_uid\":\"x'; DROP TABLE payments;--\",\"amount\":1}",
     "merchant_uid: 1~40자의 영문, 숫자와 _ . : - 만 쓸 수 있습니다."},
    {"{\"merchant_uid\":\"12345678901234567890123456789012345678901\",\"amount\":1}",
     "merchant_uid: 1~40자의 영문, 숫자와 _ . : - 만 쓸 수 있습니다."},
    {"{\"merchant_uid\":7,\"amount\":1}", "merchant_uid: 제어 문자가 없는 문자열이어야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":0}",
     "amount: 1 이상 100000000 이하의 정수(원)여야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":-100}",
     "amount: 1 이상 100000000 이하의 정수(원)여야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":100000001}",
     "amount: 1 이상 100000000 이하의 정수(원)여야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":99.5}",
     "amount: 1 이상 100000000 이하의 정수(원)여야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":\"1e3\"}",
     "amount: 1 이상 100000000 이하의 정수(원)여야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":true}",
     "amount: 1 이상 100000000 이하의 정수(원)여야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":1000,\"tax_free\":1001}",
     "tax_free: 0 이상 amount(1000) 이하의 정수(원)여야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":1000,\"tax_free\":-1}",
     "tax_free: 0 이상 amount(1000) 이하의 정수(원)여야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":1000,\"name\":"
     "\"가나다라마바사아자차카타파하가나다라마바사아자차카타파하가나다라마바사아자차카타파\"}",
     "name: 40자 이하여야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":1000,\"name\":\"a\\u0001b\"}",
     "name: 제어 문자가 없는 문자열이어야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":1000,\"buyer_tel\":\"01012345678901234\"}",
     "buyer_tel: 16바이트 이하여야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":1000,\"extra\":\"naverUseCfm=20261206\"}",
     "extra: 객체여야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":1000,\"extra\":{\"naverUseCfm\":\"20261205\"}}",
     "extra[naverUseCfm]: yyyyMMdd 형식의 결제일(20261206) 또는 그 이후 날짜여야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":1000,\"extra\":{\"naverUseCfm\":\"2026-12-06\"}}",
     "extra[naverUseCfm]: 8바이트 이하여야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":1000,\"extra\":{\"naverUseCfm\":\"20270230\"}}",
     "extra[naverUseCfm]: yyyyMMdd 형식의 결제일(20261206) 또는 그 이후 날짜여야 합니다."},
    {"{\"merchant_uid\":\"m1\",\"amount\":1000,\"extra\":{\"naverUseCfm\":20261207}}",
     "extra[naverUseCfm]: 제어 문자가 없는 문자열이어야 합니다."},
};

START_TEST(each_bad_field_is_named)
{
    char message[CHARGE_MESSAGE_SIZE];
    ck_assert_int_eq(read_json(refused[_i].json, "", 0, message), -1);
    ck_assert_str_eq(message, refused[_i].message);
}
END_TEST

START_TEST(limits_are_inclusive)
{
    char message[CHARGE_MESSAGE_SIZE];
    ck_assert_int_eq(
        read_json(
            "{\"merchant_uid\":\"1234567890123456789012345678901234567890\","
            "\"amount\":100000000,\"tax_free\":100000000,"
            "\"name\":\"가나다라마바사아자차카타파하가나다라마바사아자차카타파하가나다라마바사아자차카타\"}",
            "", 0, message),
        0);
    ck_assert_int_eq(read_json("{\"merchant_uid\":\"m\",\"amount\":1}", "", 0, message), 0);
    /* 2028-02-29 is a day; naverUseCfm today in Korea is accepted */
    ck_assert_int_eq(read_json("{\"merchant_uid\":\"m\",\"amount\":1,"
                               "\"extra\":{\"naverUseCfm\":\"20280229\"}}",
                               "", 0, message),
                     0);
    ck_assert_int_eq(
        read_json("{\"merchant_uid\":\"m\",\"amount\":1,\"extra\":{}}", "", 0, message), 0);
}
END_TEST

START_TEST(schedule_items_are_named_by_their_index)
{
    char message[CHARGE_MESSAGE_SIZE];
    ck_assert_int_eq(read_json("{\"merchant_uid\":\"m1\"}", "schedules[2]", 1, message), -1);
    ck_assert_str_eq(message, "파라미터 누락: schedules[2][amount]");
    ck_assert_int_eq(
        read_json("{\"merchant_uid\":\"m1\",\"amount\":1}", "schedules[0]", 1, message), -1);
    ck_assert_str_eq(message, "파라미터 누락: schedules[0][schedule_at]");
}
END_TEST

START_TEST(schedule_at_is_future_seconds)
{
    char message[CHARGE_MESSAGE_SIZE];
    ck_assert_int_eq(read_json("{\"merchant_uid\":\"m1\",\"amount\":1,\"schedule_at\":1796569200}",
                               "schedules[0]", 1, message),
                     0);
    ck_assert_int_eq(read_json("{\"merchant_uid\":\"m1\",\"amount\":1,\"schedule_at\":1796569199}",
                               "schedules[0]", 1, message),
                     -1);
    ck_assert_str_eq(message,
                     "schedules[0][schedule_at] 은 현재 시각(1796569199) 이후여야 합니다.");
    ck_assert_int_eq(read_json("{\"merchant_uid\":\"m1\",\"amount\":1,"
                               "\"schedule_at\":1796655600000}",
                               "schedules[0]", 1, message),
                     -1);
    ck_assert_str_eq(message, "schedules[0][schedule_at]: UNIX 시각은 초 단위로 보내세요. "
                              "1796655600000 은 밀리초 값으로 보입니다 (1796655600 초?).");
    ck_assert_int_eq(read_json("{\"merchant_uid\":\"m1\",\"amount\":1,\"schedule_at\":\"soon\"}",
                               "schedules[0]", 1, message),
                     -1);
    ck_assert_str_eq(message, "schedules[0][schedule_at]: UNIX 시각(초)의 정수여야 합니다.");
}
END_TEST

/* A schedule's naverUseCfm is compared with the date it runs on, not today. */
START_TEST(schedule_naver_use_cfm_follows_schedule_at)
{
    char message[CHARGE_MESSAGE_SIZE];
    /* runs 2026-12-31T15:00:00Z = 2027-01-01 in Korea */
    const char *late = "{\"merchant_uid\":\"m1\",\"amount\":1,\"schedule_at\":1798729200,"
                       "\"extra\":{\"naverUseCfm\":\"20261231\"}}";
    ck_assert_int_eq(read_json(late, "schedules[1]", 1, message), -1);
    ck_assert_str_eq(message, "schedules[1][extra][naverUseCfm]: yyyyMMdd 형식의 결제일(20270101) "
                              "또는 그 이후 날짜여야 합니다.");
    const char *ok = "{\"merchant_uid\":\"m1\",\"amount\":1,\"schedule_at\":1798729200,"
                     "\"extra\":{\"naverUseCfm\":\"20270101\"}}";
    ck_assert_int_eq(read_json(ok, "schedules[1]", 1, message), 0);
}
END_TEST

START_TEST(ids_and_dates_alone)
{
    ck_assert(charge_customer_uid_valid("cu_payco_0123456789abcdef01234567"));
    ck_assert(!charge_customer_uid_valid(""));
    ck_assert(!charge_customer_uid_valid(NULL));
    ck_assert(!charge_customer_uid_valid("a b"));
    ck_assert(!charge_customer_uid_valid("a/b"));
    ck_assert(!charge_customer_uid_valid("고객"));
    ck_assert(charge_naver_use_cfm_valid("20240229", "20240229"));
    ck_assert(!charge_naver_use_cfm_valid("20230229", "20000101"));
    ck_assert(!charge_naver_use_cfm_valid("20261300", "20000101"));
    ck_assert(!charge_naver_use_cfm_valid("20261200", "20000101"));
    ck_assert(!charge_naver_use_cfm_valid("2026120", "20000101"));
    ck_assert(!charge_naver_use_cfm_valid("2026120a", "20000101"));
    ck_assert(!charge_naver_use_cfm_valid(NULL, "20000101"));
}
END_TEST

static Suite *suite_charge_fields(void)
{
    Suite *s = suite_create("charge_fields");
    TCase *tc = tcase_create("charge_fields");
    tcase_add_test(tc, a_full_charge_is_read);
    tcase_add_loop_test(tc, each_bad_field_is_named, 0, sizeof refused / sizeof refused[0]);
    tcase_add_test(tc, limits_are_inclusive);
    tcase_add_test(tc, schedule_items_are_named_by_their_index);
    tcase_add_test(tc, schedule_at_is_future_seconds);
    tcase_add_test(tc, schedule_naver_use_cfm_follows_schedule_at);
    tcase_add_test(tc, ids_and_dates_alone);
    suite_add_tcase(s, tc);
    return s;
}

TESTLIB_MAIN(suite_charge_fields)
