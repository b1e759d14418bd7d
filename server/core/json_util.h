/* Typed getters over cJSON objects that report the offending field, plus small output helpers. */
#ifndef BILLKEY_JSON_UTIL_H
#define BILLKEY_JSON_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* Ownership in cJSON: an item added to an object or array belongs to it; only roots are passed
 * to cJSON_Delete; strings from cJSON_Print* (and json_print) are freed with cJSON_free.
 * Keys are matched case-sensitively (never use cJSON_GetObjectItem, which ignores case). */

enum json_status { JSON_OK = 0, JSON_MISSING, JSON_WRONG_TYPE, JSON_OUT_OF_RANGE, JSON_TOO_LONG };

#define JSON_REQUIRED 1
#define JSON_OPTIONAL 0

/* Largest magnitude accepted from a JSON number: 2^53 - 1. From 2^53 on a double may be a
 * rounded larger literal (9007199254740993 parses as 2^53), so those are out of range. Digit
 * strings have no such limit beyond int64. */
#define JSON_MAX_SAFE_INTEGER INT64_C(9007199254740991)

/* What a value had to be, for messages. JSON_EXPECT_ANY (0) means no detail is known. */
enum json_expect {
    JSON_EXPECT_ANY = 0,
    JSON_EXPECT_STRING,
    JSON_EXPECT_PLAIN_STRING, /* a string without control characters */
    JSON_EXPECT_INTEGER,
    JSON_EXPECT_BOOLEAN,
};

#define JSON_ERROR_FIELD_CAP 129

/* Why a getter failed. The caller owns it (usually on the stack); getters fill every member on
 * a non-OK return and leave it untouched on JSON_OK. */
struct json_error {
    enum json_status status;
    char field[JSON_ERROR_FIELD_CAP]; /* the key, cut to 128 bytes; "" when the key was NULL */
    enum json_expect expect;
    int64_t min, max; /* JSON_OUT_OF_RANGE from json_get_int64: the accepted bounds */
    size_t max_len;   /* JSON_TOO_LONG: the limit in bytes */
};

/* A key absent from obj, or JSON null, is "absent"; obj NULL or not an object has no keys.
 * Absent and required gives JSON_MISSING. Each getter leaves its *out unchanged on failure,
 * except json_get_str, which sets *out to NULL on every non-OK return. err may be NULL. */

/* String: *out points into obj (borrowed, valid while obj lives); NULL when optional and absent.
 * Only JSON strings are accepted; any byte 0x00-0x1f or 0x7f gives JSON_WRONG_TYPE. max_len
 * limits the length in bytes (0 = no limit): longer gives JSON_TOO_LONG. "" is present. */
enum json_status json_get_str(const cJSON *obj, const char *key, int required, size_t max_len,
                              const char **out, struct json_error *err);

/* Integer (amounts are int64 won): a JSON number that is integral with |v| <=
 * JSON_MAX_SAFE_INTEGER, or a string of one or more decimal digits with an optional leading '-'
 * (leading zeros allowed: "00123" is 123, "-0" is 0; no spaces, '+', fraction or exponent).
 * Anything else is JSON_WRONG_TYPE; outside [min, max] (or int64, or the safe-integer bound for
 * numbers) is JSON_OUT_OF_RANGE. Optional and absent: JSON_OK with *out untouched.
 * *present (may be NULL) is set to 1 when the key holds a non-null value, else 0. */
enum json_status json_get_int64(const cJSON *obj, const char *key, int required, int64_t min,
                                int64_t max, int64_t *out, int *present, struct json_error *err);

/* Boolean: JSON true/false, or exactly the strings "true", "false", "1", "0". Numbers are
 * JSON_WRONG_TYPE. *out is 1 or 0; absent and *present as json_get_int64. */
enum json_status json_get_bool(const cJSON *obj, const char *key, int required, int *out,
                               int *present, struct json_error *err);

/* Writes a human message for err into buf (buflen bytes, truncated, always terminated when
 * buflen > 0) and returns buf: "amount: required", "amount: must be an integer",
 * "amount: out of range 1..100000000", "name: longer than 40 bytes". Without a detail
 * (expect JSON_EXPECT_ANY) the message is generic ("amount: has the wrong type"); an empty
 * field is named "value". */
const char *json_error_message(const struct json_error *err, char *buf, size_t buflen);

/* Adds key: value as a string, or key: null when value is NULL (iamport uses null for absent
 * strings). The value is copied. Does not replace an existing key. Like cJSON_Add*ToObject,
 * does nothing when obj or key is NULL. */
void json_add_str_or_null(cJSON *obj, const char *key, const char *value);

/* Serialises obj compactly. Returns a new string the caller frees with cJSON_free; NULL only on
 * out-of-memory (or when obj is NULL). */
char *json_print(const cJSON *obj);

#endif
