/* Request body parsing: form-urlencoded and query strings (iamport bracket notation). */
#include "server/http/body_form.h"

#include <stdlib.h>
#include <string.h>

#include "server/core/percent.h"
#include "server/core/xalloc.h"
#include "server/http/body_tree.h"

enum segment_kind { SEG_KEY, SEG_INDEX, SEG_APPEND };

struct key_segment {
    enum segment_kind kind;
    char key[BODY_FORM_MAX_KEY_LEN + 1]; /* SEG_KEY: the object key */
    size_t index;                        /* SEG_INDEX */
};

/* A field name split into its base name and bracket segments. */
struct field_name {
    char name[BODY_FORM_MAX_KEY_LEN + 1];
    struct key_segment segments[BODY_FORM_MAX_DEPTH];
    size_t segment_count;
};

/* Classifies one bracket segment s[0..n). Returns 0, or -1 with a message in *err. */
static int parse_segment(const char *key, size_t key_len, const char *s, size_t n,
                         struct key_segment *seg, struct body_error *err)
{
    if (n == 0) {
        seg->kind = SEG_APPEND;
        return 0;
    }
    size_t digits = 0;
    while (digits < n && body_is_digit(s[digits]))
        digits++;
    if (digits == n) {
        if (n > 1 && s[0] == '0') {
            body_fail(err, BODY_MALFORMED, key, key_len, "index '%.*s' in '%s' has a leading zero",
                      (int)n, s, key);
            return -1;
        }
        size_t index = 0;
        for (size_t k = 0; k < n && index <= BODY_FORM_MAX_INDEX; k++)
            index = index * 10 + (size_t)(s[k] - '0');
        if (index > BODY_FORM_MAX_INDEX) {
            body_fail(err, BODY_MALFORMED, key, key_len, "index '%.*s' in '%s' is larger than %d",
                      (int)n, s, key, BODY_FORM_MAX_INDEX);
            return -1;
        }
        seg->kind = SEG_INDEX;
        seg->index = index;
        return 0;
    }
    if (s[0] == '-' && n > 1) {
        size_t k = 1;
        while (k < n && body_is_digit(s[k]))
            k++;
        if (k == n) {
            body_fail(err, BODY_MALFORMED, key, key_len, "negative index '%.*s' in '%s'", (int)n, s,
                      key);
            return -1;
        }
    }
    seg->kind = SEG_KEY;
    memcpy(seg->key, s, n);
    seg->key[n] = '\0';
    return 0;
}

/* Splits a decoded field name ("a[b][0][]", at most BODY_FORM_MAX_KEY_LEN bytes, no NULs) into
 * *fn. Returns 0, or -1 with *err filled. */
static int parse_field_name(const char *key, size_t key_len, struct field_name *fn,
                            struct body_error *err)
{
    size_t i = 0;
    while (i < key_len && key[i] != '[' && key[i] != ']')
        i++;
    if (i < key_len && key[i] == ']') {
        body_fail(err, BODY_MALFORMED, key, key_len, "unexpected ']' in field name '%s'", key);
        return -1;
    }
    if (i == 0) {
        body_fail(err, BODY_MALFORMED, key, key_len, "field name '%s' has an empty name", key);
        return -1;
    }
    memcpy(fn->name, key, i);
    fn->name[i] = '\0';
    fn->segment_count = 0;
    while (i < key_len) {
        /* key[i] == '[' here */
        size_t start = ++i;
        while (i < key_len && key[i] != ']' && key[i] != '[')
            i++;
        if (i == key_len || key[i] == '[') {
            body_fail(err, BODY_MALFORMED, key, key_len, "unclosed '[' in field name '%s'", key);
            return -1;
        }
        if (fn->segment_count == BODY_FORM_MAX_DEPTH) {
            body_fail(err, BODY_MALFORMED, key, key_len, "field name '%s' is nested deeper than %d",
                      key, BODY_FORM_MAX_DEPTH);
            return -1;
        }
        if (parse_segment(key, key_len, key + start, i - start, &fn->segments[fn->segment_count],
                          err) != 0)
            return -1;
        fn->segment_count++;
        i++; /* past ']' */
        if (i < key_len && key[i] != '[') {
            body_fail(err, BODY_MALFORMED, key, key_len,
                      "unexpected '%c' after ']' in field name '%s'", key[i], key);
            return -1;
        }
    }
    return 0;
}

static cJSON *new_node(enum segment_kind child_kind, int is_leaf, const char *value)
{
    if (is_leaf)
        return cJSON_CreateString(value);
    return child_kind == SEG_KEY ? cJSON_CreateObject() : cJSON_CreateArray();
}

/* Places value at the path fn describes under root, creating containers on the way. */
static enum body_status form_insert(cJSON *root, const struct field_name *fn, const char *key,
                                    size_t key_len, const char *value, struct body_error *err)
{
    cJSON *container = root;
    for (size_t level = 0; level <= fn->segment_count; level++) {
        int is_leaf = level == fn->segment_count;
        enum segment_kind want = is_leaf ? SEG_KEY : fn->segments[level].kind;
        enum segment_kind slot = level == 0 ? SEG_KEY : fn->segments[level - 1].kind;
        const char *slot_key = level == 0 ? fn->name : fn->segments[level - 1].key;
        cJSON *existing = NULL;
        if (slot == SEG_KEY) {
            existing = cJSON_GetObjectItemCaseSensitive(container, slot_key);
        } else if (slot == SEG_INDEX) {
            size_t size = (size_t)cJSON_GetArraySize(container);
            size_t index = fn->segments[level - 1].index;
            if (index > size)
                return body_fail(err, BODY_MALFORMED, key, key_len,
                                 "index %zu in '%s' is out of order (next index is %zu)", index,
                                 key, size);
            if (index < size)
                existing = cJSON_GetArrayItem(container, (int)index);
        }
        if (!existing) {
            /* cannot fail: container, slot_key and node are not NULL, allocation aborts */
            cJSON *node = new_node(want, is_leaf, value);
            if (slot == SEG_KEY)
                cJSON_AddItemToObject(container, slot_key, node);
            else
                cJSON_AddItemToArray(container, node);
            container = node;
            continue;
        }
        if (is_leaf && cJSON_IsString(existing))
            return body_fail(err, BODY_MALFORMED, key, key_len,
                             "field '%s' is given more than once", key);
        if (is_leaf || (want == SEG_KEY && !cJSON_IsObject(existing)) ||
            (want != SEG_KEY && !cJSON_IsArray(existing)))
            return body_fail(err, BODY_MALFORMED, key, key_len,
                             "field '%s' conflicts with an earlier field", key);
        container = existing;
    }
    return BODY_OK;
}

/* Decodes and inserts one non-empty "key[=value]" pair found at byte `offset` of the input. */
static enum body_status form_add_pair(cJSON *root, const char *pair, size_t n, size_t offset,
                                      struct body_error *err)
{
    enum body_status st = BODY_MALFORMED;
    char *value = NULL;
    struct field_name *fn = NULL;
    const char *eq = memchr(pair, '=', n);
    size_t raw_key_len = eq ? (size_t)(eq - pair) : n;
    size_t key_len, value_len, bad_at;
    char *key = percent_decode(pair, raw_key_len, PERCENT_PLUS_IS_SPACE, &key_len, &bad_at);
    if (!key) {
        st = body_fail(err, BODY_MALFORMED, NULL, 0,
                       "invalid percent-encoding in field name at byte %zu", offset + bad_at);
        goto out;
    }
    if (key_len == 0) {
        st = body_fail(err, BODY_MALFORMED, NULL, 0, "empty field name at byte %zu", offset);
        goto out;
    }
    if (!body_utf8_valid((const unsigned char *)key, key_len, &bad_at)) {
        st = body_fail(err, BODY_MALFORMED, NULL, 0, "field name at byte %zu is not valid UTF-8",
                       offset);
        goto out;
    }
    if (key_len > BODY_FORM_MAX_KEY_LEN) {
        st = body_fail(err, BODY_MALFORMED, key, key_len, "field name longer than %d bytes",
                       BODY_FORM_MAX_KEY_LEN);
        goto out;
    }
    if (body_has_control_char(key, key_len)) {
        st = body_fail(err, BODY_MALFORMED, NULL, 0,
                       "field name at byte %zu contains a control character", offset);
        goto out;
    }
    size_t value_offset = offset + raw_key_len + 1;
    value =
        eq ? percent_decode(eq + 1, n - raw_key_len - 1, PERCENT_PLUS_IS_SPACE, &value_len, &bad_at)
           : xstrdup("");
    if (!value) {
        st = body_fail(err, BODY_MALFORMED, key, key_len,
                       "invalid percent-encoding in value of '%s' at byte %zu", key,
                       value_offset + bad_at);
        goto out;
    }
    if (eq && !body_utf8_valid((const unsigned char *)value, value_len, &bad_at)) {
        st = body_fail(err, BODY_MALFORMED, key, key_len, "value of '%s' is not valid UTF-8", key);
        goto out;
    }
    fn = xmalloc(sizeof *fn);
    if (parse_field_name(key, key_len, fn, err) != 0)
        goto out;
    st = form_insert(root, fn, key, key_len, value, err);
out:
    free(fn);
    free(value);
    free(key);
    return st;
}

enum body_status body_parse_form(const char *data, size_t len, cJSON **out, struct body_error *err)
{
    cJSON *root = cJSON_CreateObject();
    size_t fields = 0;
    enum body_status st = body_reject_nul(data, len, err);
    if (st != BODY_OK)
        goto out;
    size_t pos = 0;
    while (pos < len) {
        const char *amp = memchr(data + pos, '&', len - pos);
        size_t end = amp ? (size_t)(amp - data) : len;
        if (end > pos) {
            if (++fields > BODY_FORM_MAX_FIELDS) {
                st = body_fail(err, BODY_MALFORMED, NULL, 0, "more than %d fields",
                               BODY_FORM_MAX_FIELDS);
                goto out;
            }
            st = form_add_pair(root, data + pos, end - pos, pos, err);
            if (st != BODY_OK)
                goto out;
        }
        pos = end + 1;
    }
out:
    if (st != BODY_OK) {
        cJSON_Delete(root);
        root = NULL;
    }
    *out = root;
    return st;
}
