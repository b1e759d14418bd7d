/* iamport client: one pass over an answer's JSON text, validating it as cJSON would and keeping
 * the spans of the members asked for; strings and numbers decoded as cJSON decodes them. */
#include "server/iamport/iamport_scan.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "server/iamport/iamport_scan_internal.h"
#include "server/core/utf8.h"
#include "server/core/xalloc.h"

#define NUMBER_BUF 64 /* numbers shorter than this are copied for strtod on the stack */
#define KEY_MAX 64    /* longer keys (before any NUL) match no field name */

/* Where a walk is: the unread text and how many arrays and objects are open. */
struct scan {
    const unsigned char *p, *end;
    size_t depth;
};

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && *s->p <= 32)
        s->p++;
}

static int hex4(const unsigned char *h)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = h[i];
        if (c >= '0' && c <= '9')
            c -= '0';
        else if (c >= 'A' && c <= 'F')
            c -= 'A' - 10;
        else if (c >= 'a' && c <= 'f')
            c -= 'a' - 10;
        else
            return 0; /* as cJSON's parse_hex4: an invalid digit makes the whole code 0 */
        v = v << 4 | c;
    }
    return (int)v;
}

static size_t put_utf8(unsigned long cp, unsigned char *o)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes a string's inside [p, end) as cJSON's parse_string does. Writes at most `cap` bytes to
 * out (none when out is NULL) and returns how many it decoded, NULs included, or -1 when cJSON
 * refuses an escape. */
static long unescape(const unsigned char *p, const unsigned char *end, unsigned char *out,
                     size_t cap)
{
    size_t n = 0;
    unsigned char buf[4];
    while (p < end) {
        const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t plain = (size_t)((bs ? bs : end) - p);
        if (out && n < cap)
            memcpy(out + n, p, plain < cap - n ? plain : cap - n);
        n += plain;
        if (!bs)
            break;
        p = bs;
        size_t len = 1, step = 2;
        switch (p[1]) { /* p + 1 < end: the closing quote was found past an escaped byte */
        case 'b':
            buf[0] = '\b';
            break;
        case 'f':
            buf[0] = '\f';
            break;
        case 'n':
            buf[0] = '\n';
            break;
        case 'r':
            buf[0] = '\r';
            break;
        case 't':
            buf[0] = '\t';
            break;
        case '"':
        case '\\':
        case '/':
            buf[0] = p[1];
            break;
        case 'u': {
            if (end - p < 6)
                return -1;
            unsigned long cp = (unsigned long)hex4(p + 2);
            step = 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return -1;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
                    return -1;
                unsigned long lo = (unsigned long)hex4(p + 8);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                cp = 0x10000 + (((cp & 0x3FF) << 10) | (lo & 0x3FF));
                step = 12;
            }
            len = put_utf8(cp, buf);
            break;
        }
        default:
            return -1;
        }
        for (size_t i = 0; i < len; i++, n++)
            if (out && n < cap)
                out[n] = buf[i];
        p += step;
    }
    return (long)n;
}

/* The closing quote of the string whose opening quote is at p, as cJSON finds it (a backslash
 * escapes the next byte), or NULL. */
static const unsigned char *string_end(const unsigned char *p, const unsigned char *end)
{
    const unsigned char *from = p + 1;
    for (;;) {
        const unsigned char *q = memchr(from, '"', (size_t)(end - from));
        if (!q)
            return NULL;
        size_t backslashes = 0;
        while (q - backslashes > p + 1 && q[-1 - (ptrdiff_t)backslashes] == '\\')
            backslashes++;
        if (backslashes % 2 == 0)
            return q;
        from = q + 1;
    }
}

static int scan_string(struct scan *s, struct iamport_scan_value *v)
{
    const unsigned char *q = string_end(s->p, s->end);
    if (!q)
        return -1;
    const unsigned char *in = s->p + 1;
    if (memchr(in, '\\', (size_t)(q - in)) && unescape(in, q, NULL, 0) < 0)
        return -1;
    v->type = IAMPORT_SCAN_STRING;
    s->p = q + 1;
    return 0;
}

static bool number_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E';
}

/* strtod on the n bytes at p; *whole tells whether it read all of them. */
static double number_strtod(const char *p, size_t n, bool *whole)
{
    char stack[NUMBER_BUF];
    char *buf = n < sizeof stack ? stack : xmalloc(n + 1);
    char *stop = NULL;
    memcpy(buf, p, n);
    buf[n] = '\0';
    double d = strtod(buf, &stop);
    *whole = stop == buf + n;
    if (buf != stack)
        free(buf);
    return d;
}

/* A number's text that strtod reads whole (cJSON leaves the rest, which nothing accepts). */
static int check_number(const unsigned char *p, size_t n)
{
    size_t i = p[0] == '-';
    while (i < n && p[i] >= '0' && p[i] <= '9')
        i++;
    if (i == n && n > (size_t)(p[0] == '-'))
        return 0; /* [-]digits: the common case */
    bool whole;
    number_strtod((const char *)p, n, &whole);
    return whole ? 0 : -1;
}

static int scan_number(struct scan *s, struct iamport_scan_value *v)
{
    const unsigned char *q = s->p;
    while (q < s->end && number_char(*q))
        q++;
    if (check_number(s->p, (size_t)(q - s->p)) != 0)
        return -1;
    v->type = IAMPORT_SCAN_NUMBER;
    s->p = q;
    return 0;
}

static int scan_literal(struct scan *s, const char *word, size_t n, enum iamport_scan_type type,
                        struct iamport_scan_value *v)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return -1;
    v->type = type;
    s->p += n;
    return 0;
}

static int scan_value(struct scan *s, struct iamport_scan_value *v,
                      const struct iamport_scan_walker *w);

/* The array or object at s->p, skimmed: its end found by counting brackets outside strings,
 * nothing else checked (a later walk of v's text does that), but more nesting than cJSON allows
 * here is refused already. */
static int skim_container(struct scan *s, struct iamport_scan_value *v)
{
    const unsigned char *p = s->p;
    size_t depth = 0;
    v->text = (const char *)p;
    v->type = *p == '[' ? IAMPORT_SCAN_ARRAY : IAMPORT_SCAN_OBJECT;
    while (p < s->end) {
        unsigned char c = *p;
        if (c == '"') {
            p = string_end(p, s->end);
            if (!p)
                return -1;
        } else if (c == '[' || c == '{') {
            if (s->depth + depth >= CJSON_NESTING_LIMIT)
                return -1;
            depth++;
        } else if ((c == ']' || c == '}') && --depth == 0) {
            s->p = p + 1;
            v->len = (size_t)(s->p - (const unsigned char *)v->text);
            return 0;
        }
        p++;
    }
    return -1;
}

/* The key of the member whose opening quote is at s->p, as cJSON's item->string (cut at its
 * first NUL): *key points into the text or into buf; *key_len is SIZE_MAX when it is too long to
 * be a field name. */
static int scan_key(struct scan *s, unsigned char buf[KEY_MAX], const unsigned char **key,
                    size_t *key_len)
{
    if (s->p >= s->end || *s->p != '"')
        return -1;
    const unsigned char *q = string_end(s->p, s->end);
    if (!q)
        return -1;
    const unsigned char *in = s->p + 1;
    s->p = q + 1;
    if (!memchr(in, '\\', (size_t)(q - in))) {
        *key = in;
        *key_len = (size_t)(q - in);
        return 0;
    }
    long n = unescape(in, q, buf, KEY_MAX);
    if (n < 0)
        return -1;
    size_t kept = (size_t)n < KEY_MAX ? (size_t)n : KEY_MAX;
    const unsigned char *nul = memchr(buf, '\0', kept);
    *key = buf;
    *key_len = nul ? (size_t)(nul - buf) : (size_t)n < KEY_MAX ? (size_t)n : SIZE_MAX;
    return 0;
}

static int scan_object(struct scan *s, const struct iamport_scan_walker *w)
{
    s->p++; /* '{' */
    skip_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        unsigned char buf[KEY_MAX];
        const unsigned char *key;
        size_t key_len;
        struct iamport_scan_value v;
        skip_ws(s);
        if (scan_key(s, buf, &key, &key_len) != 0)
            return -1;
        skip_ws(s);
        if (s->p >= s->end || *s->p != ':')
            return -1;
        s->p++;
        skip_ws(s);
        bool skim = w && w->skim && key_len != SIZE_MAX && s->p < s->end &&
                    (*s->p == '{' || *s->p == '[') && w->skim(w->arg, (const char *)key, key_len);
        if ((skim ? skim_container(s, &v) : scan_value(s, &v, NULL)) != 0)
            return -1;
        if (w && w->member && key_len != SIZE_MAX)
            w->member(w->arg, (const char *)key, key_len, &v);
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == '}') {
            s->p++;
            return 0;
        }
        return -1;
    }
}

static int scan_array(struct scan *s, const struct iamport_scan_walker *w)
{
    s->p++; /* '[' */
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        struct iamport_scan_value v;
        skip_ws(s);
        if (scan_value(s, &v, NULL) != 0)
            return -1;
        if (w && w->element)
            w->element(w->arg, &v);
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') {
            s->p++;
            continue;
        }
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return 0;
        }
        return -1;
    }
}

/* One value at s->p (no whitespace before it); w (may be NULL) sees the members or elements of
 * this value when it is an object or array, not of those nested in it. */
static int scan_value(struct scan *s, struct iamport_scan_value *v,
                      const struct iamport_scan_walker *w)
{
    int rc;
    v->text = (const char *)s->p;
    if (s->p >= s->end)
        return -1;
    switch (*s->p) {
    case 'n':
        rc = scan_literal(s, "null", 4, IAMPORT_SCAN_NULL, v);
        break;
    case 'f':
        rc = scan_literal(s, "false", 5, IAMPORT_SCAN_FALSE, v);
        break;
    case 't':
        rc = scan_literal(s, "true", 4, IAMPORT_SCAN_TRUE, v);
        break;
    case '"':
        rc = scan_string(s, v);
        break;
    case '[':
    case '{':
        if (s->depth >= CJSON_NESTING_LIMIT)
            return -1;
        s->depth++;
        v->type = *s->p == '[' ? IAMPORT_SCAN_ARRAY : IAMPORT_SCAN_OBJECT;
        rc = *s->p == '[' ? scan_array(s, w) : scan_object(s, w);
        s->depth--;
        break;
    default:
        if (*s->p != '-' && (*s->p < '0' || *s->p > '9'))
            return -1;
        rc = scan_number(s, v);
    }
    v->len = (size_t)((const char *)s->p - v->text);
    return rc;
}

int iamport_scan_walk(const char *text, size_t len, struct iamport_scan_value *root,
                      const struct iamport_scan_walker *w)
{
    struct scan s = {(const unsigned char *)text, (const unsigned char *)text + len, 0};
    struct iamport_scan_value v;
    if (len >= 4 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        s.p += 3; /* cJSON skips a UTF-8 BOM at the very start */
    skip_ws(&s);
    if (scan_value(&s, &v, w) != 0)
        return -1;
    skip_ws(&s);
    if (s.p != s.end)
        return -1;
    if (root)
        *root = v;
    return 0;
}

int iamport_scan_document(const char *text, size_t len, struct iamport_scan_value *root)
{
    return iamport_scan_walk(text, len, root, NULL);
}

char *iamport_scan_string(const struct iamport_scan_value *v)
{
    const unsigned char *in = (const unsigned char *)v->text + 1, *q = in + v->len - 2;
    size_t n = v->len - 2;
    char *out = xmalloc(n + 1);
    if (!memchr(in, '\\', n)) {
        memcpy(out, in, n);
    } else {
        long got = unescape(in, q, (unsigned char *)out, n);
        n = got < 0 ? 0 : (size_t)got; /* validated: never < 0; decoding never grows */
    }
    out[n] = '\0';
    return out;
}

double iamport_scan_number(const struct iamport_scan_value *v)
{
    const char *p = v->text;
    size_t n = v->len, i = p[0] == '-';
    if (n - i <= 15) { /* [-]digits of at most 15: exact, as strtod gives them */
        int64_t whole = 0;
        size_t j = i;
        for (; j < n && p[j] >= '0' && p[j] <= '9'; j++)
            whole = whole * 10 + (p[j] - '0');
        if (j == n)
            return i ? -(double)whole : (double)whole;
    }
    bool whole;
    return number_strtod(p, n, &whole);
}

const char *iamport_scan_prepare(const char *body, size_t body_len, char **repaired,
                                 size_t *text_len)
{
    *repaired = NULL;
    *text_len = 0;
    if (body_len == 0 || memchr(body, '\0', body_len))
        return NULL;
    const unsigned char *s = (const unsigned char *)body;
    for (size_t i = 0; i < body_len;) {
        unsigned cp;
        uint64_t word;
        /* ASCII eight bytes at a time, as utf8_valid */
        while (i + 8 <= body_len && (memcpy(&word, s + i, 8), (word & 0x8080808080808080ULL) == 0))
            i += 8;
        if (i < body_len && s[i] < 0x80) {
            i++;
            continue;
        }
        if (i == body_len)
            break;
        size_t n = utf8_decode(s + i, body_len - i, &cp);
        if (n == 0) {
            *repaired = utf8_repair(body, body_len);
            *text_len = strlen(*repaired);
            return *repaired;
        }
        i += n;
    }
    *text_len = body_len;
    return body;
}

/* ---- the envelope ---- */

struct envelope_walk {
    struct iamport_scan_value code, message, response;
};

/* The first "response" member, when an array or object, is skimmed: its reader walks it. */
static bool envelope_skim(void *arg, const char *key, size_t len)
{
    const struct envelope_walk *e = arg;
    return len == 8 && memcmp(key, "response", 8) == 0 && e->response.type == IAMPORT_SCAN_ABSENT;
}

static void envelope_member(void *arg, const char *key, size_t len,
                            const struct iamport_scan_value *v)
{
    struct envelope_walk *e = arg;
    struct iamport_scan_value *slot = NULL;
    if (len == 4 && memcmp(key, "code", 4) == 0)
        slot = &e->code;
    else if (len == 7 && memcmp(key, "message", 7) == 0)
        slot = &e->message;
    else if (len == 8 && memcmp(key, "response", 8) == 0)
        slot = &e->response;
    if (slot && slot->type == IAMPORT_SCAN_ABSENT)
        *slot = *v; /* the first member of a name, as iamport_json_get finds it */
}

int iamport_scan_envelope(const char *text, size_t len, struct iamport_scan_envelope *out)
{
    struct envelope_walk e;
    struct iamport_scan_value root;
    const struct iamport_scan_walker w = {
        .member = envelope_member, .skim = envelope_skim, .arg = &e};
    int64_t code;
    memset(out, 0, sizeof *out);
    memset(&e, 0, sizeof e);
    if (iamport_scan_walk(text, len, &root, &w) != 0 || root.type != IAMPORT_SCAN_OBJECT ||
        iamport_scan_int64(&e.code, &code) != 0 || code < INT_MIN || code > INT_MAX)
        return -1;
    out->code = (int)code;
    if (e.message.type == IAMPORT_SCAN_STRING)
        out->message = iamport_scan_string(&e.message);
    out->response = e.response;
    out->response_skimmed =
        e.response.type == IAMPORT_SCAN_ARRAY || e.response.type == IAMPORT_SCAN_OBJECT;
    return 0;
}

void iamport_scan_envelope_release(struct iamport_scan_envelope *env)
{
    if (!env)
        return;
    free(env->message);
    memset(env, 0, sizeof *env);
}

int iamport_scan_int64(const struct iamport_scan_value *v, int64_t *out)
{
    if (v->type != IAMPORT_SCAN_NUMBER)
        return -1;
    double d = iamport_scan_number(v);
    /* iamport_json_number_to_int64's test, on the double strtod gives */
    if (!(d <= 9007199254740991.0 && d >= -9007199254740991.0))
        return -1;
    int64_t whole = (int64_t)d;
    if ((double)whole != d)
        return -1;
    *out = whole;
    return 0;
}
