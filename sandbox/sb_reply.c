/* Reply helpers: the iamport envelope {code, message, response}; control API errors. */
#include "sandbox/sb_reply.h"

#include <stdarg.h>
#include <stdio.h>

void sb_envelope(struct reply *rep, int http_status, int code, const char *message, cJSON *response)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "code", code);
    if (message)
        cJSON_AddStringToObject(root, "message", message);
    else
        cJSON_AddNullToObject(root, "message");
    cJSON_AddItemToObject(root, "response", response ? response : cJSON_CreateNull());
    reply_json(rep, http_status, root);
}

void sb_ok(struct reply *rep, cJSON *response)
{
    sb_envelope(rep, 200, 0, NULL, response);
}

void sb_fail(struct reply *rep, int http_status, int code, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    sb_envelope(rep, http_status, code, message, NULL);
}

void sb_control_error(struct reply *rep, int http_status, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "error", message);
    reply_json(rep, http_status, root);
}
