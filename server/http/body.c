/* Request body parsing: the Content-Type switch and the entry points over the two encodings. */
#include "server/http/body.h"

#include <string.h>

#include "server/http/body_form.h"
#include "server/http/body_json.h"
#include "server/http/body_tree.h"

enum media_type { MEDIA_JSON, MEDIA_FORM };

/* ---- Content-Type ---------------------------------------------------------------------------- */

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
