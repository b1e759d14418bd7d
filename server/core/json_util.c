/* Typed getters over cJSON objects that report the offending field, plus small output helpers. */
#include "server/core/json_util.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fills *err (when not NULL) and returns st. */
static enum json_status fail(struct json_error *err, const char *key, enum json_status st,
                             enum json_expect expect, int64_t min, int64_t max, size_t max_len)
{
    if (!err)
        return st;
    size_t len = key ? strnlen(key, JSON_ERROR_FIELD_CAP - 1) : 0;
    memcpy(err->field, key ? key : "", len);
    err->field[len] = '\0';
    err->status = st;
    err->expect = expect;
    err->min = min;
    err->max = max;
    err->max_len = max_len;
    return st;
}

/* The value under key, or NULL when obj is not an object, the key is absent, or it is null. */
static const cJSON *lookup(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj) || !key)
        return NULL;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNull(item) ? NULL : item;
}

enum json_status json_get_str(const cJSON *obj, const char *key, int required, size_t max_len,
                              const char **out, struct json_error *err)
{
    *out = NULL;
    const cJSON *item = lookup(obj, key);
    if (!item)
        return required ? fail(err, key, JSON_MISSING, JSON_EXPECT_STRING, 0, 0, 0) : JSON_OK;
    if (!cJSON_IsString(item) || !item->valuestring)
        return fail(err, key, JSON_WRONG_TYPE, JSON_EXPECT_STRING, 0, 0, 0);
    const char *s = item->valuestring;
    size_t len = 0;
    for (; s[len]; len++)
        if ((unsigned char)s[len] < 0x20 || s[len] == 0x7f)
            return fail(err, key, JSON_WRONG_TYPE, JSON_EXPECT_PLAIN_STRING, 0, 0, 0);
    if (max_len && len > max_len)
        return fail(err, key, JSON_TOO_LONG, JSON_EXPECT_STRING, 0, 0, max_len);
    *out = s;
    return JSON_OK;
}

/* Parses -?[0-9]+ exactly. Returns JSON_OK, JSON_WRONG_TYPE (not that shape) or
 * JSON_OUT_OF_RANGE (that shape, but outside int64). */
static enum json_status parse_decimal(const char *s, int64_t *out)
{
    int negative = *s == '-';
    const char *p = s + negative;
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t acc = 0;
    int overflow = 0;
    if (*p == '\0')
        return JSON_WRONG_TYPE;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return JSON_WRONG_TYPE;
        uint64_t digit = (uint64_t)(*p - '0');
        if (overflow || acc > (limit - digit) / 10)
            overflow = 1;
        else
            acc = acc * 10 + digit;
    }
    if (overflow)
        return JSON_OUT_OF_RANGE;
    if (negative)
        *out = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
    else
        *out = (int64_t)acc;
    return JSON_OK;
}

enum json_status json_get_int64(const cJSON *obj, const char *key, int required, int64_t min,
                                int64_t max, int64_t *out, int *present, struct json_error *err)
{
    const cJSON *item = lookup(obj, key);
    int64_t value;
    if (present)
        *present = item != NULL;
    if (!item)
        return required ? fail(err, key, JSON_MISSING, JSON_EXPECT_INTEGER, min, max, 0) : JSON_OK;
    if (cJSON_IsNumber(item)) {
        double v = item->valuedouble;
        if (!isfinite(v) || v != floor(v))
            return fail(err, key, JSON_WRONG_TYPE, JSON_EXPECT_INTEGER, min, max, 0);
        if (fabs(v) > (double)JSON_MAX_SAFE_INTEGER) {
            int64_t lo = min > -JSON_MAX_SAFE_INTEGER ? min : -JSON_MAX_SAFE_INTEGER;
            int64_t hi = max < JSON_MAX_SAFE_INTEGER ? max : JSON_MAX_SAFE_INTEGER;
            return fail(err, key, JSON_OUT_OF_RANGE, JSON_EXPECT_INTEGER, lo, hi, 0);
        }
        value = (int64_t)v;
    } else if (cJSON_IsString(item) && item->valuestring) {
        enum json_status st = parse_decimal(item->valuestring, &value);
        if (st != JSON_OK)
            return fail(err, key, st, JSON_EXPECT_INTEGER, min, max, 0);
    } else {
        return fail(err, key, JSON_WRONG_TYPE, JSON_EXPECT_INTEGER, min, max, 0);
    }
    if (value < min || value > max)
        return fail(err, key, JSON_OUT_OF_RANGE, JSON_EXPECT_INTEGER, min, max, 0);
    *out = value;
    return JSON_OK;
}

enum json_status json_get_bool(const cJSON *obj, const char *key, int required, int *out,
                               int *present, struct json_error *err)
{
    const cJSON *item = lookup(obj, key);
    if (present)
        *present = item != NULL;
    if (!item)
        return required ? fail(err, key, JSON_MISSING, JSON_EXPECT_BOOLEAN, 0, 0, 0) : JSON_OK;
    if (cJSON_IsBool(item)) {
        *out = cJSON_IsTrue(item) ? 1 : 0;
        return JSON_OK;
    }
    if (cJSON_IsString(item) && item->valuestring) {
        const char *s = item->valuestring;
        if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0) {
            *out = 1;
            return JSON_OK;
        }
        if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0) {
            *out = 0;
            return JSON_OK;
        }
    }
    return fail(err, key, JSON_WRONG_TYPE, JSON_EXPECT_BOOLEAN, 0, 0, 0);
}

static const char *expect_text(enum json_expect expect)
{
    switch (expect) {
    case JSON_EXPECT_STRING:
        return "must be a string";
    case JSON_EXPECT_PLAIN_STRING:
        return "must not contain control characters";
    case JSON_EXPECT_INTEGER:
        return "must be an integer";
    case JSON_EXPECT_BOOLEAN:
        return "must be a boolean";
    case JSON_EXPECT_ANY:
        break;
    }
    return "has the wrong type";
}

const char *json_error_message(const struct json_error *err, char *buf, size_t buflen)
{
    if (!buf || buflen == 0)
        return buf;
    const char *name = err->field[0] ? err->field : "value";
    const struct json_error *f = err->expect != JSON_EXPECT_ANY ? err : NULL;
    switch (err->status) {
    case JSON_OK:
        snprintf(buf, buflen, "%s: ok", name);
        break;
    case JSON_MISSING:
        snprintf(buf, buflen, "%s: required", name);
        break;
    case JSON_WRONG_TYPE:
        snprintf(buf, buflen, "%s: %s", name, f ? expect_text(f->expect) : "has the wrong type");
        break;
    case JSON_OUT_OF_RANGE:
        if (f)
            snprintf(buf, buflen, "%s: out of range %" PRId64 "..%" PRId64, name, f->min, f->max);
        else
            snprintf(buf, buflen, "%s: out of range", name);
        break;
    case JSON_TOO_LONG:
        if (f)
            snprintf(buf, buflen, "%s: longer than %zu bytes", name, f->max_len);
        else
            snprintf(buf, buflen, "%s: too long", name);
        break;
    default:
        snprintf(buf, buflen, "%s: invalid", name);
        break;
    }
    return buf;
}

void json_add_str_or_null(cJSON *obj, const char *key, const char *value)
{
    cJSON *item = value ? cJSON_CreateString(value) : cJSON_CreateNull();
    if (!cJSON_AddItemToObject(obj, key, item))
        cJSON_Delete(item);
}

char *json_print(const cJSON *obj)
{
    if (!obj)
        return NULL;
    return cJSON_PrintUnformatted(obj);
}
