/* Request body parsing, the layer below the encodings: error reporting and byte checks. */
#include "server/http/body_tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "server/core/utf8.h"

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

enum body_status body_fail(struct body_error *err, enum body_status st, const char *field,
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

void body_quote_ascii(char *dst, const char *s, size_t n)
{
    size_t i = 0;
    for (; i < n && i < BODY_QUOTE_CAP; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (i < n) {
        memcpy(dst + i, "...", 3);
        i += 3;
    }
    dst[i] = '\0';
}

/* ---- byte-level checks ---------------------------------------------------------------------- */

int body_utf8_valid(const unsigned char *s, size_t n, size_t *bad_at)
{
    unsigned cp;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (len == 0) {
            *bad_at = i;
            return 0;
        }
        i += len;
    }
    return 1;
}

int body_has_control_char(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 1;
    return 0;
}

int body_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

enum body_status body_reject_nul(const char *data, size_t len, struct body_error *err)
{
    const char *nul = memchr(data, '\0', len);
    if (nul)
        return body_fail(err, BODY_MALFORMED, NULL, 0, "body contains a NUL byte at byte %zu",
                         (size_t)(nul - data));
    return BODY_OK;
}
