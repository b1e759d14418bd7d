/* Request-field readers that turn bad input into iamport-style messages ("파라미터 누락: name"). */
#include "sandbox/sb_fields.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "sandbox/sb_util.h"

#define MAX_SAFE_JSON_INTEGER 9007199254740991.0 /* 2^53 - 1: larger doubles may be rounded */

/* 1 when s has no control bytes (0x00-0x1f, 0x7f). */
static int printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* A JSON integer (integral, within 2^53) or a string of decimal digits with an optional '-'. */
static int parse_int(const cJSON *item, int64_t *out)
{
    if (cJSON_IsNumber(item)) {
        double d = item->valuedouble;
        /* the range check first, so the cast below is defined; NaN fails both comparisons */
        if (!(d >= -MAX_SAFE_JSON_INTEGER && d <= MAX_SAFE_JSON_INTEGER) || d != (double)(int64_t)d)
            return -1;
        *out = (int64_t)d;
        return 0;
    }
    if (!cJSON_IsString(item))
        return -1;
    const char *s = item->valuestring;
    const char *digits = s[0] == '-' ? s + 1 : s;
    if (!*digits || strspn(digits, "0123456789") != strlen(digits))
        return -1;
    errno = 0;
    long long v = strtoll(s, NULL, 10);
    if (errno)
        return -1;
    *out = v;
    return 0;
}

static int is_absent(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return !item || cJSON_IsNull(item) || (cJSON_IsString(item) && item->valuestring[0] == '\0');
}

static int missing(const char *label, char *msg)
{
    snprintf(msg, SB_MSG_LEN, "파라미터 누락: %s", label);
    return -1;
}

int sb_field_str(const cJSON *obj, const char *key, const char *label, int required,
                 size_t max_chars, const char **out, char *msg)
{
    const char *name = label ? label : key;
    *out = NULL;
    if (is_absent(obj, key))
        return required ? missing(name, msg) : 0;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    const char *value = cJSON_IsString(item) ? item->valuestring : NULL;
    if (!value || !printable(value)) {
        snprintf(msg, SB_MSG_LEN, "파라미터 형식 오류: %s 는 제어문자가 없는 문자열이어야 합니다.",
                 name);
        return -1;
    }
    size_t chars = sb_utf8_chars(value);
    if (max_chars && chars > max_chars) {
        snprintf(msg, SB_MSG_LEN, "%s 는 최대 %zu자까지 입력할 수 있습니다. (입력: %zu자)", name,
                 max_chars, chars);
        return -1;
    }
    *out = value;
    return 0;
}

int sb_field_int(const cJSON *obj, const char *key, const char *label, int required, int64_t min,
                 int64_t max, int64_t *out, int *present, char *msg)
{
    const char *name = label ? label : key;
    if (present)
        *present = 0;
    if (is_absent(obj, key))
        return required ? missing(name, msg) : 0;
    int64_t value = 0;
    if (parse_int(cJSON_GetObjectItemCaseSensitive(obj, key), &value) != 0 || value < min ||
        value > max) {
        snprintf(msg, SB_MSG_LEN, "%s 는 %lld 이상 %lld 이하의 정수여야 합니다.", name,
                 (long long)min, (long long)max);
        return -1;
    }
    *out = value;
    if (present)
        *present = 1;
    return 0;
}

int sb_field_bool(const cJSON *obj, const char *key, const char *label, int *out, char *msg)
{
    if (is_absent(obj, key))
        return 0;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    int value = -1;
    if (cJSON_IsBool(item))
        value = cJSON_IsTrue(item);
    else if (cJSON_IsString(item) &&
             (!strcmp(item->valuestring, "true") || !strcmp(item->valuestring, "1")))
        value = 1;
    else if (cJSON_IsString(item) &&
             (!strcmp(item->valuestring, "false") || !strcmp(item->valuestring, "0")))
        value = 0;
    if (value < 0) {
        snprintf(msg, SB_MSG_LEN, "%s 는 true 또는 false 여야 합니다.", label ? label : key);
        return -1;
    }
    *out = value;
    return 0;
}

char *sb_field_custom_data(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item || cJSON_IsNull(item))
        return NULL;
    if (cJSON_IsString(item))
        return xstrdup(item->valuestring);
    char *text = cJSON_PrintUnformatted(item);
    if (!text)
        return NULL;
    char *copy = xstrdup(text);
    cJSON_free(text);
    return copy;
}
