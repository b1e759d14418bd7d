/* One charge's fields (again's body, or one schedules[] item), read and checked before iamport is called. */
#include "server/billing/charge_fields.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server/billing/kst.h"
#include "server/core/clock.h"
#include "server/core/json_util.h"
#include "server/core/utf8.h"

#define FIELD_NAME_SIZE 96

/* Writes a refusal into message (CHARGE_MESSAGE_SIZE bytes) and returns -1. */
static int refuse(char *message, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int refuse(char *message, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, CHARGE_MESSAGE_SIZE, fmt, ap);
    va_end(ap);
    utf8_trim_partial(message);
    return -1;
}

/* "amount" or "schedules[0][amount]". */
static const char *field_name(char buf[FIELD_NAME_SIZE], const char *prefix, const char *key)
{
    int n = prefix && prefix[0] ? snprintf(buf, FIELD_NAME_SIZE, "%s[%s]", prefix, key)
                                : snprintf(buf, FIELD_NAME_SIZE, "%s", key);
    if (n < 0 || n >= FIELD_NAME_SIZE)
        utf8_trim_partial(buf); /* cut: names are ASCII, but stay whole characters anyway */
    return buf;
}

int charge_merchant_uid_valid(const char *s)
{
    static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789_.:-";
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= CHARGE_MERCHANT_UID_MAX && strspn(s, allowed) == n;
}

int charge_customer_uid_valid(const char *s)
{
    size_t n = 0;
    for (; s && s[n]; n++)
        if ((unsigned char)s[n] <= 0x20 || (unsigned char)s[n] >= 0x7f || s[n] == '/')
            return 0;
    return s && n >= 1 && n <= CHARGE_CUSTOMER_UID_MAX;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int charge_naver_use_cfm_valid(const char *s, const char *earliest)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!s || strlen(s) != 8 || strspn(s, "0123456789") != 8)
        return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[4] - '0') * 10 + (s[5] - '0');
    int d = (s[6] - '0') * 10 + (s[7] - '0');
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days[m - 1] + (m == 2 && is_leap(y)))
        return 0;
    return earliest && strcmp(s, earliest) >= 0; /* same width, digits: text order is date order */
}

/* An optional string of at most max_bytes (0: any); required ones refuse when absent. */
static int read_str(const cJSON *obj, const char *prefix, const char *key, int required,
                    size_t max_bytes, const char **out, char *message)
{
    char name[FIELD_NAME_SIZE];
    struct json_error err;
    switch (json_get_str(obj, key, required, max_bytes, out, &err)) {
    case JSON_OK:
        return 0;
    case JSON_MISSING:
        return refuse(message, "파라미터 누락: %s", field_name(name, prefix, key));
    case JSON_TOO_LONG:
        return refuse(message, "%s: %zu바이트 이하여야 합니다.", field_name(name, prefix, key),
                      max_bytes);
    case JSON_WRONG_TYPE:
    case JSON_OUT_OF_RANGE:
        break;
    }
    return refuse(message, "%s: 제어 문자가 없는 문자열이어야 합니다.",
                  field_name(name, prefix, key));
}

static int read_amounts(const cJSON *obj, const char *prefix, const struct charge_limits *limits,
                        struct charge_fields *out, char *message)
{
    char name[FIELD_NAME_SIZE];
    switch (json_get_int64(obj, "amount", JSON_REQUIRED, 1, limits->amount_max, &out->amount, NULL,
                           NULL)) {
    case JSON_OK:
        break;
    case JSON_MISSING:
        return refuse(message, "파라미터 누락: %s", field_name(name, prefix, "amount"));
    default:
        return refuse(message, "%s: 1 이상 %" PRId64 " 이하의 정수(원)여야 합니다.",
                      field_name(name, prefix, "amount"), limits->amount_max);
    }
    if (json_get_int64(obj, "tax_free", JSON_OPTIONAL, 0, out->amount, &out->tax_free, NULL,
                       NULL) != JSON_OK)
        return refuse(message, "%s: 0 이상 amount(%" PRId64 ") 이하의 정수(원)여야 합니다.",
                      field_name(name, prefix, "tax_free"), out->amount);
    return 0;
}

static int read_schedule_at(const cJSON *obj, const char *prefix,
                            const struct charge_limits *limits, struct charge_fields *out,
                            char *message)
{
    char name[FIELD_NAME_SIZE];
    int64_t now = clock_now_s(limits->clock);
    field_name(name, prefix, "schedule_at");
    switch (json_get_int64(obj, "schedule_at", JSON_REQUIRED, 0, INT64_MAX, &out->schedule_at, NULL,
                           NULL)) {
    case JSON_OK:
        break;
    case JSON_MISSING:
        return refuse(message, "파라미터 누락: %s", name);
    default:
        return refuse(message, "%s: UNIX 시각(초)의 정수여야 합니다.", name);
    }
    if (out->schedule_at > CHARGE_SCHEDULE_AT_SECONDS_MAX)
        return refuse(message,
                      "%s: UNIX 시각은 초 단위로 보내세요. %" PRId64
                      " 은 밀리초 값으로 보입니다 (%" PRId64 " 초?).",
                      name, out->schedule_at, out->schedule_at / 1000);
    if (out->schedule_at <= now)
        return refuse(message, "%s 은 현재 시각(%" PRId64 ") 이후여야 합니다.", name, now);
    return 0;
}

/* extra must be an object when given; naverUseCfm, when given, must be the charge's Korean date
 * or later (iamport passes it to NaverPay only, but a malformed one is a mistake anywhere). */
static int read_extra(const cJSON *obj, const char *prefix, const struct charge_limits *limits,
                      struct charge_fields *out, char *message)
{
    char name[FIELD_NAME_SIZE], cfm_name[FIELD_NAME_SIZE], earliest[9];
    const cJSON *extra = cJSON_GetObjectItemCaseSensitive(obj, "extra");
    field_name(name, prefix, "extra");
    if (!extra || cJSON_IsNull(extra))
        return 0;
    if (!cJSON_IsObject(extra))
        return refuse(message, "%s: 객체여야 합니다.", name);
    out->extra = extra;
    if (read_str(extra, name, "naverUseCfm", JSON_OPTIONAL, 8, &out->naver_use_cfm, message) != 0)
        return -1;
    if (!out->naver_use_cfm)
        return 0;
    struct clock at = clock_fixed(out->schedule_at * 1000);
    kst_date(limits->with_schedule_at ? &at : limits->clock, earliest);
    if (!charge_naver_use_cfm_valid(out->naver_use_cfm, earliest))
        return refuse(message, "%s: yyyyMMdd 형식의 결제일(%s) 또는 그 이후 날짜여야 합니다.",
                      field_name(cfm_name, name, "naverUseCfm"), earliest);
    return 0;
}

int charge_fields_read(const cJSON *obj, const char *prefix, const struct charge_limits *limits,
                       struct charge_fields *out, char *message)
{
    static const struct {
        const char *key;
        size_t max_bytes;
        size_t offset;
    } optional[] = {
        {"buyer_name", CHARGE_BUYER_NAME_MAX * 4, offsetof(struct charge_fields, buyer_name)},
        {"buyer_email", CHARGE_BUYER_EMAIL_MAX, offsetof(struct charge_fields, buyer_email)},
        {"buyer_tel", CHARGE_BUYER_TEL_MAX, offsetof(struct charge_fields, buyer_tel)},
        {"buyer_addr", CHARGE_BUYER_ADDR_MAX * 4, offsetof(struct charge_fields, buyer_addr)},
        {"buyer_postcode", CHARGE_BUYER_POSTCODE_MAX,
         offsetof(struct charge_fields, buyer_postcode)},
        {"custom_data", CHARGE_CUSTOM_DATA_MAX, offsetof(struct charge_fields, custom_data)},
        {"notice_url", CHARGE_NOTICE_URL_MAX, offsetof(struct charge_fields, notice_url)},
    };
    char name[FIELD_NAME_SIZE];

    memset(out, 0, sizeof *out);
    message[0] = '\0';
    if (!cJSON_IsObject(obj))
        return refuse(message, "%s: 객체여야 합니다.", prefix && prefix[0] ? prefix : "body");
    if (read_str(obj, prefix, "merchant_uid", JSON_REQUIRED, 0, &out->merchant_uid, message) != 0)
        return -1;
    if (!charge_merchant_uid_valid(out->merchant_uid))
        return refuse(message, "%s: 1~%d자의 영문, 숫자와 _ . : - 만 쓸 수 있습니다.",
                      field_name(name, prefix, "merchant_uid"), CHARGE_MERCHANT_UID_MAX);
    if (read_amounts(obj, prefix, limits, out, message) != 0)
        return -1;
    if (read_str(obj, prefix, "name", JSON_OPTIONAL, CHARGE_NAME_MAX * 4, &out->name, message) != 0)
        return -1;
    if (out->name && utf8_char_count(out->name) > CHARGE_NAME_MAX)
        return refuse(message, "%s: %d자 이하여야 합니다.", field_name(name, prefix, "name"),
                      CHARGE_NAME_MAX);
    for (size_t i = 0; i < sizeof optional / sizeof optional[0]; i++) {
        const char **slot = (const char **)((char *)out + optional[i].offset);
        if (read_str(obj, prefix, optional[i].key, JSON_OPTIONAL, optional[i].max_bytes, slot,
                     message) != 0)
            return -1;
    }
    if (limits->with_schedule_at && read_schedule_at(obj, prefix, limits, out, message) != 0)
        return -1;
    return read_extra(obj, prefix, limits, out, message);
}

cJSON *charge_extra_sent(const struct charge_fields *f, const char *pg_provider, int fill_use_cfm,
                         const struct clock *day)
{
    cJSON *extra = f->extra ? cJSON_Duplicate(f->extra, 1) : NULL;
    if (!fill_use_cfm || strcmp(pg_provider ? pg_provider : "", "naverpay") != 0 ||
        f->naver_use_cfm)
        return extra;
    char date[9];
    kst_date(day, date);
    if (!extra)
        extra = cJSON_CreateObject();
    cJSON_AddStringToObject(extra, "naverUseCfm", date);
    return extra;
}
