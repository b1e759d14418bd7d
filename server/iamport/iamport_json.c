/* iamport client: typed getters over response JSON, field tables, and exact-integer request
 * fields. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/iamport/iamport_json.h"
#include "server/iamport/iamport_errors.h"
#include "server/core/xalloc.h"

#define JSON_EXACT_INT_MAX 9007199254740991.0 /* 2^53 - 1 */

int iamport_json_number_to_int64(const cJSON *item, int64_t *out)
{
    if (!cJSON_IsNumber(item))
        return -1;
    double v = item->valuedouble;
    /* The range check comes first so the cast below is defined; NaN fails every comparison. */
    if (!(v <= JSON_EXACT_INT_MAX && v >= -JSON_EXACT_INT_MAX))
        return -1;
    int64_t whole = (int64_t)v;
    if ((double)whole != v)
        return -1; /* has a fractional part */
    *out = whole;
    return 0;
}

const cJSON *iamport_json_get(const cJSON *obj, const char *field)
{
    if (!obj || !field)
        return NULL;
    /* the first two bytes are compared inline: most members differ there, so strcmp runs
     * about once per lookup instead of once per member (a Payment has ~60) */
    for (const cJSON *item = obj->child; item; item = item->next) {
        const char *name = item->string;
        if (!name)
            return NULL; /* as cJSON_GetObjectItemCaseSensitive: the search stops there */
        if (name[0] == field[0] && (!name[0] || name[1] == field[1]) && strcmp(name, field) == 0)
            return item;
    }
    return NULL;
}

/* The member, or NULL when absent or JSON null. */
static const cJSON *member(const cJSON *obj, const char *field)
{
    const cJSON *item = iamport_json_get(obj, field);
    return cJSON_IsNull(item) ? NULL : item;
}

int iamport_json_string(const cJSON *obj, const char *field, bool required, char **out,
                        struct iamport_error *err)
{
    const cJSON *item = member(obj, field);
    *out = NULL;
    if (!item) {
        if (!required)
            return 0;
        iamport_fail(err, IAMPORT_E_PARSE, "field '%s' is missing", field);
        return -1;
    }
    if (!cJSON_IsString(item) || !item->valuestring) {
        iamport_fail(err, IAMPORT_E_PARSE, "field '%s' is not a string", field);
        return -1;
    }
    *out = xstrdup(item->valuestring);
    return 0;
}

int iamport_json_text(const cJSON *obj, const char *field, char **out, struct iamport_error *err)
{
    const cJSON *item = member(obj, field);
    *out = NULL;
    if (!item)
        return 0;
    if (cJSON_IsString(item) && item->valuestring) {
        *out = xstrdup(item->valuestring);
        return 0;
    }
    if (cJSON_IsObject(item) || cJSON_IsArray(item)) {
        char *text = cJSON_PrintUnformatted(item);
        if (!text) {
            iamport_fail(err, IAMPORT_E_PARSE, "field '%s' cannot be printed", field);
            return -1;
        }
        *out = xstrdup(text);
        cJSON_free(text);
        return 0;
    }
    iamport_fail(err, IAMPORT_E_PARSE, "field '%s' is not text", field);
    return -1;
}

int iamport_json_int64(const cJSON *obj, const char *field, bool required, int64_t fallback,
                       int64_t *out, struct iamport_error *err)
{
    const cJSON *item = member(obj, field);
    *out = fallback;
    if (!item) {
        if (!required)
            return 0;
        iamport_fail(err, IAMPORT_E_PARSE, "field '%s' is missing", field);
        return -1;
    }
    if (iamport_json_number_to_int64(item, out) != 0) {
        *out = fallback;
        iamport_fail(err, IAMPORT_E_PARSE, "field '%s' is not an integral number", field);
        return -1;
    }
    return 0;
}

int iamport_json_bool(const cJSON *obj, const char *field, bool *out, struct iamport_error *err)
{
    const cJSON *item = member(obj, field);
    *out = false;
    if (!item)
        return 0;
    if (!cJSON_IsBool(item)) {
        iamport_fail(err, IAMPORT_E_PARSE, "field '%s' is not a boolean", field);
        return -1;
    }
    *out = cJSON_IsTrue(item);
    return 0;
}

cJSON *iamport_body_new(void)
{
    return cJSON_CreateObject();
}

void iamport_body_add_int64(cJSON *obj, const char *field, int64_t value)
{
    char text[32];
    snprintf(text, sizeof text, "%" PRId64, value);
    cJSON_AddRawToObject(obj, field, text);
}

void iamport_body_add_string(cJSON *obj, const char *field, const char *value)
{
    if (value)
        cJSON_AddStringToObject(obj, field, value);
}

void iamport_body_add_copy(cJSON *obj, const char *field, const cJSON *value)
{
    if (!value)
        return;
    cJSON *copy = cJSON_Duplicate(value, 1);
    if (!cJSON_AddItemToObject(obj, field, copy))
        cJSON_Delete(copy);
}

cJSON *iamport_body_add_array(cJSON *obj, const char *field)
{
    return cJSON_AddArrayToObject(obj, field);
}

void iamport_body_append(cJSON *array, cJSON *item)
{
    if (!cJSON_AddItemToArray(array, item))
        cJSON_Delete(item);
}

void iamport_body_append_string(cJSON *array, const char *value)
{
    iamport_body_append(array, cJSON_CreateString(value));
}

char *iamport_body_print(const cJSON *obj)
{
    char *text = cJSON_PrintUnformatted(obj);
    if (!text) /* a NULL obj or a tree the builders never make: never send a partial body */
        abort();
    char *copy = xstrdup(text);
    cJSON_free(text);
    return copy;
}

int iamport_json_strings(const cJSON *obj, const struct iamport_json_field *fields, size_t n,
                         void *base, struct iamport_error *err)
{
    for (size_t i = 0; i < n; i++) {
        char **slot = (char **)((char *)base + fields[i].offset);
        if (iamport_json_string(obj, fields[i].name, false, slot, err) != 0)
            return -1;
    }
    return 0;
}

int iamport_json_times(const cJSON *obj, const struct iamport_json_field *fields, size_t n,
                       void *base, struct iamport_error *err)
{
    for (size_t i = 0; i < n; i++) {
        int64_t *slot = (int64_t *)((char *)base + fields[i].offset);
        if (iamport_json_int64(obj, fields[i].name, false, 0, slot, err) != 0)
            return -1;
    }
    return 0;
}

void iamport_json_free_strings(const struct iamport_json_field *fields, size_t n, void *base)
{
    for (size_t i = 0; i < n; i++) {
        char **slot = (char **)((char *)base + fields[i].offset);
        free(*slot);
    }
}
