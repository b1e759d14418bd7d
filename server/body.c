/* Request body parsing: content-type dispatch, strict JSON checks, and form bracket notation. */
#include "server/body.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/xalloc.h"

/* cJSON reads at most this many characters of a number; longer ones we reject ourselves. */
#define JSON_NUMBER_MAX_LEN 63
/* Room for a JSON field path while walking the tree; the error keeps the first 128 bytes. */
#define JSON_PATH_CAP 256
/* How much of a hostile header we quote in an error message. */
#define QUOTE_CAP 64

enum media_type { MEDIA_JSON, MEDIA_FORM };

/* ---- error reporting ------------------------------------------------------------------------ */

/* Length of the longest prefix of s[0..n) that does not end inside a UTF-8 sequence. */
static size_t utf8_safe_cut(const char *s, size_t n)
{
    size_t start = n;
    while (start > 0 && n - start < 3 && ((unsigned char)s[start - 1] & 0xC0) == 0x80)
        start--;
    if (start == 0)
        return n;
    unsigned char lead = (unsigned char)s[start - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return need > n - (start - 1) ? start - 1 : n;
}

static void copy_field(struct body_error *err, const char *field, size_t len)
{
    if (len > BODY_FORM_MAX_KEY_LEN)
        len = utf8_safe_cut(field, BODY_FORM_MAX_KEY_LEN);
    memcpy(err->field, field, len);
    err->field[len] = '\0';
}

static enum body_status fail(struct body_error *err, enum body_status st, const char *field,
                             size_t field_len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Fills *err (if any) and returns st. Messages may quote user text; a cut never splits UTF-8. */
static enum body_status fail(struct body_error *err, enum body_status st, const char *field,
                             size_t field_len, const char *fmt, ...)
{
    if (!err)
        return st;
    copy_field(err, field ? field : "", field ? field_len : 0);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof err->message) {
        size_t len = strlen(err->message);
        err->message[utf8_safe_cut(err->message, len)] = '\0';
    }
    return st;
}

/* Copies at most QUOTE_CAP bytes of s into dst (QUOTE_CAP + 4 bytes), replacing anything but
 * printable ASCII with '?', so header text is safe to put in a message. */
static void quote_ascii(char *dst, const char *s, size_t n)
{
    size_t i = 0;
    for (; i < n && i < QUOTE_CAP; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (i < n) {
        memcpy(dst + i, "...", 3);
        i += 3;
    }
    dst[i] = '\0';
}

static _Noreturn void die_oom(void)
{
    fputs("billkey: out of memory building a JSON tree\n", stderr);
    abort();
}

/* cJSON reports OOM as NULL; like the x* allocators we abort instead of unwinding. */
static void *oom_check(void *p)
{
    if (!p)
        die_oom();
    return p;
}

/* ---- byte-level checks ---------------------------------------------------------------------- */

/* Returns 1 if s[0..n) is strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF);
 * else 0 and *bad_at is the offset of the first byte of the bad sequence. */
static int utf8_valid(const unsigned char *s, size_t n, size_t *bad_at)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t more;
        unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            if (c == 0xE0)
                lo = 0xA0;
            else if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F;
        } else {
            goto bad;
        }
        if (n - i - 1 < more)
            goto bad;
        if (s[i + 1] < lo || s[i + 1] > hi)
            goto bad;
        for (size_t k = 2; k <= more; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                goto bad;
        i += more + 1;
        continue;
bad:
        *bad_at = i;
        return 0;
    }
    return 1;
}

static int has_control_char(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 1;
    return 0;
}

static int ascii_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int equals_ci(const char *s, size_t n, const char *lit)
{
    size_t i = 0;
    for (; i < n && lit[i]; i++)
        if (ascii_lower((unsigned char)s[i]) != lit[i])
            return 0;
    return i == n && lit[i] == '\0';
}

/* ---- Content-Type --------------------------------------------------------------------------- */

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Accepts "type/subtype *( OWS ; OWS [name=value] )" where value is a token or quoted string. */
static enum body_status parse_content_type(const char *ct, enum media_type *media,
                                           struct body_error *err)
{
    char quoted[QUOTE_CAP + 4];
    const char *p = ct;
    while (is_ows(*p))
        p++;
    const char *type = p;
    while (*p && *p != ';')
        p++;
    size_t type_len = (size_t)(p - type);
    while (type_len > 0 && is_ows(type[type_len - 1]))
        type_len--;
    if (equals_ci(type, type_len, "application/json")) {
        *media = MEDIA_JSON;
    } else if (equals_ci(type, type_len, "application/x-www-form-urlencoded")) {
        *media = MEDIA_FORM;
    } else {
        quote_ascii(quoted, type, type_len);
        return fail(err, BODY_UNSUPPORTED_MEDIA_TYPE, NULL, 0, "unsupported content type '%s'",
                    quoted);
    }
    while (*p == ';') {
        p++;
        while (is_ows(*p))
            p++;
        if (*p == ';' || *p == '\0')
            continue;
        const char *name = p;
        while (*p && *p != '=' && *p != ';' && !is_ows(*p))
            p++;
        size_t name_len = (size_t)(p - name);
        if (*p != '=') {
            quote_ascii(quoted, name, name_len);
            return fail(err, BODY_UNSUPPORTED_MEDIA_TYPE, NULL, 0,
                        "malformed content type parameter '%s'", quoted);
        }
        p++;
        const char *value = p;
        size_t value_len;
        if (*p == '"') {
            value = ++p;
            while (*p && *p != '"')
                p += (*p == '\\' && p[1]) ? 2 : 1;
            if (*p != '"') {
                quote_ascii(quoted, name, name_len);
                return fail(err, BODY_UNSUPPORTED_MEDIA_TYPE, NULL, 0,
                            "unterminated quoted value of content type parameter '%s'", quoted);
            }
            value_len = (size_t)(p - value);
            p++;
        } else {
            while (*p && *p != ';' && !is_ows(*p))
                p++;
            value_len = (size_t)(p - value);
        }
        while (is_ows(*p))
            p++;
        if (*p != ';' && *p != '\0') {
            quote_ascii(quoted, name, name_len);
            return fail(err, BODY_UNSUPPORTED_MEDIA_TYPE, NULL, 0,
                        "malformed content type parameter '%s'", quoted);
        }
        if (equals_ci(name, name_len, "charset") && !equals_ci(value, value_len, "utf-8")) {
            quote_ascii(quoted, value, value_len);
            return fail(err, BODY_UNSUPPORTED_MEDIA_TYPE, NULL, 0, "unsupported charset '%s'",
                        quoted);
        }
    }
    return BODY_OK;
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_number_char(char c)
{
    return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
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
        while (i < n && is_digit(s[i]))
            i++;
    } else {
        return 0;
    }
    if (i < n && s[i] == '.') {
        size_t digits_at = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == digits_at)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t digits_at = i;
        while (i < n && is_digit(s[i]))
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
    const char *nul = memchr(data, '\0', len);
    if (nul)
        return fail(err, BODY_MALFORMED, NULL, 0, "body contains a NUL byte at byte %zu",
                    (size_t)(nul - data));
    size_t bad_at;
    if (!utf8_valid((const unsigned char *)data, len, &bad_at))
        return fail(err, BODY_MALFORMED, NULL, 0, "body is not valid UTF-8 at byte %zu", bad_at);
    int in_string = 0;
    size_t depth = 0;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (in_string) {
            if (c == '"') {
                in_string = 0;
            } else if (c == '\\') {
                if (len - i > 5 && memcmp(data + i + 1, "u0000", 5) == 0)
                    return fail(err, BODY_MALFORMED, NULL, 0,
                                "JSON string contains '\\u0000' at byte %zu", i);
                i++; /* skip the escaped character; cJSON validates the escape */
            } else if ((unsigned char)c < 0x20) {
                return fail(err, BODY_MALFORMED, NULL, 0,
                            "JSON string contains a raw control character at byte %zu", i);
            }
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '{' || c == '[') {
            if (++depth > BODY_JSON_MAX_DEPTH)
                return fail(err, BODY_MALFORMED, NULL, 0,
                            "JSON nested deeper than %d levels at byte %zu", BODY_JSON_MAX_DEPTH,
                            i);
        } else if (c == '}' || c == ']') {
            if (depth > 0)
                depth--;
        } else if (c == '-' || is_digit(c)) {
            size_t start = i;
            while (i < len && is_number_char(data[i]))
                i++;
            size_t n = i - start;
            char quoted[QUOTE_CAP + 4];
            if (!json_number_valid(data + start, n)) {
                quote_ascii(quoted, data + start, n);
                return fail(err, BODY_MALFORMED, NULL, 0, "invalid JSON number '%s' at byte %zu",
                            quoted, start);
            }
            if (n > JSON_NUMBER_MAX_LEN) {
                quote_ascii(quoted, data + start, n);
                return fail(err, BODY_MALFORMED, NULL, 0,
                            "JSON number '%s' at byte %zu is longer than %d characters", quoted,
                            start, JSON_NUMBER_MAX_LEN);
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
        return fail(err, BODY_MALFORMED, path, path_len, "number in '%s' is out of range", path);
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
                st = fail(err, BODY_MALFORMED, path, len, "duplicate key '%s'",
                          sorted[i]->string);
                goto out;
            }
        }
    }
    size_t index = 0;
    for (const cJSON *child = node->child; child; child = child->next, index++) {
        size_t len = path_append(path, path_len, cJSON_IsObject(node) ? child->string : NULL,
                                 index);
        st = json_check_tree(child, path, len, err);
        path[path_len] = '\0';
        if (st != BODY_OK)
            goto out;
    }
out:
    free(sorted);
    return st;
}

static enum body_status parse_json(const char *data, size_t len, cJSON **out,
                                   struct body_error *err)
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
        st = fail(err, BODY_MALFORMED, NULL, 0, "invalid JSON near byte %zu", at);
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        st = fail(err, BODY_MALFORMED, NULL, 0, "JSON body must be an object");
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

/* ---- form-urlencoded ------------------------------------------------------------------------ */

enum segment_kind { SEG_KEY, SEG_INDEX, SEG_APPEND };

struct key_segment {
    enum segment_kind kind;
    char key[BODY_FORM_MAX_KEY_LEN + 1]; /* SEG_KEY: the object key */
    size_t index;                         /* SEG_INDEX */
};

/* A field name split into its base name and bracket segments. */
struct field_name {
    char name[BODY_FORM_MAX_KEY_LEN + 1];
    struct key_segment segments[BODY_FORM_MAX_DEPTH];
    size_t segment_count;
};

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)ascii_lower((unsigned char)c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes '+' and %XX. Returns a new NUL-terminated string (caller frees) and its length, or
 * NULL with *bad_at at the offending '%' when an escape is incomplete, not hex, or %00. */
static char *percent_decode(const char *s, size_t n, size_t *out_len, size_t *bad_at)
{
    char *buf = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            buf[o++] = ' ';
        } else if (s[i] == '%') {
            int hi = n - i > 2 ? hex_value(s[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
            if (lo < 0 || (hi == 0 && lo == 0)) {
                free(buf);
                *bad_at = i;
                return NULL;
            }
            buf[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            buf[o++] = s[i];
        }
    }
    buf[o] = '\0';
    *out_len = o;
    return buf;
}

/* Classifies one bracket segment s[0..n). Returns 0, or -1 with a message in *err. */
static int parse_segment(const char *key, size_t key_len, const char *s, size_t n,
                         struct key_segment *seg, struct body_error *err)
{
    if (n == 0) {
        seg->kind = SEG_APPEND;
        return 0;
    }
    size_t digits = 0;
    while (digits < n && is_digit(s[digits]))
        digits++;
    if (digits == n) {
        if (n > 1 && s[0] == '0') {
            fail(err, BODY_MALFORMED, key, key_len, "index '%.*s' in '%s' has a leading zero",
                 (int)n, s, key);
            return -1;
        }
        size_t index = 0;
        for (size_t k = 0; k < n && index <= BODY_FORM_MAX_INDEX; k++)
            index = index * 10 + (size_t)(s[k] - '0');
        if (index > BODY_FORM_MAX_INDEX) {
            fail(err, BODY_MALFORMED, key, key_len, "index '%.*s' in '%s' is larger than %d",
                 (int)n, s, key, BODY_FORM_MAX_INDEX);
            return -1;
        }
        seg->kind = SEG_INDEX;
        seg->index = index;
        return 0;
    }
    if (s[0] == '-' && n > 1) {
        size_t k = 1;
        while (k < n && is_digit(s[k]))
            k++;
        if (k == n) {
            fail(err, BODY_MALFORMED, key, key_len, "negative index '%.*s' in '%s'", (int)n, s,
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
        fail(err, BODY_MALFORMED, key, key_len, "unexpected ']' in field name '%s'", key);
        return -1;
    }
    if (i == 0) {
        fail(err, BODY_MALFORMED, key, key_len, "field name '%s' has an empty name", key);
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
            fail(err, BODY_MALFORMED, key, key_len, "unclosed '[' in field name '%s'", key);
            return -1;
        }
        if (fn->segment_count == BODY_FORM_MAX_DEPTH) {
            fail(err, BODY_MALFORMED, key, key_len, "field name '%s' is nested deeper than %d",
                 key, BODY_FORM_MAX_DEPTH);
            return -1;
        }
        if (parse_segment(key, key_len, key + start, i - start,
                          &fn->segments[fn->segment_count], err) != 0)
            return -1;
        fn->segment_count++;
        i++; /* past ']' */
        if (i < key_len && key[i] != '[') {
            fail(err, BODY_MALFORMED, key, key_len, "unexpected '%c' after ']' in field name '%s'",
                 key[i], key);
            return -1;
        }
    }
    return 0;
}

static cJSON *new_node(enum segment_kind child_kind, int is_leaf, const char *value)
{
    if (is_leaf)
        return oom_check(cJSON_CreateString(value));
    return oom_check(child_kind == SEG_KEY ? cJSON_CreateObject() : cJSON_CreateArray());
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
                return fail(err, BODY_MALFORMED, key, key_len,
                            "index %zu in '%s' is out of order (next index is %zu)", index, key,
                            size);
            if (index < size)
                existing = cJSON_GetArrayItem(container, (int)index);
        }
        if (!existing) {
            cJSON *node = new_node(want, is_leaf, value);
            cJSON_bool added = slot == SEG_KEY ? cJSON_AddItemToObject(container, slot_key, node)
                                               : cJSON_AddItemToArray(container, node);
            if (!added)
                die_oom();
            container = node;
            continue;
        }
        if (is_leaf && cJSON_IsString(existing))
            return fail(err, BODY_MALFORMED, key, key_len, "field '%s' is given more than once",
                        key);
        if (is_leaf || (want == SEG_KEY && !cJSON_IsObject(existing)) ||
            (want != SEG_KEY && !cJSON_IsArray(existing)))
            return fail(err, BODY_MALFORMED, key, key_len,
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
    char *key = percent_decode(pair, raw_key_len, &key_len, &bad_at);
    if (!key) {
        st = fail(err, BODY_MALFORMED, NULL, 0,
                  "invalid percent-encoding in field name at byte %zu", offset + bad_at);
        goto out;
    }
    if (key_len == 0) {
        st = fail(err, BODY_MALFORMED, NULL, 0, "empty field name at byte %zu", offset);
        goto out;
    }
    if (!utf8_valid((const unsigned char *)key, key_len, &bad_at)) {
        st = fail(err, BODY_MALFORMED, NULL, 0, "field name at byte %zu is not valid UTF-8",
                  offset);
        goto out;
    }
    if (key_len > BODY_FORM_MAX_KEY_LEN) {
        st = fail(err, BODY_MALFORMED, key, key_len, "field name longer than %d bytes",
                  BODY_FORM_MAX_KEY_LEN);
        goto out;
    }
    if (has_control_char(key, key_len)) {
        st = fail(err, BODY_MALFORMED, NULL, 0,
                  "field name at byte %zu contains a control character", offset);
        goto out;
    }
    size_t value_offset = offset + raw_key_len + 1;
    value = eq ? percent_decode(eq + 1, n - raw_key_len - 1, &value_len, &bad_at)
               : xstrdup("");
    if (!value) {
        st = fail(err, BODY_MALFORMED, key, key_len,
                  "invalid percent-encoding in value of '%s' at byte %zu", key,
                  value_offset + bad_at);
        goto out;
    }
    if (eq && !utf8_valid((const unsigned char *)value, value_len, &bad_at)) {
        st = fail(err, BODY_MALFORMED, key, key_len, "value of '%s' is not valid UTF-8", key);
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

static enum body_status parse_form(const char *data, size_t len, cJSON **out,
                                   struct body_error *err)
{
    enum body_status st = BODY_OK;
    cJSON *root = oom_check(cJSON_CreateObject());
    size_t fields = 0;
    const char *nul = memchr(data, '\0', len);
    if (nul) {
        st = fail(err, BODY_MALFORMED, NULL, 0, "body contains a NUL byte at byte %zu",
                  (size_t)(nul - data));
        goto out;
    }
    size_t pos = 0;
    while (pos < len) {
        const char *amp = memchr(data + pos, '&', len - pos);
        size_t end = amp ? (size_t)(amp - data) : len;
        if (end > pos) {
            if (++fields > BODY_FORM_MAX_FIELDS) {
                st = fail(err, BODY_MALFORMED, NULL, 0, "more than %d fields",
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

/* ---- entry points --------------------------------------------------------------------------- */

static void clear_error(struct body_error *err)
{
    if (err) {
        err->field[0] = '\0';
        err->message[0] = '\0';
    }
}

enum body_status body_parse(const char *content_type, const char *data, size_t len, cJSON **out,
                            struct body_error *err)
{
    enum media_type media = MEDIA_JSON; /* set by parse_content_type on BODY_OK */
    clear_error(err);
    *out = NULL;
    if (len == 0) {
        *out = oom_check(cJSON_CreateObject());
        return BODY_OK;
    }
    if (!content_type)
        return fail(err, BODY_UNSUPPORTED_MEDIA_TYPE, NULL, 0, "missing content type");
    enum body_status st = parse_content_type(content_type, &media, err);
    if (st != BODY_OK)
        return st;
    if (media == MEDIA_JSON)
        return parse_json(data, len, out, err);
    return parse_form(data, len, out, err);
}

enum body_status body_parse_query(const char *query, cJSON **out, struct body_error *err)
{
    clear_error(err);
    *out = NULL;
    if (!query)
        query = "";
    return parse_form(query, strlen(query), out, err);
}
