/* Request body parsing: strict JSON (numbers, strings, depth, duplicate keys) into a cJSON tree. */
#include "server/http/body_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/core/xalloc.h"
#include "server/http/body_tree.h"

/* cJSON reads at most this many characters of a number; longer ones we reject ourselves. */
#define JSON_NUMBER_MAX_LEN 63
/* Room for a JSON field path while walking the tree; the error keeps the first 128 bytes. */
#define JSON_PATH_CAP 256

static int is_number_char(char c)
{
    return body_is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* RFC 8259 number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? over exactly n bytes. */
static int json_number_valid(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0') {
        i++;
    } else if (i < n && s[i] >= '1' && s[i] <= '9') {
        while (i < n && body_is_digit(s[i]))
            i++;
    } else {
        return 0;
    }
    if (i < n && s[i] == '.') {
        size_t digits_at = ++i;
        while (i < n && body_is_digit(s[i]))
            i++;
        if (i == digits_at)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t digits_at = i;
        while (i < n && body_is_digit(s[i]))
            i++;
        if (i == digits_at)
            return 0;
    }
    return i == n;
}

/* Checks what cJSON lets through: NULs, invalid UTF-8, raw control characters and \u0000 in
 * strings, non-standard numbers, and nesting deeper than BODY_JSON_MAX_DEPTH. Syntax proper is
 * left to cJSON. */
static enum body_status json_prescan(const char *data, size_t len, struct body_error *err)
{
    enum body_status st = body_reject_nul(data, len, err);
    if (st != BODY_OK)
        return st;
    size_t bad_at;
    if (!body_utf8_valid((const unsigned char *)data, len, &bad_at))
        return body_fail(err, BODY_MALFORMED, NULL, 0, "body is not valid UTF-8 at byte %zu",
                         bad_at);
    int in_string = 0;
    size_t depth = 0;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (in_string) {
            if (c == '"') {
                in_string = 0;
            } else if (c == '\\') {
                if (len - i > 5 && memcmp(data + i + 1, "u0000", 5) == 0)
                    return body_fail(err, BODY_MALFORMED, NULL, 0,
                                     "JSON string contains '\\u0000' at byte %zu", i);
                i++; /* skip the escaped character; cJSON validates the escape */
            } else if ((unsigned char)c < 0x20) {
                return body_fail(err, BODY_MALFORMED, NULL, 0,
                                 "JSON string contains a raw control character at byte %zu", i);
            }
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > BODY_JSON_MAX_DEPTH)
                return body_fail(err, BODY_MALFORMED, NULL, 0,
                                 "JSON nested deeper than %d levels at byte %zu",
                                 BODY_JSON_MAX_DEPTH, i);
        } else if (c == '}' || c == ']') {
            if (depth > 0)
                depth--;
        } else if (c == '-' || body_is_digit(c)) {
            size_t start = i;
            while (i < len && is_number_char(data[i]))
                i++;
            size_t n = i - start;
            char quoted[BODY_QUOTE_CAP + 4];
            if (!json_number_valid(data + start, n)) {
                body_quote_ascii(quoted, data + start, n);
                return body_fail(err, BODY_MALFORMED, NULL, 0,
                                 "invalid JSON number '%s' at byte %zu", quoted, start);
            }
            if (n > JSON_NUMBER_MAX_LEN) {
                body_quote_ascii(quoted, data + start, n);
                return body_fail(err, BODY_MALFORMED, NULL, 0,
                                 "JSON number '%s' at byte %zu is longer than %d characters",
                                 quoted, start, JSON_NUMBER_MAX_LEN);
            }
            i--; /* the loop's i++ moves to the byte after the number */
        }
    }
    return BODY_OK;
}

/* Appends "key" (top level) or "[key]" to path; returns the new length (truncated at cap). */
static size_t path_append(char *path, size_t path_len, const char *key, size_t index)
{
    int n;
    if (path_len >= JSON_PATH_CAP - 1)
        return path_len;
    if (key)
        n = snprintf(path + path_len, JSON_PATH_CAP - path_len, path_len ? "[%s]" : "%s", key);
    else
        n = snprintf(path + path_len, JSON_PATH_CAP - path_len, "[%zu]", index);
    if (n < 0)
        return path_len;
    size_t end = path_len + (size_t)n;
    return end < JSON_PATH_CAP ? end : JSON_PATH_CAP - 1;
}

static int compare_keys(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

/* Rejects duplicate keys in one object and non-finite numbers, naming the field. Depth is
 * bounded by json_prescan. path holds the field path of node (path_len bytes). */
static enum body_status json_check_tree(const cJSON *node, char *path, size_t path_len,
                                        struct body_error *err)
{
    enum body_status st = BODY_OK;
    const cJSON **sorted = NULL;
    if (cJSON_IsNumber(node) && !isfinite(node->valuedouble))
        return body_fail(err, BODY_MALFORMED, path, path_len, "number in '%s' is out of range",
                         path);
    if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
        return BODY_OK;
    size_t count = 0;
    for (const cJSON *child = node->child; child; child = child->next)
        count++;
    if (cJSON_IsObject(node) && count > 1) {
        sorted = xcalloc(count, sizeof *sorted);
        size_t i = 0;
        for (const cJSON *child = node->child; child; child = child->next)
            sorted[i++] = child;
        qsort(sorted, count, sizeof *sorted, compare_keys);
        for (i = 1; i < count; i++) {
            if (strcmp(sorted[i - 1]->string, sorted[i]->string) == 0) {
                size_t len = path_append(path, path_len, sorted[i]->string, 0);
                st = body_fail(err, BODY_MALFORMED, path, len, "duplicate key '%s'",
                               sorted[i]->string);
                goto out;
            }
        }
    }
    size_t index = 0;
    for (const cJSON *child = node->child; child; child = child->next, index++) {
        size_t len =
            path_append(path, path_len, cJSON_IsObject(node) ? child->string : NULL, index);
        st = json_check_tree(child, path, len, err);
        path[path_len] = '\0';
        if (st != BODY_OK)
            goto out;
    }
out:
    free(sorted);
    return st;
}

enum body_status body_parse_json(const char *data, size_t len, cJSON **out, struct body_error *err)
{
    char path[JSON_PATH_CAP] = "";
    cJSON *root = NULL;
    char *copy = NULL;
    enum body_status st = json_prescan(data, len, err);
    if (st != BODY_OK)
        goto out;
    /* cJSON's require-null-terminated mode needs the terminator inside the given length. */
    copy = xmalloc(len + 1);
    memcpy(copy, data, len);
    copy[len] = '\0';
    const char *end = NULL;
    root = cJSON_ParseWithLengthOpts(copy, len + 1, &end, 1);
    if (!root) {
        size_t at = end && end >= copy && end <= copy + len ? (size_t)(end - copy) : 0;
        st = body_fail(err, BODY_MALFORMED, NULL, 0, "invalid JSON near byte %zu", at);
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        st = body_fail(err, BODY_MALFORMED, NULL, 0, "JSON body must be an object");
        goto out;
    }
    st = json_check_tree(root, path, 0, err);
out:
    free(copy);
    if (st != BODY_OK) {
        cJSON_Delete(root);
        root = NULL;
    }
    *out = root;
    return st;
}
