/* iamport client: status names, error filling, argument checks and path escaping. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "server/iamport/iamport_errors.h"
#include "server/core/xalloc.h"

/* Longest text iamport_escape() accepts (query values such as a delete reason). */
#define ESCAPE_INPUT_MAX 8192

const char *iamport_status_name(enum iamport_status status)
{
    switch (status) {
    case IAMPORT_OK:
        return "ok";
    case IAMPORT_E_TRANSPORT:
        return "transport";
    case IAMPORT_E_TIMEOUT_UNKNOWN:
        return "timeout_unknown";
    case IAMPORT_E_HTTP:
        return "http";
    case IAMPORT_E_API:
        return "api";
    case IAMPORT_E_NOT_FOUND:
        return "not_found";
    case IAMPORT_E_PARSE:
        return "parse";
    case IAMPORT_E_AUTH:
        return "auth";
    case IAMPORT_E_INVALID_ARGUMENT:
        return "invalid_argument";
    case IAMPORT_E_BUSY:
        return "busy";
    }
    return "unknown";
}

bool iamport_outcome_unknown(enum iamport_status status, const struct iamport_error *err)
{
    switch (status) {
    case IAMPORT_E_TIMEOUT_UNKNOWN:
    case IAMPORT_E_PARSE:
        return true;
    case IAMPORT_E_HTTP:
        return !err || err->http_status >= 500;
    case IAMPORT_E_API:
        return err && err->http_status >= 500;
    default:
        return false;
    }
}

enum iamport_status iamport_fail(struct iamport_error *err, enum iamport_status status,
                                 const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->detail, sizeof err->detail, fmt, ap);
        va_end(ap);
    }
    return status;
}

enum iamport_status iamport_done(enum iamport_status status, struct iamport_error *err)
{
    if (status == IAMPORT_OK && err)
        memset(err, 0, sizeof *err);
    return status;
}

void iamport_copy_utf8(char *dst, size_t cap, const char *text)
{
    if (cap == 0)
        return;
    size_t len = text ? strlen(text) : 0;
    if (len >= cap) {
        len = cap - 1;
        /* Step back over continuation bytes so no character is cut in half. */
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--;
    }
    if (len)
        memcpy(dst, text, len);
    dst[len] = '\0';
}

enum iamport_status iamport_check_id(const char *what, const char *id, struct iamport_error *err)
{
    if (!id || !*id)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "%s is missing", what);
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "%s '%s' is not a valid id", what, id);
    if (strlen(id) > IAMPORT_ID_MAX)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "%s is longer than %d bytes", what,
                            IAMPORT_ID_MAX);
    return IAMPORT_OK;
}

char *iamport_escape(const char *text)
{
    size_t len = strlen(text);
    if (len > ESCAPE_INPUT_MAX)
        return NULL;
    char *escaped = curl_easy_escape(NULL, text, (int)len);
    if (!escaped)
        return NULL;
    char *copy = xstrdup(escaped);
    curl_free(escaped);
    return copy;
}

struct iamport_error *iamport_begin(struct iamport_error *err, struct iamport_error *local,
                                    void *out, size_t out_size)
{
    if (!err)
        err = local;
    memset(err, 0, sizeof *err);
    memset(out, 0, out_size);
    return err;
}

enum iamport_status iamport_id_path(const char *what, const char *id, const char *prefix,
                                    const char *suffix, char **path, struct iamport_error *err)
{
    *path = NULL;
    enum iamport_status st = iamport_check_id(what, id, err);
    if (st != IAMPORT_OK)
        return st;
    char *escaped = iamport_escape(id);
    if (!escaped)
        return iamport_fail(err, IAMPORT_E_INVALID_ARGUMENT, "%s cannot be escaped", what);
    *path = xasprintf("%s%s%s", prefix, escaped, suffix);
    free(escaped);
    return IAMPORT_OK;
}
