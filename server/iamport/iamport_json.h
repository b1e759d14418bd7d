/* Typed getters over iamport's response JSON, field tables, and request-body builders. */
#ifndef BILLKEY_IAMPORT_JSON_H
#define BILLKEY_IAMPORT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "server/iamport/iamport.h"

/* ---- typed JSON getters (iamport_json.c) ----
 * All return 0, or -1 after filling err with IAMPORT_E_PARSE and a detail naming the field.
 * Absent or null optional fields give NULL / 0 / false / `fallback`. */
int iamport_json_string(const cJSON *obj, const char *field, bool required, char **out,
                        struct iamport_error *err);
int iamport_json_int64(const cJSON *obj, const char *field, bool required, int64_t fallback,
                       int64_t *out, struct iamport_error *err);
int iamport_json_bool(const cJSON *obj, const char *field, bool *out, struct iamport_error *err);
/* Like iamport_json_string, but an object/array value is kept as its JSON text. */
int iamport_json_text(const cJSON *obj, const char *field, char **out, struct iamport_error *err);
/* The first member of obj named field, as cJSON_GetObjectItemCaseSensitive finds it (NULL when
 * there is none or obj is NULL), with fewer comparisons. Borrowed from obj. */
const cJSON *iamport_json_get(const cJSON *obj, const char *field);
/* Converts an integral JSON number (|v| <= 2^53) to int64. Returns 0 or -1. */
int iamport_json_number_to_int64(const cJSON *item, int64_t *out);

/* A member of a parsed struct filled from the same-named JSON field (X-macro field lists). */
struct iamport_json_field {
    const char *name;
    size_t offset; /* of a char * (strings) or an int64_t (times) inside the struct */
};
#define IAMPORT_JSON_FIELD(type, member)                                                           \
    {                                                                                              \
#member, offsetof(type, member)                                                            \
    }
#define IAMPORT_COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* Reads each optional string field into the char * at base + offset (caller frees them, e.g.
 * with iamport_json_free_strings). Returns 0, or -1 like the getters above. */
int iamport_json_strings(const cJSON *obj, const struct iamport_json_field *fields, size_t n,
                         void *base, struct iamport_error *err);
/* Reads each optional integral field (absent = 0) into the int64_t at base + offset. */
int iamport_json_times(const cJSON *obj, const struct iamport_json_field *fields, size_t n,
                       void *base, struct iamport_error *err);
/* Frees the char * at base + offset of each field. */
void iamport_json_free_strings(const struct iamport_json_field *fields, size_t n, void *base);

/* Request-body builders. obj, array and field must not be NULL; then, with cJSON allocating
 * through xalloc (xalloc_init_cjson), they cannot fail, so a body with a silently missing field
 * is never sent. Integers are written as exact decimal text, never
 * through a double. add_string and add_copy do nothing for a NULL value; add_copy duplicates
 * the borrowed value. iamport_body_new's result is freed with cJSON_Delete; iamport_body_print's
 * with free(). */
cJSON *iamport_body_new(void);
void iamport_body_add_int64(cJSON *obj, const char *field, int64_t value);
void iamport_body_add_string(cJSON *obj, const char *field, const char *value);
void iamport_body_add_copy(cJSON *obj, const char *field, const cJSON *value);
/* Adds an empty array member and returns it (owned by obj). */
cJSON *iamport_body_add_array(cJSON *obj, const char *field);
/* Appends item (ownership moves to array; item must come from a cJSON_Create* call). */
void iamport_body_append(cJSON *array, cJSON *item);
void iamport_body_append_string(cJSON *array, const char *value);
char *iamport_body_print(const cJSON *obj);

#endif
