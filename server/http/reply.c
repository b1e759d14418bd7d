/* Reply builders: JSON bodies, the one error shape, files and headers. */
#include "server/http/http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "server/core/log.h"
#include "server/core/utf8.h"
#include "server/core/xalloc.h"

void reply_init(struct reply *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->file_fd = -1;
}

static void reply_clear_body(struct reply *rep)
{
    free(rep->body);
    rep->body = NULL;
    rep->body_len = 0;
    free(rep->content_type);
    rep->content_type = NULL;
    if (rep->file_fd >= 0)
        close(rep->file_fd);
    rep->file_fd = -1;
    rep->file_size = 0;
}

void reply_release(struct reply *rep)
{
    reply_clear_body(rep);
    for (size_t i = 0; i < rep->header_count; i++) {
        free(rep->headers[i].name);
        free(rep->headers[i].value);
    }
    reply_init(rep);
}

void reply_set_header(struct reply *rep, const char *name, const char *value)
{
    for (size_t i = 0; i < rep->header_count; i++) {
        if (strcasecmp(rep->headers[i].name, name) == 0) {
            free(rep->headers[i].value);
            rep->headers[i].value = xstrdup(value);
            return;
        }
    }
    if (rep->header_count == REPLY_MAX_HEADERS) {
        log_msg(LOG_ERROR, NULL, "reply has more than %d headers: dropping '%s'", REPLY_MAX_HEADERS,
                name);
        return;
    }
    rep->headers[rep->header_count].name = xstrdup(name);
    rep->headers[rep->header_count].value = xstrdup(value);
    rep->header_count++;
}

void reply_mark_retry_after(struct reply *rep)
{
    reply_set_header(rep, "Retry-After", REPLY_RETRY_AFTER_BUSY);
    rep->retry = 1;
}

const char *reply_header(const struct reply *rep, const char *name)
{
    for (size_t i = 0; i < rep->header_count; i++)
        if (strcasecmp(rep->headers[i].name, name) == 0)
            return rep->headers[i].value;
    return NULL;
}

void reply_bytes(struct reply *rep, int status, const char *content_type, const char *data,
                 size_t len)
{
    reply_clear_body(rep);
    rep->status = status;
    rep->content_type = xstrdup(content_type);
    rep->body = xmalloc(len + 1);
    if (len)
        memcpy(rep->body, data, len);
    rep->body[len] = '\0';
    rep->body_len = len;
}

void reply_json(struct reply *rep, int status, cJSON *body)
{
    char *text = body ? cJSON_PrintUnformatted(body) : NULL;
    cJSON_Delete(body);
    if (!text) {
        reply_bytes(rep, status, "application/json", "{}", 2);
        return;
    }
    reply_bytes(rep, status, "application/json", text, strlen(text));
    cJSON_free(text);
}

void reply_file(struct reply *rep, int status, const char *content_type, int fd, size_t size)
{
    reply_clear_body(rep);
    rep->status = status;
    rep->content_type = xstrdup(content_type);
    rep->file_fd = fd;
    rep->file_size = size;
}

void reply_error(struct reply *rep, const struct request *req, int status, const char *code,
                 const char *field, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    /* Messages echo request text (paths): a JSON body must be UTF-8 even when that text is not,
     * or when the cut above fell inside a character. */
    utf8_trim_partial(message);
    char *text = utf8_repair(message, strlen(message));

    cJSON *root = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(err, "code", code);
    cJSON_AddStringToObject(err, "message", text);
    free(text);
    if (field)
        cJSON_AddStringToObject(err, "field", field);
    cJSON_AddStringToObject(err, "request_id", req ? req->request_id : "");
    reply_json(rep, status, root);
}
