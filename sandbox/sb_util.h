/* Small sandbox helpers: pointer vector, cJSON accessors, random ids, UTF-8 length. */
#ifndef BILLKEY_SB_UTIL_H
#define BILLKEY_SB_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* A growable array of pointers. The vector owns only its `items` array, not what they point to. */
struct sb_vec {
    void **items;
    size_t len;
    size_t cap;
};

void sb_vec_push(struct sb_vec *v, void *item);
/* Removes item i (keeping order) and returns it; the caller now owns it. */
void *sb_vec_remove(struct sb_vec *v, size_t i);
/* Frees the items array (not the items) and zeroes the vector. */
void sb_vec_release(struct sb_vec *v);

/* Borrowed string value of obj[key], or NULL when absent or not a string. */
const char *sb_jstr(const cJSON *obj, const char *key);
/* obj[key] as an integer (numbers are truncated toward zero), or 0 when absent/not a number. */
int64_t sb_jint(const cJSON *obj, const char *key);
/* Replaces (or adds) obj[key]; takes ownership of item. */
void sb_jset(cJSON *obj, const char *key, cJSON *item);
/* Replaces obj[key] with a copy of value, or JSON null when value is NULL. */
void sb_jset_str(cJSON *obj, const char *key, const char *value);
void sb_jset_int(cJSON *obj, const char *key, int64_t value);
void sb_jset_bool(cJSON *obj, const char *key, int value);

/* Fills buf (size >= n+1) with n random decimal digits (first digit never 0) and a NUL. */
void sb_random_digits(char *buf, size_t n);
/* Fills buf (size >= 2n+1) with 2n random lower-case hex digits and a NUL. */
void sb_random_hex(char *buf, size_t n);

/* Number of UTF-8 code points in s (invalid bytes count one each). */
size_t sb_utf8_chars(const char *s);

/* Deep copy of `body` where every member named "imp_secret" (at any depth) is "[redacted]".
 * NULL in, NULL out; caller owns the result. */
cJSON *sb_redact_secrets(const cJSON *body);

#endif
