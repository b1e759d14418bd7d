/* Request body parsing: error reporting, byte checks, content-type dispatch and entry points. */
#include "server/http/body.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http/body_internal.h"
#include "server/core/utf8.h"

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

int body_ascii_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static int equals_ci(const char *s, size_t n, const char *lit)
{
    size_t i = 0;
    for (; i < n && lit[i]; i++)
        if (body_ascii_lower((unsigned char)s[i]) != lit[i])
            return 0;
    return i == n && lit[i] == '\0';
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

/* ---- Content-Type --------------------------------------------------------------------------- */

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Accepts "type/subtype *( OWS ; OWS [name=value] )" where value is a token or quoted string. */
static enum body_status parse_content_type(const char *ct, enum media_type *media,
                                           struct body_error *err)
{
    char quoted[BODY_QUOTE_CAP + 4];
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
        body_quote_ascii(quoted, type, type_len);
        return body_fail(err, BODY_UNSUPPORTED_MEDIA_TYPE, NULL, 0, "unsupported content type '%s'",
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
            body_quote_ascii(quoted, name, name_len);
            return body_fail(err, BODY_UNSUPPORTED_MEDIA_TYPE, NULL, 0,
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
                body_quote_ascii(quoted, name, name_len);
                return body_fail(err, BODY_UNSUPPORTED_MEDIA_TYPE, NULL, 0,
                                 "unterminated quoted value of content type parameter '%s'",
                                 quoted);
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
            body_quote_ascii(quoted, name, name_len);
            return body_fail(err, BODY_UNSUPPORTED_MEDIA_TYPE, NULL, 0,
                             "malformed content type parameter '%s'", quoted);
        }
        if (equals_ci(name, name_len, "charset") && !equals_ci(value, value_len, "utf-8")) {
            body_quote_ascii(quoted, value, value_len);
            return body_fail(err, BODY_UNSUPPORTED_MEDIA_TYPE, NULL, 0, "unsupported charset '%s'",
                             quoted);
        }
    }
    return BODY_OK;
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
        *out = cJSON_CreateObject();
        return BODY_OK;
    }
    if (!content_type)
        return body_fail(err, BODY_UNSUPPORTED_MEDIA_TYPE, NULL, 0, "missing content type");
    enum body_status st = parse_content_type(content_type, &media, err);
    if (st != BODY_OK)
        return st;
    if (media == MEDIA_JSON)
        return body_parse_json(data, len, out, err);
    return body_parse_form(data, len, out, err);
}

enum body_status body_parse_query(const char *query, cJSON **out, struct body_error *err)
{
    clear_error(err);
    *out = NULL;
    if (!query)
        query = "";
    return body_parse_form(query, strlen(query), out, err);
}
